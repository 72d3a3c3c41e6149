"""KPI trees: GMV = traffic * CVR * AOV, evaluated on data and its change decomposed.

* :class:`KPITree` — nodes (:class:`Leaf`, :class:`Product`, :class:`Ratio`, :class:`Sum`)
  built from formula lines, with owners and units; ``evaluate`` gives every node's value
  per period and segment (:class:`KPIValuesResult`); on a pandas frame in memory, on an
  engine table (Ibis, DuckDB, Parquet, Spark) through the ``kpi_leaf_sums`` engine;
* ``decompose`` splits the root's change between two periods among the drivers at every
  level (:class:`DecompositionResult`) with :class:`LMDI` (LMDI-I, additive and
  multiplicative), :class:`Shapley` (exact, nested) or :class:`Sequential` (explicit
  order, order dependent); ``decompose_structure`` adds activity / structure / intensity
  effects across segments; ``mix_rate`` / :func:`mix_rate` split a ratio into mix and
  rate (:class:`MixRateResult`);
* ``target`` (:class:`TargetResult`) and ``sensitivity`` (:class:`SensitivityResult`);
* platform trees: ``KPITree.template("amazon" | "shopify" | "tiktok_shop" | "own_site")``
  (:class:`KPITemplate`, :func:`templates`, :func:`register_template`);
  ``scorecard`` (:class:`ScorecardResult`: actual against target, paced, with owners and
  the driver of each gap) and ``baseline`` (:class:`BaselineResult`).

New decomposition methods implement the :class:`Decomposition` protocol, register with
:func:`register_decomposition` and can be checked with :func:`check_decomposition`.
Leaves can be supplied by other results through the :class:`NodeSource` protocol.
"""

from __future__ import annotations

from .._deprecation import renamed_attributes
from ._baseline import BaselineResult
from ._decomposition import DecompositionResult
from ._lmdi import LMDI, log_mean
from ._mix import MixRateResult, mix_rate
from ._nodes import Leaf, Node, Product, Ratio, Sum
from ._protocol import (
    Decomposition,
    check_decomposition,
    decomposition_methods,
    register_decomposition,
)
from ._scorecard import ScorecardResult
from ._sensitivity import SensitivityResult
from ._sequential import Sequential
from ._shapley import Shapley
from ._targets import TargetResult
from ._templates import KPITemplate, get_template, register_template, templates
from ._tree import KPITree
from ._values import KPIValuesResult, NodeSource

__all__ = [
    "LMDI",
    "BaselineResult",
    "Decomposition",
    "DecompositionResult",
    "KPITemplate",
    "KPITree",
    "KPIValuesResult",
    "Leaf",
    "MixRateResult",
    "Node",
    "NodeSource",
    "Product",
    "Ratio",
    "ScorecardResult",
    "SensitivityResult",
    "Sequential",
    "Shapley",
    "Sum",
    "TargetResult",
    "check_decomposition",
    "decomposition_methods",
    "get_template",
    "log_mean",
    "mix_rate",
    "register_decomposition",
    "register_template",
    "templates",
]

#: Old names served for one release with a DeprecationWarning naming the new one.
_RENAMED: dict[str, tuple[str, object]] = {"KPIValues": ("KPIValuesResult", KPIValuesResult)}
__getattr__ = renamed_attributes(__name__, _RENAMED)
