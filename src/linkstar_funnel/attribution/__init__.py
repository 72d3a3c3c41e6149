"""Attribution: which channel earned the sale, by eight explicit, exact models.

* :class:`Journeys` — converting and non-converting paths, from path strings
  (:meth:`Journeys.from_paths`) or from touchpoints and conversions with a lookback window
  (:meth:`Journeys.from_touchpoints`);
* rule-based models :class:`FirstTouch`, :class:`LastTouch`, :class:`LastNonDirect`,
  :class:`Linear`, :class:`PositionBased`, :class:`TimeDecay`; :class:`Markov` (removal
  effects of an order-k absorbing chain, solved exactly); :class:`Shapley` (exact);
* every model returns an :class:`AttributionResult` whose conversions and value sum to the
  journeys' totals; :func:`compare_attribution` puts several side by side, and
  :func:`channel_economics` adds spend for CPA and ROAS;
* :class:`AttributionModel` is the protocol; :func:`check_attribution_model` checks yours.

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

from ._compare import AttributionComparison, compare_attribution
from ._economics import ChannelEconomics, channel_economics
from ._journeys import DIRECT_NONE, Journeys
from ._markov import Markov
from ._protocol import AttributionModel, check_attribution_model, sample_journeys
from ._result import AttributionResult, MarkovResult
from ._rules import FirstTouch, LastNonDirect, LastTouch, Linear, PositionBased, TimeDecay
from ._shapley import Shapley
from ._touchpoints import journeys_from_touchpoints

__all__ = [
    "DIRECT_NONE",
    "AttributionComparison",
    "AttributionModel",
    "AttributionResult",
    "ChannelEconomics",
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
