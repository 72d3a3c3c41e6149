"""Benchmarks: compare observed rates with industry figures, your own history or targets.

A :class:`Benchmark` holds dated, sourced reference rates (:class:`Reference`), each for a
stage, optionally measured from a ``base`` stage and for a segment. Comparing it with
*rate observations* (a frame of ``stage``, ``successes``, ``trials``, segment columns...,
or any :class:`RateSource`) gives per row: observed, reference, difference, a Wilson
interval, a test against the reference, Benjamini-Hochberg q-values, a verdict and the
impact in orders or money.

Named sets live in one registry (:func:`register_benchmark`, :func:`get_benchmark`,
:func:`available_benchmarks`); :func:`check_benchmark_set` checks a set before it is
shared. The statistics are :mod:`linkstar_funnel.stats`' (re-exported here).

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.benchmark import get_benchmark, observations_from_counts
>>> counts = pd.DataFrame({"stage": ["visit", "add_to_cart", "checkout", "payment"],
...                        "users": [20_000, 1_400, 700, 260]})
>>> obs = observations_from_counts(counts, value_per_order=60.0)
>>> cmp = get_benchmark("industry").compare(obs)
>>> cmp.to_frame()[["stage", "base", "observed", "reference", "verdict"]]
         stage         base  observed  reference  verdict
0  add_to_cart        visit  0.070000     0.0520    above
1      payment        visit  0.013000     0.0162    below
2      payment  add_to_cart  0.185714     0.2981    below
3      payment     checkout  0.371429     0.4520    below
"""

from __future__ import annotations

from .._deprecation import renamed_attributes
from ..stats import (
    bh_qvalues,
    binomial_test,
    newcombe_interval,
    prob_below,
    score_test,
    two_proportion_test,
    wilson_interval,
)
from ._compare import BenchmarkComparisonResult, ComparisonSpec, compare
from ._kit import check_benchmark_set
from ._observations import RateSource, observations_from_counts, validate_observations
from ._reference import Reference
from ._registry import available_benchmarks, get_benchmark, register_benchmark
from ._sets import Benchmark

__all__ = [
    "Benchmark",
    "BenchmarkComparisonResult",
    "ComparisonSpec",
    "RateSource",
    "Reference",
    "available_benchmarks",
    "bh_qvalues",
    "binomial_test",
    "check_benchmark_set",
    "compare",
    "get_benchmark",
    "newcombe_interval",
    "observations_from_counts",
    "prob_below",
    "register_benchmark",
    "score_test",
    "two_proportion_test",
    "validate_observations",
    "wilson_interval",
]

#: Old names served for one release with a DeprecationWarning naming the new one.
_RENAMED: dict[str, tuple[str, object]] = {
    "BenchmarkComparison": ("BenchmarkComparisonResult", BenchmarkComparisonResult)
}
__getattr__ = renamed_attributes(__name__, _RENAMED)
