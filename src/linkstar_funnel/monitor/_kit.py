"""``check_monitor_method``: the conformance kit for monitor methods.

A method is run on seeded synthetic daily series (a rate with counts, and plain values
when it does not need counts) and held to what the monitor relies on: two float arrays of
the judged days' length, a positive scale wherever a value is expected, values once
history is long enough, no look at the judged day or later ones, no change to the series,
the same answer twice, few alarms on a clean series and an alarm on an obvious drop. Every
check runs; one :class:`~linkstar_funnel.errors.ConformanceError` lists all failures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from .._params import Integer, validate_params
from ..stats import z_value
from ._alerts import AlertsResult
from ._kernels import DailySeries, FloatArray, IntArray
from ._methods import METHOD, MonitorMethod, method_name, resolve_method
from ._spec import Monitor

__all__ = ["check_monitor_method"]

_PROTOCOL = "MonitorMethod"
_DAYS = 70
_START = pd.Timestamp("2026-01-05")  # a Monday
#: Judged days: the last three weeks, after seven weeks of history.
_JUDGE = np.arange(49, _DAYS, dtype=np.int64)
#: Days checked for look-ahead (the judged day and every later one are changed).
_PEEK = (52, 60, 66)
#: Alarm level of the clean-series and drop checks, and the share of clean days allowed out.
_ALPHA = 0.001
_CLEAN_OUT = 0.1


def _rate_series(seed: int, drop_at: int | None = None) -> DailySeries:
    """A daily rate: weekdays 30% of ~1,000 trials, weekends 27% of ~700."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(_START, periods=_DAYS, freq="D")
    weekend = np.asarray(days.day_of_week >= 5)
    trials = np.where(weekend, rng.integers(650, 750, _DAYS), rng.integers(950, 1050, _DAYS))
    p = np.where(weekend, 0.27, 0.30)
    if drop_at is not None:
        p = np.where(np.arange(_DAYS) == drop_at, p * 0.5, p)
    successes = rng.binomial(trials, p).astype(np.float64)
    n = trials.astype(np.float64)
    return DailySeries(
        days.to_numpy(),
        successes / n,
        successes,
        n,
        np.ones(_DAYS, dtype=bool),
        weekend.astype(np.int64),
    )


def _value_series(seed: int) -> DailySeries:
    """Plain daily values around 100 (s.d. 2), no counts."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(_START, periods=_DAYS, freq="D")
    weekend = np.asarray(days.day_of_week >= 5)
    y = 100.0 + rng.normal(0.0, 2.0, _DAYS)
    return DailySeries(
        days.to_numpy(), y, None, None, np.ones(_DAYS, dtype=bool), weekend.astype(np.int64)
    )


def _changed_from(s: DailySeries, t: int) -> DailySeries:
    """``s`` with the day ``t`` and every later day halved: what a method must not see."""
    y = s.y.copy()
    y[t:] *= 0.5
    successes = None
    if s.successes is not None and s.trials is not None:
        successes = s.successes.copy()
        successes[t:] = np.floor(successes[t:] * 0.5)
        y[t:] = successes[t:] / s.trials[t:]
    return DailySeries(s.days, y, successes, s.trials, s.usable, s.day_key)


def _arrays(s: DailySeries) -> list[np.ndarray]:
    return [
        a.copy() for a in (s.days, s.y, s.successes, s.trials, s.usable, s.day_key) if a is not None
    ]


def _run(
    method: MonitorMethod, s: DailySeries, judge: IntArray, spec: Monitor
) -> tuple[FloatArray, FloatArray]:
    out = method.expect(s, judge.copy(), spec)
    shape = f"{type(out).__name__} of {len(out)}" if isinstance(out, tuple) else type(out).__name__
    assert isinstance(out, tuple), f"expect returned {shape}, not a tuple (expected, scale)"
    assert len(out) == 2, f"expect returned a {shape}, not a tuple (expected, scale)"
    expected, scale = (np.asarray(a) for a in out)
    for name, a in (("expected", expected), ("scale", scale)):
        assert a.shape == judge.shape, f"{name} has shape {a.shape}, not {judge.shape}"
        assert a.dtype.kind == "f", f"{name} has dtype {a.dtype}, not float"
    return expected.astype(np.float64), scale.astype(np.float64)


def _check_outputs(kit: ConformanceKit, expected: FloatArray, scale: FloatArray) -> None:
    with kit.check("scale is positive where a value is expected, NaN together"):
        both = np.isnan(expected) == np.isnan(scale)
        assert both.all(), f"expected and scale NaN on different days: {np.flatnonzero(~both)}"
        set_ = ~np.isnan(expected)
        bad = set_ & ~(np.isfinite(scale) & (scale > 0) & np.isfinite(expected))
        assert not bad.any(), f"non-positive or infinite scale at {int(bad.sum())} day(s)"
    with kit.check("expects a value once seven weeks of history are there"):
        missing = int(np.isnan(expected).sum())
        assert not missing, f"{missing} of {len(expected)} judged days have no expected value"


def _check_sound(
    kit: ConformanceKit, method: MonitorMethod, spec: Monitor, s: DailySeries, seed: int
) -> None:
    expected, scale = _run(method, s, _JUDGE, spec)
    z = z_value(_ALPHA)
    with kit.check("a clean series stays mostly inside its expected range"):
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.abs(s.y[_JUDGE] - expected) / scale
        out = float(np.mean(score[np.isfinite(score)] > z)) if np.isfinite(score).any() else 1.0
        assert out <= _CLEAN_OUT, f"{out:.0%} of clean days fall outside the alpha=0.001 range"
    with kit.check("an obvious drop falls outside the expected range"):
        at = int(_JUDGE[-5])
        dropped = _rate_series(seed, drop_at=at) if s.trials is not None else _value_series(seed)
        if s.trials is None:
            dropped.y[at] = 50.0  # 25 s.d. below
        e, sc = _run(method, dropped, np.array([at], dtype=np.int64), spec)
        with np.errstate(divide="ignore", invalid="ignore"):
            drop_score = float((dropped.y[at] - e[0]) / sc[0])
        assert drop_score < -z, (
            f"a day at half the usual level scored {drop_score:.2f}, not below {-z:.2f}"
        )


@validate_params(method=METHOD, seed=Integer(0, 2**32 - 1))
def check_monitor_method(method: str | MonitorMethod, *, seed: int = 0) -> None:
    """Check a monitor method (a registered name or an object) on synthetic daily series.

    Checks, on a seeded 10-week daily rate (and, for a method that does not need counts,
    plain values): ``expect`` returns two float arrays of the judged days' length; the scale
    is positive wherever a value is expected, NaN together; every day after seven weeks of
    history gets a value; changing the judged day and later days changes nothing (no
    look-ahead); the series is left unchanged; a second call gives the same answer; at
    most 10% of clean days fall outside the ``alpha=0.001`` range; a day at half the usual
    rate falls below it; and the method runs inside :func:`detect`.

    Raises
    ------
    ConformanceError
        Listing every failed check (also an ``AssertionError``).

    Examples
    --------
    >>> from linkstar_funnel.monitor import check_monitor_method
    >>> check_monitor_method("pchart")
    >>> class Flat:
    ...     needs_counts = False
    ...     def expect(self, series, judge, spec):
    ...         return series.y[judge], np.zeros(len(judge))  # today's own value: look-ahead
    >>> check_monitor_method(Flat())  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ConformanceError: Flat fails ... of the MonitorMethod checks:
    - scale is positive where a value is expected, NaN together: non-positive or infinite scale at 21 day(s)
    ...
    """
    impl = resolve_method(method)
    kit = ConformanceKit(method_name(method), _PROTOCOL)
    spec = Monitor(method=method, seed=seed)
    series = [_rate_series(seed)]
    if not impl.needs_counts:
        series.append(_value_series(seed))
    for s in series:
        what = "a rate with counts" if s.trials is not None else "plain values"
        before = _arrays(s)
        outputs: tuple[FloatArray, FloatArray] | None = None
        with kit.check(f"returns (expected, scale), float arrays of the judged days, on {what}"):
            outputs = _run(impl, s, _JUDGE, spec)
        if outputs is None:
            continue
        _check_outputs(kit, *outputs)
        with kit.check(f"leaves the series unchanged ({what})"):
            after = _arrays(s)
            assert all(
                np.array_equal(a, b, equal_nan=True) for a, b in zip(before, after, strict=True)
            ), "expect modified the series' arrays"
        with kit.check(f"gives the same answer twice ({what})"):
            again = _run(impl, s, _JUDGE, spec)
            same = all(
                np.array_equal(a, b, equal_nan=True) for a, b in zip(outputs, again, strict=True)
            )
            assert same, "a second call on the same series gave other values"
        with kit.check(f"uses no day from the judged one on (no look-ahead; {what})"):
            for t in _PEEK:
                judge = np.array([t], dtype=np.int64)
                seen = _run(impl, s, judge, spec)
                blind = _run(impl, _changed_from(s, t), judge, spec)
                same = all(
                    np.array_equal(a, b, equal_nan=True) for a, b in zip(seen, blind, strict=True)
                )
                assert same, f"changing day {t} and later days changed day {t}'s expected value"
        with kit.check(f"judges a clean and a dropped series ({what})"):
            _check_sound(kit, impl, spec, s, seed)
    with kit.check("runs inside detect"):
        frame = pd.DataFrame(
            {
                "date": pd.to_datetime(series[0].days),
                "successes": series[0].successes,
                "trials": series[0].trials,
            }
        )
        result = spec.detect(frame, since=str(pd.Timestamp(series[0].days[-3]).date()))
        assert isinstance(result, AlertsResult)
        assert set(result.checks()["method"]) == {spec.method_name}
    kit.finish()
