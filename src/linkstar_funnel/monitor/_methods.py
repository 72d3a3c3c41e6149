"""Monitor methods: the extension point, its registry and the built-ins registered through it.

A method looks at one daily series (:class:`DailySeries`) and, for each day to judge,
returns the value earlier days lead to expect and the standard deviation of a normal day
around it (its "scale"), using only days before the judged one. The monitor turns them
into the expected range ``expected ± z(alpha) * scale``, severities and alerts, the same
way for every method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from .._params import Boolean, Constraint, Satisfies, validate_params
from .._registry import Registry
from ._kernels import DailySeries, FloatArray, IntArray, pchart, robust

if TYPE_CHECKING:
    from ._spec import Monitor

__all__ = [
    "MONITOR_METHODS",
    "MonitorMethod",
    "PChartMethod",
    "ProphetMethod",
    "RobustMethod",
    "method_name",
    "monitor_methods",
    "register_monitor_method",
]


@runtime_checkable
class MonitorMethod(Protocol):
    """What a monitor method computes: each judged day's expected value and scale.

    Implement :meth:`expect` and ``needs_counts``; register an instance with
    :func:`register_monitor_method` (or pass it as ``Monitor(method=...)``), and check it
    with :func:`check_monitor_method`.

    Examples
    --------
    >>> import numpy as np
    >>> class LastWeek:
    ...     '''Expect the value of the same weekday one week earlier.'''
    ...     needs_counts = False
    ...     def expect(self, series, judge, spec):
    ...         past = judge - 7
    ...         ok = past >= 0
    ...         expected = np.where(ok, series.y[np.maximum(past, 0)], np.nan)
    ...         return expected, np.where(ok, 0.05 * np.abs(expected) + 1e-9, np.nan)
    >>> isinstance(LastWeek(), MonitorMethod)
    True
    """

    @property
    def needs_counts(self) -> bool:
        """Whether the method needs ``successes`` and ``trials`` (not only values)."""
        ...

    def expect(
        self, series: DailySeries, judge: IntArray, spec: Monitor
    ) -> tuple[FloatArray, FloatArray]:
        """Expected value and scale of each day in ``judge`` (positions in ``series``).

        Parameters
        ----------
        series
            One metric (and segment) on a complete daily calendar; ``series.usable`` marks
            the days that may serve as history (and are judged).
        judge
            Positions to judge, ascending, all usable.
        spec
            The :class:`Monitor` (``window_days``, ``min_history``, ``seasonality``...).

        Returns
        -------
        (expected, scale)
            Float arrays of ``len(judge)``: the value earlier days lead to expect and the
            standard deviation of a normal day around it (positive), both NaN where there
            is not enough history. Only days before each judged day may be used.
        """
        ...


def _is_method(value: object) -> bool:
    return (
        isinstance(value, MonitorMethod)
        and not isinstance(value, type)
        and callable(getattr(value, "expect", None))
        and isinstance(getattr(value, "needs_counts", None), bool)
    )


#: Accepts an object implementing :class:`MonitorMethod` (an instance, not the class).
METHOD_OBJECT = Satisfies(_is_method, "an object with needs_counts and expect(series, judge, spec)")


#: Every registered monitor method, by name (the built-ins are registered at the bottom of
#: this module; prophet itself is imported only when its method runs).
MONITOR_METHODS: Registry[MonitorMethod] = Registry("monitor method")


@validate_params(method=METHOD_OBJECT, replace=Boolean())
def register_monitor_method(
    name: str, method: MonitorMethod, *, replace: bool = False
) -> MonitorMethod:
    """Register ``method`` (an instance) under ``name``, for ``Monitor(method=name)``.

    Parameters
    ----------
    name
        The name users pass as ``method=``.
    method
        An object implementing :class:`MonitorMethod`.
    replace
        Allow replacing a method of that name. Without it, a second registration raises
        :class:`~linkstar_funnel.errors.RegistryError` instead of silently shadowing the
        first.

    Returns
    -------
    MonitorMethod
        ``method``, unchanged.

    Examples
    --------
    >>> from linkstar_funnel.monitor import RobustMethod, monitor_methods
    >>> _ = register_monitor_method("robust-doctest", RobustMethod())
    >>> "robust-doctest" in monitor_methods()
    True
    """
    return MONITOR_METHODS.register(name, method, replace=replace)


def monitor_methods() -> list[str]:
    """Names of the registered monitor methods, sorted.

    Examples
    --------
    >>> {"robust", "pchart", "prophet"} <= set(monitor_methods())
    True
    """
    return MONITOR_METHODS.names()


@attrs.frozen
class MethodChoice(Constraint):
    """``method`` of the monitor: a registered name (listed in the message) or an object."""

    def accepts(self, value: object) -> bool:
        return (isinstance(value, str) and value in MONITOR_METHODS) or _is_method(value)

    @property
    def description(self) -> str:
        names = ", ".join(map(repr, monitor_methods()))
        return f"one of {names} (registered monitor methods) or a MonitorMethod object"


#: Validator of ``method`` (also an attrs validator).
METHOD = MethodChoice()


def resolve_method(method: str | MonitorMethod) -> MonitorMethod:
    """The method object of a ``method`` :data:`METHOD` accepted."""
    return MONITOR_METHODS.get(method) if isinstance(method, str) else method


def method_name(method: str | MonitorMethod) -> str:
    """How results name a method: its registered name, else its class name."""
    if isinstance(method, str):
        return method
    for name, registered in MONITOR_METHODS.items():
        if registered is method:
            return name
    return type(method).__name__


class RobustMethod:
    """Rolling median of the same day type and a MAD scale (see ``_kernels.robust``)."""

    __slots__ = ()
    needs_counts = False

    def expect(
        self, series: DailySeries, judge: IntArray, spec: Monitor
    ) -> tuple[FloatArray, FloatArray]:
        """Expected value and scale from the previous ``spec.window_days`` days."""
        return robust(series, judge, window=spec.window_days, min_history=spec.min_history)


class PChartMethod:
    """Binomial control limits for rates with varying denominators, Laney-corrected."""

    __slots__ = ()
    needs_counts = True

    def expect(
        self, series: DailySeries, judge: IntArray, spec: Monitor
    ) -> tuple[FloatArray, FloatArray]:
        """Pooled rate of the same day type and its binomial scale (``spec.laney``)."""
        return pchart(
            series, judge, window=spec.window_days, min_history=spec.min_history, laney=spec.laney
        )


class ProphetMethod:
    """prophet with weekly seasonality, refitted every ``spec.refit_days`` judged days."""

    __slots__ = ()
    needs_counts = False
    #: prophet needs two weeks of history to see a weekly pattern.
    MIN_HISTORY = 14

    def expect(
        self, series: DailySeries, judge: IntArray, spec: Monitor
    ) -> tuple[FloatArray, FloatArray]:
        """prophet's ``yhat`` and its interval's scale, fitted on earlier days only."""
        from ._prophet import prophet_kernel

        return prophet_kernel(
            series,
            judge,
            min_history=max(spec.min_history, self.MIN_HISTORY),
            refit_days=spec.refit_days,
            seed=spec.seed,
        )


MONITOR_METHODS.register("robust", RobustMethod())
MONITOR_METHODS.register("pchart", PChartMethod())
MONITOR_METHODS.register("prophet", ProphetMethod())
