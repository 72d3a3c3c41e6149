"""Shapley-value attribution, exact for any number of channels.

The cooperative game: the worth of a coalition ``S`` of channels is the conversions (or
value) of the journeys whose *set* of channels lies inside ``S``,
``v(S) = Σ_{T ⊆ S} x_T`` with ``x_T`` the conversions of journeys whose channel set is
exactly ``T``. This ``v`` is a sum of unanimity games, one per channel set ``T`` with
weight ``x_T``, and the Shapley value of a unanimity game splits its weight equally among
``T``'s members. Hence the exact Shapley value, for any number of channels, is

    φ_c = Σ_{T ∋ c} x_T / |T|

(Zhao et al., 2018, "Shapley value methods for attribution modeling in online
advertising", the "simplified Shapley value"), computed in one pass over the touches,
where enumerating the ``2^n`` coalitions would be infeasible beyond ~25 channels.

Repeats: coalitions are sets, so a channel touched several times in a journey counts once
and order does not matter. Non-converting journeys do not enter this worth function.
"""

from __future__ import annotations

import attrs
import numpy as np

from ._journeys import Journeys
from ._result import AttributionResult, make_result
from ._rules import ATTRIBUTE, credit_touches

__all__ = ["Shapley"]


@attrs.frozen
class Shapley:
    """Exact Shapley values of the "conversions of journeys inside the coalition" game.

    Equal to :class:`Linear` with ``repeats="unique"`` by the theorem in the module notes;
    the test suite checks it against brute-force enumeration of all ``2^n`` coalitions.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["a > b > a", "b", "c > a"], "conv": [2, 1, 4]})
    >>> j = la.Journeys.from_paths(df, conversions="conv")
    >>> la.Shapley().attribute(j).credit().to_dict()
    {'a': 3.0, 'b': 2.0, 'c': 2.0}
    """

    @property
    def name(self) -> str:
        """Display name."""
        return "Shapley"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Shapley value of each channel, in conversions and in value."""
        j = journeys.unique_channels()
        weights = 1.0 / j.lengths[j.journey_of_touch].astype(np.float64)
        conv, val = credit_touches(j, weights)
        return make_result(
            self,
            journeys,
            conv,
            val,
            notes=("Shapley over channel sets (repeats and order ignored), exact closed form",),
        )
