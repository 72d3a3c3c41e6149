"""One declarative check for every public parameter, before any work starts.

In the spirit of scikit-learn's ``validate_params``: a public function states what each of
its parameters accepts, and one decorator checks the call against that statement, raising
the library's standard message ("The 'alpha' parameter of compare must be a number in
(0, 1). Got 1.5 instead.") as a :class:`~linkstar_funnel.errors.ParameterError`.

The same constraint objects are attrs validators, so spec classes (``Funnel``, models)
declare their fields with them too: one mechanism for functions and specs.

Examples
--------
>>> @validate_params(alpha=Real(0, 1, closed="neither"), by=[None, Columns()])
... def share(frame, *, alpha=0.05, by=None):
...     return alpha
>>> share(None, alpha=0.1)
0.1
>>> share(None, alpha=1.5)
Traceback (most recent call last):
...
linkstar_funnel.errors.ParameterError: The 'alpha' parameter of share must be a number in (0, 1). Got 1.5 instead.
>>> share(None, by=5)
Traceback (most recent call last):
...
linkstar_funnel.errors.ParameterError: The 'by' parameter of share must be None or a column name or a list of column names. Got 5 instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import math
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Literal, ParamSpec, TypeVar

import attrs
import numpy as np
import pandas as pd

from .errors import ParameterError

__all__ = [
    "Boolean",
    "ColumnName",
    "Columns",
    "Constraint",
    "Duration",
    "InstanceOf",
    "Integer",
    "Options",
    "Real",
    "Satisfies",
    "Spec",
    "Timestamp",
    "check_param",
    "validate_params",
]

P = ParamSpec("P")
R = TypeVar("R")


def _message(owner: str, param: str, expected: str, got: object) -> str:
    shown = repr(got)
    if len(shown) > 200:
        shown = shown[:197] + "..."
    return f"The {param!r} parameter of {owner} must be {expected}. Got {shown} instead."


@attrs.frozen
class Constraint:
    """What one parameter accepts. Subclasses implement :meth:`accepts` and ``description``.

    A constraint is also an attrs validator: ``attrs.field(validator=Real(0, 1))``.
    """

    def accepts(self, value: object) -> bool:
        """Whether ``value`` satisfies the constraint."""
        raise NotImplementedError  # pragma: no cover - abstract

    @property
    def description(self) -> str:
        """What is expected, as it reads after "must be"."""
        raise NotImplementedError  # pragma: no cover - abstract

    def __call__(self, instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check_param(type(instance).__name__, attribute.name, value, [self])


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@attrs.frozen
class Real(Constraint):
    """A real number (not a bool, not NaN, finite unless ``finite=False``) in a range."""

    low: float | None = None
    high: float | None = None
    closed: Literal["both", "left", "right", "neither"] = "both"
    finite: bool = True

    def accepts(self, value: object) -> bool:
        if not _is_real(value):
            return False
        x = float(value)  # type: ignore[arg-type]
        if math.isnan(x) or (self.finite and math.isinf(x)):
            return False
        if self.low is not None and (
            x < self.low or (x == self.low and self.closed in ("right", "neither"))
        ):
            return False
        return not (
            self.high is not None
            and (x > self.high or (x == self.high and self.closed in ("left", "neither")))
        )

    @property
    def description(self) -> str:
        kind = "a number" if self.finite else "a number (inf allowed)"
        return kind + _range_text(self.low, self.high, self.closed)


@attrs.frozen
class Integer(Constraint):
    """An integer (Python or numpy; not a bool) in a range."""

    low: int | None = None
    high: int | None = None

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
            return False
        x = int(value)
        return (self.low is None or x >= self.low) and (self.high is None or x <= self.high)

    @property
    def description(self) -> str:
        if self.low == 1 and self.high is None:
            return "a positive integer"
        if self.low == 0 and self.high is None:
            return "a non-negative integer"
        return "an integer" + _range_text(self.low, self.high, "both")


def _range_text(
    low: float | None, high: float | None, closed: Literal["both", "left", "right", "neither"]
) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'≥' if closed in ('both', 'left') else '>'} {low:g}"
    if low is None:
        return f" {'≤' if closed in ('both', 'right') else '<'} {high:g}"
    left = "[" if closed in ("both", "left") else "("
    right = "]" if closed in ("both", "right") else ")"
    return f" in {left}{low:g}, {high:g}{right}"


@attrs.frozen(init=False)
class Options(Constraint):
    """One of a fixed set of values (``method=``, ``kind=``...)."""

    choices: tuple[Hashable, ...]

    def __init__(self, *choices: Hashable) -> None:
        self.__attrs_init__(choices)

    def accepts(self, value: object) -> bool:
        # Unhashable values (lists, arrays, frames) are never an option, and a bool is not
        # the option 1 (True == 1 in Python).
        if not isinstance(value, Hashable):
            return False
        is_bool = isinstance(value, bool | np.bool_)
        try:
            return any(is_bool == isinstance(c, bool) and bool(value == c) for c in self.choices)
        except TypeError:  # pd.NA compares to NA, which has no truth value
            return False

    @property
    def description(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@attrs.frozen
class Boolean(Constraint):
    """``True`` or ``False`` (numpy bools too; not 0/1 or strings)."""

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool | np.bool_)

    @property
    def description(self) -> str:
        return "True or False"


@attrs.frozen
class ColumnName(Constraint):
    """One column name: a non-empty string."""

    def accepts(self, value: object) -> bool:
        return isinstance(value, str) and bool(value)

    @property
    def description(self) -> str:
        return "a column name (a string)"


@attrs.frozen
class Columns(Constraint):
    """A column name or a non-empty list (or tuple) of distinct column names."""

    def accepts(self, value: object) -> bool:
        if isinstance(value, str):
            return bool(value)
        if not isinstance(value, list | tuple) or not value:
            return False
        return all(isinstance(v, str) and v for v in value) and len(set(value)) == len(value)

    @property
    def description(self) -> str:
        return "a column name or a list of column names"


@attrs.frozen
class Duration(Constraint):
    """A duration: ``"7D"``, ``"36h"``, a ``timedelta`` (positive unless ``positive=False``)."""

    positive: bool = True

    def accepts(self, value: object) -> bool:
        if not isinstance(value, str | dt.timedelta | np.timedelta64):
            return False
        try:
            td = pd.Timedelta(value)
        except (ValueError, TypeError, OverflowError):
            return False
        return not pd.isna(td) and (not self.positive or td > pd.Timedelta(0))

    @property
    def description(self) -> str:
        kind = "a positive duration" if self.positive else "a duration"
        return f'{kind} such as "7D", "36h" or a datetime.timedelta'


@attrs.frozen
class Timestamp(Constraint):
    """A point in time: a ``datetime``, ``pd.Timestamp``, ``np.datetime64`` or a date string."""

    def accepts(self, value: object) -> bool:
        if not isinstance(value, str | dt.date | np.datetime64):
            return False
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            return False
        return not pd.isna(ts)

    @property
    def description(self) -> str:
        return "a date or time such as '2011-12-09' or a datetime"


@attrs.frozen(init=False)
class InstanceOf(Constraint):
    """An instance of one of ``types`` (described in the user's words by ``description``)."""

    types: tuple[type, ...]
    what: str

    def __init__(self, *types: type, description: str | None = None) -> None:
        what = description or " or ".join(f"a {t.__name__}" for t in types)
        self.__attrs_init__(types, what)

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.types)

    @property
    def description(self) -> str:
        return self.what


@attrs.frozen
class Satisfies(Constraint):
    """Anything ``predicate`` accepts (a predicate that raises counts as a refusal)."""

    predicate: Callable[[Any], bool]
    what: str

    def accepts(self, value: object) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # noqa: BLE001 - a predicate that cannot judge the value refuses it
            return False

    @property
    def description(self) -> str:
        return self.what


Spec = Constraint | None | Sequence[Constraint | None]


def _alternatives(spec: Spec) -> list[Constraint | None]:
    if spec is None or isinstance(spec, Constraint):
        return [spec]
    return list(spec)


def check_param(owner: str, param: str, value: object, spec: Spec) -> None:
    """Raise the standard :class:`ParameterError` unless ``value`` meets one alternative.

    ``spec`` is a constraint, ``None`` (the value must be None) or a list of them (any one
    will do).

    Examples
    --------
    >>> check_param("Funnel", "top_n", 3, [None, Integer(1)])
    >>> check_param("Funnel", "top_n", 0, [None, Integer(1)])
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ParameterError: The 'top_n' parameter of Funnel must be None or a positive integer. Got 0 instead.
    """
    options = _alternatives(spec)
    for option in options:
        if option is None:
            if value is None:
                return
        elif option.accepts(value):
            return
    expected = " or ".join("None" if o is None else o.description for o in options)
    raise ParameterError(_message(owner, param, expected, value))


_PACKAGE_DIR = str(Path(__file__).parent) + os.sep


def _reemit(caught: list[warnings.WarningMessage], caller: FrameType) -> None:
    """Pass on warnings raised inside a decorated function. One that points into this
    package (a ``stacklevel`` one frame short of the wrapper, or a library line) is
    re-pointed at the caller: the outermost public call's caller is the user's own line.
    Warnings located in other packages (pandas, numpy) keep their place."""
    for w in caught:
        filename, lineno = w.filename, w.lineno
        module_globals = None
        if filename.startswith(_PACKAGE_DIR):
            filename, lineno = caller.f_code.co_filename, caller.f_lineno
            module_globals = caller.f_globals
        registry = (
            None if module_globals is None else module_globals.setdefault("__warningregistry__", {})
        )
        warnings.warn_explicit(
            w.message, w.category, filename, lineno, registry=registry, source=w.source
        )


def validate_params(**specs: Spec) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a public function or method: check the named parameters on every call.

    Each keyword names a parameter of the decorated function and gives what it accepts: a
    :class:`Constraint`, ``None``, or a list of them (any one will do). Parameters not named
    are not checked here. The error names the function by its qualified name
    (``Funnel.compute``), as users call it.
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)
        unknown = set(specs) - set(signature.parameters)
        if unknown:  # a programming error in the library: fail at import, loudly
            msg = (
                f"validate_params names parameters {sorted(unknown)} that {func.__qualname__} lacks"
            )
            raise TypeError(msg)
        owner = func.__qualname__.replace(".<locals>", "")
        names = list(signature.parameters)
        checked = dict(specs)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            given = dict(zip(names, args, strict=False))
            given.update(kwargs)
            for name, spec in checked.items():
                # Defaults are the library's own, valid by construction; a missing required
                # argument is left to Python's own TypeError.
                if name in given:
                    check_param(owner, name, given[name], spec)
            caller = sys._getframe(1)
            caught: list[warnings.WarningMessage] = []
            try:
                with warnings.catch_warnings(record=True) as caught:
                    return func(*args, **kwargs)
            finally:  # warnings said before an error are passed on too
                _reemit(caught, caller)

        wrapper.__validate_params__ = checked  # type: ignore[attr-defined]
        return wrapper

    return decorate
