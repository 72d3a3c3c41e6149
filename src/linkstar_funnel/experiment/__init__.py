"""Experiments: A/B tests of rates, means and funnels, with honest statistics.

* :func:`compare_rates` — conversion rates per variant (counts);
* :func:`compare_means` — a per-user value (revenue...), with CUPED (``covariate=``) or as
  a ratio metric (``denominator=``);
* :func:`compare_funnel` — every funnel step (``FunnelResult.experiment`` calls it);
* :func:`correct` — one Holm or Benjamini-Hochberg family over several metrics;
* :func:`sample_size`, :func:`minimum_detectable_effect` — planning;
* :func:`srm_p_value` — the sample-ratio-mismatch check every result carries.

Each comparison is ``"frequentist"`` (Welch t-test), ``"bayesian"`` (chance to beat
control, credible interval, risk) or ``"sequential"`` (always-valid intervals: peek every
day), reports the relative lift with a delta-method interval (``absolute=True``: the
difference), corrects p-values across variants and steps (Holm by default, ``"bh"``), and
checks the traffic split. The numbers are GrowthBook's ``gbstats`` (0.8.0): the tests
compare them on generated cases to 1e-6.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel import experiment
>>> counts = pd.DataFrame({"variant": ["control", "B"], "users": [20_000, 20_000],
...                        "conversions": [600, 690]})
>>> experiment.compare_rates(counts, control="control", method="bayesian").lines()
['B raises conversions by 15.0% (95% credible interval 2.6% to 27.4%, 99.1% chance to beat control).']
>>> experiment.sample_size(baseline=0.03, mde=0.10)
53182
"""

from __future__ import annotations

from ._analysis import srm_p_value
from ._compare import compare_means, compare_rates
from ._funnel import compare_funnel
from ._multiple import correct
from ._power import minimum_detectable_effect, sample_size
from ._result import ExperimentResult
from ._spec import ExperimentSpec

__all__ = [
    "ExperimentResult",
    "ExperimentSpec",
    "compare_funnel",
    "compare_means",
    "compare_rates",
    "correct",
    "minimum_detectable_effect",
    "sample_size",
    "srm_p_value",
]
