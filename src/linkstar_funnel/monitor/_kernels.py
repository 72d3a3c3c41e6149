"""Expected value and scale of each day, judged only by earlier days: robust and p-chart.

Each kernel takes one daily series on a complete calendar and the positions to judge,
and returns the expected value and the standard deviation ("scale") of each judged day
(NaN where there is not enough history). The caller turns them into ranges and alerts.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["DailySeries", "pchart", "robust"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Scale factor turning a median absolute deviation into a normal standard deviation.
MAD_TO_SD = 1.482602218505602
#: Variance of a sample median relative to the mean's, for normal data (pi / 2).
_MEDIAN_VAR = np.pi / 2
#: z-scores beyond this are clipped before the Laney moving ranges.
_Z_CLIP = 3.0
#: d2 for moving ranges of two points: E|X1 - X2| = 1.128 sigma for normal X.
D2 = 1.1283791670955126


@attrs.frozen(eq=False)
class DailySeries:
    """One metric (and segment) per calendar day.

    Attributes
    ----------
    days
        Consecutive local days (datetime64[ns], midnight).
    y
        The value per day, NaN where there is none.
    successes, trials
        Counts behind a rate, or ``None`` for a plain value.
    usable
        Days that may serve as history and be judged (value present, enough trials).
    day_key
        Days with equal keys are comparable (same day type); history uses only those.
    """

    days: npt.NDArray[np.datetime64]
    y: FloatArray
    successes: FloatArray | None
    trials: FloatArray | None
    usable: npt.NDArray[np.bool_]
    day_key: IntArray


def _history(s: DailySeries, t: int, window: int) -> IntArray:
    """Usable days in the ``window`` days before ``t``, of every day type."""
    lo = max(0, t - window)
    return lo + np.flatnonzero(s.usable[lo:t])


def _binomial_var(p: float | FloatArray, n: FloatArray) -> FloatArray:
    return np.asarray(p * (1.0 - p) / n, dtype=np.float64)


def _centres(s: DailySeries, h: IntArray, *, pooled_rate: bool) -> FloatArray:
    """Each history day's own day-type centre: median, or pooled rate sum(x) / sum(n)."""
    out = np.empty(len(h))
    keys = s.day_key[h]
    for key in np.unique(keys):
        same = keys == key
        if pooled_rate:
            assert s.successes is not None
            assert s.trials is not None
            out[same] = s.successes[h[same]].sum() / s.trials[h[same]].sum()
        else:
            out[same] = np.median(s.y[h[same]])
    return out


def robust(
    s: DailySeries, judge: IntArray, *, window: int, min_history: int
) -> tuple[FloatArray, FloatArray]:
    """Rolling median of the same day type over the previous ``window`` days, and a scale
    from the MAD of every history day around its own day type's median.

    Pooling the spread across day types keeps it stable when one type has few days (8
    weekend days in 4 weeks). For rates with counts the scale splits into the history's
    extra-binomial spread (MAD² minus its mean binomial variance, floored at 0) plus the
    judged day's own binomial variance, so a low-volume day gets a wider range rather
    than a false alarm.
    """
    expected = np.full(len(judge), np.nan)
    scale = np.full(len(judge), np.nan)
    for k, t in enumerate(judge):
        h = _history(s, int(t), window)
        same = h[s.day_key[h] == s.day_key[t]]
        if len(same) < min_history:
            continue
        centres = _centres(s, h, pooled_rate=False)
        med = float(np.median(s.y[same]))
        mad = MAD_TO_SD * float(np.median(np.abs(s.y[h] - centres)))
        var = mad * mad
        if s.trials is not None:
            base = float(np.mean(_binomial_var(np.clip(centres, 0.0, 1.0), s.trials[h])))
            p = min(max(med, 0.0), 1.0)
            var = max(var - base, 0.0) + float(_binomial_var(p, s.trials[t : t + 1])[0])
        # A prediction range: the median of m days is itself uncertain (variance ~ pi/2 var/m).
        expected[k] = med
        scale[k] = _floor(np.sqrt(var * (1.0 + _MEDIAN_VAR / len(same))), med)
    return expected, scale


def pchart(
    s: DailySeries, judge: IntArray, *, window: int, min_history: int, laney: bool
) -> tuple[FloatArray, FloatArray]:
    """p-chart with varying denominators: centre ``sum(x) / sum(n)`` of the same day type
    in the history, standard deviation ``sqrt(p (1 - p) / n_t)`` for the judged day's own
    ``n_t``.

    With ``laney=True`` the deviation is multiplied by Laney's (2002) ``sigma_z``: the
    average moving range / 1.128 of the history's z-scores (each day against its own day
    type's centre, all day types pooled, clipped to ±3), floored at 1 so the chart is never narrower
    than the binomial one. Real daily rates vary more than the binomial model says;
    without the correction large-volume series raise many false alarms.
    """
    assert s.successes is not None
    assert s.trials is not None
    expected = np.full(len(judge), np.nan)
    scale = np.full(len(judge), np.nan)
    for k, t in enumerate(judge):
        h = _history(s, int(t), window)
        same = h[s.day_key[h] == s.day_key[t]]
        if len(same) < min_history:
            continue
        pbar = float(s.successes[same].sum() / s.trials[same].sum())
        factor = 1.0
        if laney and 0.0 < pbar < 1.0 and len(h) > 2:
            centres = _centres(s, h, pooled_rate=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = (s.y[h] - centres) / np.sqrt(_binomial_var(centres, s.trials[h]))
            # Clipped, so one anomalous day in the history cannot widen the chart for weeks.
            z = np.clip(z[np.isfinite(z)], -_Z_CLIP, _Z_CLIP)
            if len(z) > 2:
                factor = max(float(np.mean(np.abs(np.diff(z)))) / D2, 1.0)
        # The centre's own binomial variance is added: a prediction range, not a fixed limit.
        n_centre = s.trials[same].sum()
        var = float(_binomial_var(pbar, s.trials[t : t + 1])[0]) + pbar * (1 - pbar) / n_centre
        sd = np.sqrt(var) * factor
        expected[k] = pbar
        scale[k] = _floor(sd, pbar)
    return expected, scale


def _floor(scale: float, centre: float) -> float:
    # A constant history has zero spread; keep a tiny positive scale so scores stay finite.
    return max(scale, 1e-9 * max(abs(centre), 1e-9))
