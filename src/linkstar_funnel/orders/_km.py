"""The Kaplan-Meier estimate of a duration's survival function, and its quantiles.

Durations are int64 (nanoseconds); an order still open when observation ends contributes
a *censored* duration: it is known to last at least that long. At a time where some
durations end and others are censored, the censored ones count as still at risk (the
usual convention: censoring happens just after the events of the same instant).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["kaplan_meier", "km_quantiles"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Survival values this close to a level count as reaching it (products of ratios round).
_TOL = 1e-9


def kaplan_meier(durations: IntArray, observed: BoolArray) -> tuple[IntArray, FloatArray]:
    """The Kaplan-Meier survival function: its event times and ``S(t)`` just after each.

    Parameters
    ----------
    durations
        Non-negative durations (int64).
    observed
        ``True`` where the duration ended (the step was reached), ``False`` where it is
        censored.

    Returns
    -------
    (times, survival)
        The distinct times at which at least one duration ended, ascending, and
        ``S(t) = prod over t_i <= t of (1 - d_i / n_i)``, where ``d_i`` durations end at
        ``t_i`` and ``n_i`` are still at risk (duration >= ``t_i``).

    Examples
    --------
    >>> t, s = kaplan_meier(np.array([1, 2, 2, 3]), np.array([True, True, False, True]))
    >>> t.tolist(), s.round(4).tolist()
    ([1, 2, 3], [0.75, 0.5, 0.0])
    """
    d = np.asarray(durations, dtype=np.int64)
    e = np.asarray(observed, dtype=bool)
    if d.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    order = np.argsort(d, kind="stable")
    d, e = d[order], e[order]
    times, first = np.unique(d, return_index=True)
    at_risk = d.size - first  # durations >= each distinct time
    events = np.add.reduceat(e.astype(np.int64), first)
    hit = events > 0
    times, at_risk, events = times[hit], at_risk[hit], events[hit]
    survival = np.cumprod(1.0 - events / at_risk).astype(np.float64)
    return times, survival


def km_quantiles(
    durations: IntArray, observed: BoolArray, probs: tuple[float, ...]
) -> tuple[IntArray, BoolArray]:
    """Quantiles of the duration from the Kaplan-Meier estimate.

    The ``p`` quantile is the first event time at which ``S(t) <= 1 - p`` (lifelines'
    ``qth_survival_time``; without censoring, numpy's ``inverted_cdf`` quantile). It is
    unknown when the estimate never falls that low (too many orders still open).

    Returns
    -------
    (values, known)
        One int64 value per ``p`` (0 where unknown) and whether it is known.

    Examples
    --------
    >>> values, known = km_quantiles(np.array([5, 1, 3, 9]), np.ones(4, bool), (0.5, 0.9))
    >>> values.tolist(), known.tolist()
    ([3, 9], [True, True])
    >>> km_quantiles(np.array([5, 1, 3, 9]), np.array([0, 1, 0, 0], bool), (0.5,))[1].tolist()
    [False]
    """
    times, survival = kaplan_meier(durations, observed)
    values = np.zeros(len(probs), dtype=np.int64)
    known = np.zeros(len(probs), dtype=bool)
    for k, p in enumerate(probs):
        below = np.flatnonzero(survival <= 1.0 - p + _TOL)
        if below.size:
            values[k] = times[below[0]]
            known[k] = True
    return values, known
