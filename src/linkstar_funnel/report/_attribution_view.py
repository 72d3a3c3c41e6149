"""What the attribution section computes: journeys and every model's credit, once.

:func:`attribution_view` builds the journeys from the touchpoints and the kept orders
(refunded or cancelled ones are not conversions), runs every model of :data:`MODELS` on
them and, given spend, the channel economics; the section renders the
:class:`AttributionView` it returns.
"""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd

from ..attribution import (
    AttributionComparisonResult,
    AttributionModel,
    ChannelEconomicsResult,
    FirstTouch,
    Journeys,
    LastNonDirect,
    LastTouch,
    Linear,
    Markov,
    MarkovResult,
    PositionBased,
    Shapley,
    TimeDecay,
    compare_attribution,
)
from ..errors import DataQualityWarning
from ._attribution_truth import TruthCheck, truth_check
from ._sections import ReportData

__all__ = [
    "ECONOMICS_MODELS",
    "EXCLUDED_STATUSES",
    "LOOKBACK",
    "MODELS",
    "STORE_EXTRA",
    "AttributionView",
    "attribution_view",
]


#: The models compared, in the order of the tables' columns.
MODELS: tuple[AttributionModel, ...] = (
    FirstTouch(),
    LastTouch(),
    LastNonDirect(),
    Linear(),
    PositionBased(),
    TimeDecay(),
    Markov(),
    Shapley(),
)
#: Models whose CPA and ROAS the economics table shows.
ECONOMICS_MODELS = ("Last touch", "Markov", "Shapley")
#: Order statuses (compared case-insensitively) that are not conversions.
EXCLUDED_STATUSES = frozenset({"refunded", "cancelled", "canceled", "returned"})
LOOKBACK = "30D"
#: ``ReportData.extras`` key of the demo store, whose truth the section compares with.
STORE_EXTRA = "store"
# Paths are never shown: a separator no channel name is likely to contain.
_SEP = "\u2192"


@attrs.frozen(eq=False)
class AttributionView:
    """What the section shows, computed from the report's data.

    Attributes
    ----------
    journeys
        Journeys built from the touchpoints and the orders kept.
    comparison
        Every model of :data:`MODELS` on ``journeys``.
    orders_in, orders_excluded
        Order rows read, and rows left out (refunded/cancelled status, negative revenue).
    economics
        CPA and ROAS of every model given spend (``None`` without spend).
    truth
        The demo store's true credit and each model's distance to it (else ``None``).
    """

    journeys: Journeys
    comparison: AttributionComparisonResult
    orders_in: int
    orders_excluded: int
    economics: ChannelEconomicsResult | None
    truth: TruthCheck | None

    def shares(self, metric: str = "conversions") -> pd.DataFrame:
        """Each channel's share of ``metric`` credit: channels as rows, models as columns."""
        wide = self.comparison.wide("value" if metric == "value" else "conversions")
        total = self.journeys.total_value if metric == "value" else self.journeys.total_conversions
        return wide / total if total > 0 else wide * 0.0

    @property
    def markov(self) -> MarkovResult:
        """The Markov model's result (removal effects, P(conversion))."""
        res = self.comparison.results[self.comparison.labels.index("Markov")]
        assert isinstance(res, MarkovResult)
        return res


def _kept_orders(data: ReportData) -> tuple[pd.DataFrame, int] | None:
    orders = data.orders
    if orders is None:
        return None
    keep = np.ones(len(orders), dtype=bool)
    if "status" in orders.columns:
        status = orders["status"].astype("string").str.strip().str.lower()
        keep &= ~status.isin(EXCLUDED_STATUSES).fillna(value=False).to_numpy(dtype=bool)
    if data.revenue in orders.columns and pd.api.types.is_numeric_dtype(orders[data.revenue]):
        keep &= ~(orders[data.revenue] < 0).to_numpy(dtype=bool)  # refund lines
    return orders[keep], int((~keep).sum())


def attribution_view(data: ReportData, *, channel: str = "channel") -> AttributionView | None:
    """Journeys, all eight models, economics and (demo store) truth; ``None`` without inputs."""
    kept = _kept_orders(data)
    if data.touchpoints is None or kept is None:
        return None
    orders, excluded = kept
    journeys = Journeys.from_touchpoints(
        data.touchpoints,
        orders,
        user=data.user,
        time=data.time,
        channel=channel,
        lookback=LOOKBACK,
        conversion_user=data.customer,
        conversion_time=data.order_time,
        value=data.revenue,
        sep=_SEP,
    )
    comparison = compare_attribution(MODELS, journeys)
    economics = None
    if data.spend is not None:
        # Channels without spend (organic, direct) have no CPA: the library warns, and its
        # provenance notes (shown under the tables) say which channels and why.
        with warnings.catch_warnings(record=True, action="always", category=DataQualityWarning):
            economics = comparison.economics(data.spend, channel=channel, cost="cost")
    truth = None
    if STORE_EXTRA in data.extras:
        from ..datasets import DemoStore  # only the demo pays for importing the simulator

        store = data.extras[STORE_EXTRA]
        if isinstance(store, DemoStore) and data.orders is store.orders:
            truth = truth_check(store, orders, comparison)
    n_in = len(data.orders) if data.orders is not None else 0
    return AttributionView(journeys, comparison, n_in, excluded, economics, truth)
