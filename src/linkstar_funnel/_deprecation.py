"""Old spellings that keep working for one release, with a warning naming the new one.

* :func:`renamed_params` maps renamed keyword arguments of a function, method or class
  (its ``__init__``) to their new names;
* :func:`renamed_attributes` gives a module's ``__getattr__`` for renamed classes and
  functions (``from linkstar_funnel import KPIValues`` keeps working).

Both emit a :class:`DeprecationWarning` pointing at the caller's line. Passing both the old
and the new name is a :class:`~linkstar_funnel.errors.ParameterError`.

Examples
--------
>>> import warnings
>>> @renamed_params(segments="by")
... def total(*, by=None):
...     return by
>>> with warnings.catch_warnings(record=True, action="always") as caught:
...     total(segments="channel")
'channel'
>>> print(caught[0].message)
The 'segments' parameter of total is deprecated and will be removed in the next release; use 'by' instead (same meaning).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ._params import _reemit
from .errors import ParameterError

__all__ = ["renamed_attributes", "renamed_params"]

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C")

#: What deprecation messages promise.
_WHEN = "will be removed in the next release"


def _remap(owner: str, mapping: Mapping[str, str], kwargs: dict[str, Any]) -> None:
    for old, new in mapping.items():
        if old not in kwargs:
            continue
        if new in kwargs:
            msg = (
                f"The {old!r} parameter of {owner} is the deprecated name of {new!r}. "
                f"Got both {old}={kwargs[old]!r} and {new}={kwargs[new]!r}; pass only {new!r}."
            )
            raise ParameterError(msg)
        warnings.warn(
            f"The {old!r} parameter of {owner} is deprecated and {_WHEN}; use {new!r} "
            "instead (same meaning).",
            DeprecationWarning,
            stacklevel=3,
        )
        kwargs[new] = kwargs.pop(old)


def _call(func: Callable[..., Any], caller: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, its warnings re-pointed at the caller's line (as
    ``validate_params`` does): this wrapper is the outermost frame of a public call."""
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            return func(*args, **kwargs)
    finally:
        _reemit(caught, caller)


def renamed_params(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword name for one release, as its new name.

    Works on functions, methods and classes (wrapping ``__init__``). Put it outermost
    (above ``validate_params``) so the warning points at the caller's line.
    """

    def decorate(func: F) -> F:
        if isinstance(func, type):
            init = func.__init__  # type: ignore[misc]
            owner = func.__qualname__

            @functools.wraps(init)
            def new_init(self: Any, *args: Any, **kwargs: Any) -> None:
                _remap(owner, old_to_new, kwargs)
                _call(init, sys._getframe(1), self, *args, **kwargs)

            func.__init__ = new_init  # type: ignore[misc]
            return func
        owner = getattr(func, "__qualname__", getattr(func, "__name__", "the function"))

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _remap(owner, old_to_new, kwargs)
            return _call(func, sys._getframe(1), *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def renamed_attributes(
    module: str, mapping: Mapping[str, tuple[str, object]]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` serving old names: ``{old: (new_name, object)}``.

    Examples
    --------
    >>> __getattr__ = renamed_attributes("mymodule", {"Old": ("New", int)})
    >>> with warnings.catch_warnings(record=True, action="always") as caught:
    ...     __getattr__("Old") is int
    True
    >>> print(caught[0].message)
    mymodule.Old is deprecated and will be removed in the next release; use mymodule.New instead.
    """

    def __getattr__(name: str) -> Any:
        if name in mapping:
            new, obj = mapping[name]
            warnings.warn(
                f"{module}.{name} is deprecated and {_WHEN}; use {module}.{new} instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            return obj
        msg = f"module {module!r} has no attribute {name!r}"
        raise AttributeError(msg)

    return __getattr__
