"""Market basket analysis: association rules between items bought together, and cross-sell.

:func:`rules` finds every frequent item set and the rules splitting it (the figures of
mlxtend's ``fpgrowth`` + ``association_rules``), per segment or between categories;
:func:`cross_sell` ranks what to show beside one item. Returns, cancelled orders and lines
of quantity 0 are dropped and counted.
"""

from __future__ import annotations

from ._cross_sell import CrossSellResult, cross_sell
from ._result import BasketRulesResult
from ._rules import rules

__all__ = ["BasketRulesResult", "CrossSellResult", "cross_sell", "rules"]
