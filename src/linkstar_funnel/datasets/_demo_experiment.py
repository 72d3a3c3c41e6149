"""``make_demo_experiment``: the demo store's users split into an A/B test with a known lift."""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Integer, Options, Real, validate_params
from ._demo_params import STAGES
from ._demo_store import DemoStore, make_demo_store

__all__ = ["DemoExperiment", "make_demo_experiment"]

VARIANTS: tuple[str, str] = ("control", "B")


@attrs.frozen(eq=False, repr=False)
class DemoExperiment:
    """A seeded A/B test on the demo store, and its truth.

    Attributes
    ----------
    events
        The store's events with a ``variant`` column (``"control"`` or ``"B"``, a
        ``Categorical``), B's lift applied.
    per_user
        One row per user: ``user_id``, ``variant``, ``orders`` and ``revenue`` (USD) over
        the window, from the store's orders of the users who still pay.
    stage
        The stage whose conversion B lifts.
    lift
        B's true relative lift of ``stage``'s conversion from the previous stage (and so
        of every later stage's conversion from the start; later steps' conversion from
        their previous step is unchanged).
    store
        The demo store the experiment was drawn from (its frames without the lift).
    """

    events: pd.DataFrame
    per_user: pd.DataFrame
    stage: str
    lift: float
    store: DemoStore

    def __repr__(self) -> str:
        return (
            f"DemoExperiment(users={self.per_user.shape[0]:,}, stage={self.stage!r}, "
            f"lift={self.lift:g}, seed={self.store.truth.seed})"
        )


@validate_params(
    n_users=Integer(100, 10_000_000),
    seed=Integer(0, 2**63 - 1),
    stage=Options(*STAGES[1:]),
    lift=Real(0, 10),
    days=Integer(7, 1_095),
)
def make_demo_experiment(
    n_users: int = 20_000,
    *,
    seed: int = 0,
    stage: str = "add_to_cart",
    lift: float = 0.10,
    days: int = 28,
) -> DemoExperiment:
    """The demo store's users, half in ``"control"`` and half in ``"B"``, B lifting one step.

    Users are assigned at random (seeded) with equal odds. B's effect is the store's own
    behaviour; the control's is thinned: of the control users who reached ``stage``, a
    share ``lift / (1 + lift)`` chosen at random lose that step and every later one (with
    their orders), so B converts at ``stage`` exactly ``1 + lift`` times as often as the
    control does, in expectation, and converts onward as the control does.

    Parameters
    ----------
    n_users
        Users in the store (both arms).
    seed
        Seed of the store and of the assignment.
    stage
        The stage B lifts (any stage after ``impression``).
    lift
        B's true relative lift of that stage's conversion (0.10: +10%).
    days
        Length of the store's window.

    Examples
    --------
    >>> demo = make_demo_experiment(n_users=2_000, seed=1)
    >>> demo
    DemoExperiment(users=2,000, stage='add_to_cart', lift=0.1, seed=1)
    >>> demo.events["variant"].value_counts().sort_index().to_dict()
    {'control': 3173, 'B': 3491}
    >>> demo.per_user.columns.tolist()
    ['user_id', 'variant', 'orders', 'revenue']
    """
    store = make_demo_store(n_users, seed=seed, days=days)
    rng = np.random.default_rng((seed, 17))
    user_ids = np.sort(store.events["user_id"].unique())
    is_b = rng.random(len(user_ids)) < 0.5
    variant = pd.Series(is_b.astype(np.int64), index=user_ids)

    events = store.events
    ev_user = events["user_id"].to_numpy()
    ev_b = variant.loc[ev_user].to_numpy() == 1
    later = set(STAGES[STAGES.index(stage) :])
    ev_later = events["event"].astype(str).isin(later).to_numpy()
    reached = np.unique(ev_user[(events["event"] == stage).to_numpy() & ~ev_b])
    lose = reached[rng.random(len(reached)) < lift / (1.0 + lift)]
    drop = ev_later & np.isin(ev_user, lose)
    out = events.loc[~drop].reset_index(drop=True)
    codes: npt.NDArray[np.int64] = np.asarray(variant.loc[out["user_id"].to_numpy()], np.int64)
    out["variant"] = pd.Categorical.from_codes(codes, categories=pd.Index(VARIANTS))

    orders = store.orders
    kept = orders.loc[~np.isin(orders["customer_id"].to_numpy(), lose)]  # payment is last
    per = kept.groupby("customer_id")["revenue"].agg(["size", "sum"])
    per_user = pd.DataFrame({"user_id": user_ids})
    per_user["variant"] = pd.Categorical.from_codes(
        is_b.astype(np.int64), categories=pd.Index(VARIANTS)
    )
    per_user["orders"] = per["size"].reindex(user_ids, fill_value=0).to_numpy().astype(np.int64)
    per_user["revenue"] = per["sum"].reindex(user_ids, fill_value=0.0).to_numpy()
    return DemoExperiment(out, per_user, stage, float(lift), store)
