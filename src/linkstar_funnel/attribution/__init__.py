"""Attribution: which channel earned the sale, by eight explicit, exact models.

* :class:`Journeys` — converting and non-converting paths, from path strings
  (:meth:`Journeys.from_paths`) or from touchpoints and conversions with a lookback window
  (:meth:`Journeys.from_touchpoints`);
* rule-based models :class:`FirstTouch`, :class:`LastTouch`, :class:`LastNonDirect`,
  :class:`Linear`, :class:`PositionBased`, :class:`TimeDecay`; :class:`Markov` (removal
  effects of an order-k absorbing chain, solved exactly); :class:`Shapley` (exact);
* every model returns an :class:`AttributionResult` whose conversions and value sum to the
  journeys' totals; :func:`compare_attribution` puts several side by side
  (:class:`AttributionComparisonResult`), and :func:`channel_economics` adds spend for CPA
  and ROAS (:class:`ChannelEconomicsResult`);
* :class:`AttributionModel` is the protocol; :func:`check_attribution_model` checks yours.

Journeys from touchpoints are computed by the engine that fits the input (pandas in
memory; Ibis tables, DuckDB relations, Parquet and Spark through
:mod:`linkstar_funnel.engines`). ``AttributionComparison`` and ``ChannelEconomics`` are the
deprecated names of the two result classes (one release).

Examples
--------
>>> import pandas as pd
>>> import linkstar_funnel.attribution as la
>>> df = pd.DataFrame({"path": ["search > email", "social > search", "email"],
...                    "conv": [3, 1, 2], "revenue": [90.0, 25.0, 40.0], "null": [7, 9, 4]})
>>> j = la.Journeys.from_paths(df, conversions="conv", value="revenue", null="null")
>>> la.compare_attribution([la.LastTouch(), la.Linear(), la.Markov()], j).wide().round(2)
model    Last touch  Linear  Markov
channel
search          1.0     2.0    2.21
email           5.0     3.5    2.68
social          0.0     0.5    1.11
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._deprecation import renamed_attributes
from ._compare import AttributionComparisonResult, compare_attribution
from ._economics import ChannelEconomicsResult, channel_economics
from ._journeys import DIRECT_NONE, Journeys
from ._markov import Markov
from ._protocol import AttributionModel, check_attribution_model, sample_journeys
from ._result import AttributionResult, MarkovResult
from ._rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from ._shapley import Shapley
from ._touchpoints import journeys_from_touchpoints

__all__ = [
    "DIRECT_NONE",
    "AttributionComparisonResult",
    "AttributionModel",
    "AttributionResult",
    "ChannelEconomicsResult",
    "FirstTouch",
    "Journeys",
    "LastNonDirect",
    "LastTouch",
    "Linear",
    "Markov",
    "MarkovResult",
    "PositionBased",
    "Shapley",
    "TimeDecay",
    "channel_economics",
    "check_attribution_model",
    "compare_attribution",
    "journeys_from_touchpoints",
    "sample_journeys",
]

_RENAMED: dict[str, tuple[str, object]] = {
    "AttributionComparison": ("AttributionComparisonResult", AttributionComparisonResult),
    "ChannelEconomics": ("ChannelEconomicsResult", ChannelEconomicsResult),
}
__getattr__ = renamed_attributes(__name__, _RENAMED)

if TYPE_CHECKING:  # the old names, typed; at run time __getattr__ serves them with a warning
    AttributionComparison = AttributionComparisonResult
    ChannelEconomics = ChannelEconomicsResult
