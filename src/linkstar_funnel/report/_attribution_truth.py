"""The demo store's true channel credit, and how far each attribution model lands from it.

In :func:`~linkstar_funnel.datasets.make_demo_store` a user's acquisition channel (with its
creative) sets every step rate down to payment, and repeat orders and order values do not
depend on any touch. Touches that bring a user back for a later session are drawn from
``truth.channel_mix["return_share"]`` after the session is decided, and ad views that lead
nowhere from ``view_share``: neither changes whether or how much anyone buys. So the true
credit of an order belongs entirely to the channel that acquired its customer, which the
demo's ``orders["channel"]`` records, and the true share of a channel is the share of the
orders (and of the revenue) placed by the customers it acquired.

The truth tables give the same shares in expectation: a channel's buyers are proportional
to ``acquisition_share * conversion_multiplier * mean creative click multiplier`` (the
other segments are drawn independently of the channel), so :attr:`TruthCheck.channels`
shows both, and their distance is the sampling noise of the realised truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np
import pandas as pd

from ..attribution import DIRECT_NONE
from ._html import fmt_number, note, table

if TYPE_CHECKING:
    from ..attribution import AttributionComparisonResult
    from ..datasets import DemoStore

__all__ = ["TruthCheck", "expected_shares", "render_truth", "total_variation", "truth_check"]


def total_variation(p: pd.Series[float], q: pd.Series[float]) -> float:
    """Total variation distance ``½ Σ |p_c - q_c|`` between two shares over their channels.

    A channel missing from one side counts as 0 there. The distance is the share of
    conversions that must move between channels to turn one split into the other.

    Examples
    --------
    >>> import pandas as pd
    >>> total_variation(pd.Series({"a": 0.5, "b": 0.5}), pd.Series({"a": 0.8, "c": 0.2}))
    0.5
    """
    idx = p.index.union(q.index, sort=False)
    diff = p.reindex(idx, fill_value=0.0) - q.reindex(idx, fill_value=0.0)
    return round(0.5 * float(np.abs(diff.to_numpy(dtype=np.float64)).sum()), 12)


def expected_shares(store: DemoStore) -> pd.DataFrame:
    """Per channel: acquisition share, conversion and click multipliers, expected order share."""
    truth = store.truth
    mix = truth.channel_mix.set_index("channel")["acquisition_share"]
    conv = truth.channel_effects.drop_duplicates("channel").set_index("channel")
    cr = truth.creatives
    click = (cr["share_in_channel"] * cr["click_multiplier"]).groupby(cr["channel"]).sum()
    out = pd.DataFrame(
        {
            "acquisition_share": mix,
            "conversion_multiplier": conv["conversion_multiplier"].reindex(mix.index),
            "creative_click_multiplier": click.reindex(mix.index),
        }
    )
    weight = out.prod(axis=1)
    out["expected_share"] = weight / weight.sum()
    out.index = out.index.astype(str)
    out.index.name = "channel"
    return out


@attrs.frozen(eq=False)
class TruthCheck:
    """The true credit on the orders attributed, and each model's distance to it.

    Attributes
    ----------
    channels
        Index ``channel``; ``acquisition_share``, ``conversion_multiplier``,
        ``creative_click_multiplier``, ``expected_share`` (from the truth tables),
        ``true_orders``, ``true_revenue`` (orders and revenue of the customers each channel
        acquired), ``true_share`` and ``true_value_share``.
    distances
        One row per model, in the comparison's order: ``model``, ``distance``
        (conversions), ``value_distance`` (revenue), ``direct_none`` (share credited to
        ``"(direct/none)"``, which the truth never credits) and ``spread_distance`` (the
        distance once that credit is spread over the other channels in proportion).
    noise
        Distance between the expected and the realised true shares (sampling noise).
    """

    channels: pd.DataFrame = attrs.field(eq=False)
    distances: pd.DataFrame = attrs.field(eq=False)
    noise: float

    def ranked(self) -> list[tuple[str, float]]:
        """``(model, distance)`` pairs, closest to the truth first."""
        d = self.distances.sort_values("distance", kind="stable")
        return list(zip(d["model"].astype(str), d["distance"].astype(float), strict=True))

    def true_share(self, channel: str) -> float:
        """The share of the orders placed by customers ``channel`` acquired."""
        return float(self.channels["true_share"].get(channel, 0.0))


def truth_check(
    store: DemoStore, orders: pd.DataFrame, comparison: AttributionComparisonResult
) -> TruthCheck:
    """Compare ``comparison`` (on ``orders``, rows of ``store.orders``) with the true credit."""
    channel = orders["channel"].astype(str)
    revenue = orders["revenue"].astype(np.float64)
    table = expected_shares(store)
    table["true_orders"] = channel.value_counts().reindex(table.index, fill_value=0)
    table["true_revenue"] = revenue.groupby(channel).sum().reindex(table.index, fill_value=0.0)
    n, value = float(table["true_orders"].sum()), float(table["true_revenue"].sum())
    table["true_share"] = table["true_orders"] / n if n else 0.0
    table["true_value_share"] = table["true_revenue"] / value if value else 0.0
    rows = []
    for label, res in zip(comparison.labels, comparison.results, strict=True):
        conv, val = res.credit("conversions"), res.credit("value")
        share = conv / conv.sum() if conv.sum() > 0 else conv
        vshare = val / val.sum() if val.sum() > 0 else val
        touched = share.drop(DIRECT_NONE, errors="ignore")
        spread = touched / touched.sum() if touched.sum() > 0 else touched
        rows.append(
            {
                "model": label,
                "distance": total_variation(share, table["true_share"]),
                "value_distance": total_variation(vshare, table["true_value_share"]),
                "direct_none": float(share.get(DIRECT_NONE, 0.0)),
                "spread_distance": total_variation(spread, table["true_share"]),
            }
        )
    noise = total_variation(table["expected_share"], table["true_share"])
    return TruthCheck(channels=table, distances=pd.DataFrame(rows), noise=noise)


_TRUTH_NOTE = (
    "How the truth is defined: in the demo store only the touch that acquired a user sets "
    "their chance to buy (through the channel's and the creative's step multipliers); repeat "
    "orders and order values do not depend on touches, touches that bring a user back are "
    "drawn after the return is decided, and ad views lead nowhere. So each order's true credit "
    "belongs to its customer's acquisition channel, and a model's distance is the total "
    "variation ½ Σ |model share - true share| over channels: the share of orders it credits "
    "to the wrong channel."
)
_READING_NOTE = (
    f"The truth never credits {DIRECT_NONE}, so orders without a touch "
    "in the lookback (mostly repeat orders: a new journey starts after each order) count as "
    f"misplaced; the last column spreads {DIRECT_NONE}'s credit over the other channels in "
    "proportion. First touch is right by construction whenever the acquisition touch is "
    "inside the lookback, because that touch comes first: this checks the machinery on a "
    "known answer; it is not a ranking of models for real data."
)
_CHANNEL_COLUMNS = {
    "channel": "channel",
    "acquisition_share": "acq. share",
    "conversion_multiplier": "conv. mult.",
    "creative_click_multiplier": "click mult.",
    "expected_share": "expected share",
    "true_orders": "orders",
    "true_share": "true share",
    "true_value_share": "true revenue share",
}


def render_truth(truth: TruthCheck, order: Sequence[str]) -> str:
    """The truth tables and their notes (escaped HTML), channels in ``order``."""
    shown = [c for c in order if c in truth.channels.index]
    ch = truth.channels.reindex(shown).reset_index()[list(_CHANNEL_COLUMNS)]
    ch = ch.rename(columns=_CHANNEL_COLUMNS)
    d = truth.distances.sort_values("distance", kind="stable").rename(
        columns={
            "distance": "orders misplaced",
            "value_distance": "revenue misplaced",
            "direct_none": f"credit to {DIRECT_NONE}",
            "spread_distance": f"misplaced, {DIRECT_NONE} spread",
        }
    )
    return "".join(
        [
            note(_TRUTH_NOTE),
            note(_READING_NOTE),
            table(
                ch,
                percent=("acq. share", "expected share", "true share", "true revenue share"),
                decimals={"conv. mult.": 2, "click mult.": 2},
                caption="True credit: the channel that acquired each order's customer",
            ),
            note(
                "Acq. share: the channel's share of acquired users; conv. mult.: its effect "
                "on impression-to-payment conversion; click mult.: its creatives' mean click "
                "multiplier (truth.channel_mix, truth.channel_effects, truth.creatives). "
                "Expected share: their product, normalised. It differs from the realised "
                f"true share by {fmt_number(truth.noise, percent=True)} (total variation), the "
                "sampling noise of this many orders."
            ),
            table(
                d,
                percent=[c for c in d.columns if c != "model"],
                caption="Distance of each model from the true credit (smaller is better)",
            ),
        ]
    )
