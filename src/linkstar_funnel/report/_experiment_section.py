"""Report section "Experiments": an A/B test on the funnel, in plain words.

Shown when the events have a variant column (``--variant COLUMN``; by default a column
named ``variant``): the funnel (the funnel section's stages, 7-day window) per variant,
every step's conversion from the previous stage compared with the control
(:meth:`FunnelResult.experiment`: frequentist, delta-method lift intervals, Holm across
steps and variants, a sample-ratio check), said in sentences
(:meth:`ExperimentResult.lines`), with the lift chart and the table behind it.

The control is the variant named ``control`` (or ``--control``), else the first in sorted
order. With ``--demo`` the store's users are split into a seeded test
(:func:`~linkstar_funnel.datasets.make_demo_experiment`, B lifting add-to-cart by a known
15%), and the section checks the estimate against that truth.
"""

from __future__ import annotations

import warnings
from typing import Any

import attrs
import pandas as pd

from ..errors import LinkstarWarning
from ..experiment import ExperimentResult
from ..funnel import Funnel
from ..plotting import figure_to_data_uri
from ._funnel_view import WINDOW, _pick_stages
from ._html import esc, figure, note, table
from ._sections import ReportContext, ReportData, register_section
from ._warning_notes import warning_notes

__all__ = [
    "CONTROL_EXTRA",
    "DEMO_LIFT",
    "VARIANT_EXTRA",
    "ExperimentView",
    "experiment_view",
    "render_experiment",
]

#: ``ReportData.extras`` keys of the variant column (``--variant``) and the control's name.
VARIANT_EXTRA = "variant_column"
CONTROL_EXTRA = "control_variant"
#: The demo test: B lifts add-to-cart (from product view) by 15%, on at most 60,000 users.
DEMO_LIFT = 0.15
DEMO_STAGE = "add_to_cart"
DEMO_TEST_USERS = 60_000
CACHE_KEY = "experiment-view"


@attrs.frozen(eq=False)
class ExperimentView:
    """The test's comparison and where its events came from."""

    result: ExperimentResult
    variant: str
    control: str
    users: int
    truth: str | None
    notes: tuple[str, ...]


def _events(data: ReportData) -> tuple[pd.DataFrame, str, str | None] | None:
    """The events with a variant column, the column, and the demo truth in words."""
    column = str(data.extras.get(VARIANT_EXTRA, "variant"))
    if data.events is not None and column in data.events.columns:
        return data.events, column, None
    store: Any = data.extras.get("store")
    if store is None or data.events is None or not hasattr(store, "truth"):
        return None
    from ..datasets import make_demo_experiment  # the demo pays for it only when shown

    n = min(int(store.truth.n_users), DEMO_TEST_USERS)
    demo = make_demo_experiment(n, seed=int(store.truth.seed), stage=DEMO_STAGE, lift=DEMO_LIFT)
    truth = (
        f"Demo test: {n:,} of the store's users split at random; B's true lift of "
        f"{DEMO_STAGE} (from the previous stage) is +{DEMO_LIFT:.0%}, every other step "
        "unchanged."
    )
    return demo.events, "variant", truth


def experiment_view(ctx: ReportContext) -> ExperimentView | None:
    """The comparison (cached in the context), or ``None`` without a variant column."""

    def compute() -> ExperimentView | None:
        data = ctx.data
        found = _events(data)
        if found is None:
            return None
        events, column, truth = found
        stages, _ = _pick_stages(data, events)
        if stages is None or len(stages) < 2:
            return None
        labels = sorted(map(str, pd.unique(events[column].dropna())))
        if len(labels) < 2:
            return None
        control = str(data.extras.get(CONTROL_EXTRA, "control"))
        if control not in labels:
            control = labels[0]
        cols = {"user": data.user, "time": data.time, "event": data.event}
        if truth is not None:
            cols = {"user": "user_id", "time": "timestamp", "event": "event"}
        with warnings.catch_warnings(
            record=True, action="always", category=LinkstarWarning
        ) as caught:
            funnel = Funnel(list(stages), window=WINDOW).compute(events, by=column, **cols)
            result = funnel.experiment(control=control, rate="conversion_from_previous")
        users = int(events[cols["user"]].nunique())
        notes = warning_notes(caught)
        return ExperimentView(result, column, control, users, truth, notes)

    view: ExperimentView | None = ctx.cached(CACHE_KEY, compute)
    return view


def lift_table(result: ExperimentResult) -> pd.DataFrame:
    """Each treatment's step: rates, the lift and its interval, the adjusted p-value."""
    f = result.to_frame()
    f = f.loc[~f["is_control"].astype(bool)]
    return pd.DataFrame(
        {
            "variant": f["variant"].astype(str).to_numpy(),
            "step": f["stage"].astype(str).to_numpy(),
            "users": f["users"].to_numpy(),
            "rate": f["rate"].to_numpy(),
            "lift": f["lift"].to_numpy(),
            "95% CI": [
                f"{lo:+.1%} to {hi:+.1%}" for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)
            ],
            "p (Holm)": [f"{p:.4f}" if p >= 1e-4 else "<0.0001" for p in f["p_value_adjusted"]],
            "significant": ["yes" if s else "no" for s in f["significant"]],
        }
    )


def _chart(result: ExperimentResult) -> str:
    ax: Any = result.plot()
    fig = ax.get_figure()
    fig.set_size_inches(8.0, 3.4)
    return figure(
        figure_to_data_uri(fig, dpi=110),
        alt="Lift of each step's conversion against the control, with intervals",
        caption="Lift against the control per step (95% intervals); coloured: significant.",
    )


def render_experiment(view: ExperimentView) -> str:
    """The section's HTML (all text escaped)."""
    srm = float(view.result.to_frame()["srm_p_value"].iloc[0])
    parts = [
        note(
            f"Variants from the {view.variant!r} column ({view.users:,} users), each step's "
            f"conversion from the previous stage against {view.control!r}: two-sided tests, "
            "delta-method intervals for the relative lift, Holm-adjusted across steps and "
            f"variants. Sample-ratio check: p = {srm:.3f} against an equal split"
            + (" (the split is suspicious: check the assignment)." if srm < 0.001 else ".")
        ),
    ]
    parts += [f"<p><strong>{esc(line)}</strong></p>" for line in view.result.lines()]
    if view.truth is not None:
        parts.append(note(view.truth))
    parts += [
        _chart(view.result),
        table(
            lift_table(view.result),
            percent=("rate", "lift"),
            decimals={"rate": 1, "lift": 1},
        ),
    ]
    parts += [note(f"Data note: {text}") for text in view.notes]
    return "".join(parts)


@register_section("experiments", order=25, title="Experiments")
def _experiment_section(ctx: ReportContext) -> str | None:
    view = experiment_view(ctx)
    return None if view is None else render_experiment(view)
