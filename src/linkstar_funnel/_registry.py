"""One registry implementation for every extension point.

Stage templates, benchmark sets, report sections, monitor methods and engine backends all
register through :class:`Registry`: the same rules (a name is never overwritten silently;
an unknown name lists the registered ones) and the same errors (:class:`RegistryError`).

Examples
--------
>>> colours = Registry[str]("colour")
>>> colours.register("red", "#f00")
'#f00'
>>> colours.get("red")
'#f00'
>>> colours.get("blue")
Traceback (most recent call last):
...
linkstar_funnel.errors.RegistryError: No colour is registered as 'blue'. Registered: 'red'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar, overload

from .errors import ParameterError, RegistryError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Named items of one kind, registered once each.

    Parameters
    ----------
    kind
        What the items are, as messages name them (``"stage template"``, ``"backend"``).
    load
        Called once before the first lookup: imports the modules whose decorators
        register the built-ins, so importing the library stays cheap.
    """

    def __init__(self, kind: str, *, load: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._load = load

    def _ready(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            load()

    @overload
    def register(self, name: str, item: T, *, replace: bool = False) -> T: ...
    @overload
    def register(self, name: str, *, replace: bool = False) -> Callable[[T], T]: ...

    def register(
        self, name: str, item: T | None = None, *, replace: bool = False
    ) -> T | Callable[[T], T]:
        """Register ``item`` under ``name`` (or, without ``item``, return a decorator).

        Raises
        ------
        ParameterError
            ``name`` is not a non-empty string.
        RegistryError
            ``name`` is registered already and ``replace`` is false.
        """
        if not isinstance(name, str) or not name.strip():
            msg = f"A {self.kind} name must be a non-empty string. Got {name!r} instead."
            raise ParameterError(msg)

        def add(value: T) -> T:
            self._ready()
            if name in self._items and not replace and self._items[name] is not value:
                msg = (
                    f"A {self.kind} named {name!r} is already registered."
                    "\nHint: pick another name, or pass replace=True to replace it on purpose."
                )
                raise RegistryError(msg)
            self._items[name] = value
            return value

        return add if item is None else add(item)

    def unregister(self, name: str) -> None:
        """Remove ``name`` (an unknown name raises :class:`RegistryError`)."""
        self.get(name)
        del self._items[name]

    def get(self, name: str) -> T:
        """The item registered as ``name``.

        Raises
        ------
        RegistryError
            Nothing is registered under ``name``; the message lists what is.
        """
        self._ready()
        try:
            return self._items[name]
        except (KeyError, TypeError):
            known = ", ".join(map(repr, sorted(self._items))) or "none"
            msg = f"No {self.kind} is registered as {name!r}. Registered: {known}."
            raise RegistryError(msg) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self._ready()
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        """``(name, item)`` pairs in registration order."""
        self._ready()
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        self._ready()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._ready()
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
