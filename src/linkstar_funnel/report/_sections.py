"""The report's section registry, and the context every section renders from.

A section is a function ``render(ctx) -> str | None`` that returns an HTML fragment built
with the escaping helpers of :mod:`linkstar_funnel.report._html` (or ``None`` when its
inputs are absent, e.g. no orders were given). Capability modules add their sections with
:func:`register_section`; the CLI never changes::

    @register_section("funnel", order=20, title="Funnel")
    def _funnel(ctx: ReportContext) -> str | None:
        ...

Registering a name twice raises :class:`~linkstar_funnel.errors.RegistryError` unless
``replace=True`` is passed. :func:`check_report_section` checks a section against what
the report builder needs of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import attrs
import pandas as pd

from .._params import (
    Boolean,
    ColumnName,
    Columns,
    InstanceOf,
    Integer,
    Satisfies,
    Spec,
    validate_params,
)
from .._registry import Registry
from ..errors import ParameterError
from ..schema import check_time_zone

__all__ = [
    "REGISTRY",
    "ReportContext",
    "ReportData",
    "Section",
    "SectionRegistry",
    "register_section",
]

Render = Callable[["ReportContext"], "str | None"]
R = TypeVar("R", bound=Render)
T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_SECTION_NAME = InstanceOf(str, description="a section name (a string)")
_REGISTER: dict[str, Spec] = {
    "name": Satisfies(
        lambda v: isinstance(v, str) and bool(_NAME.match(v)),
        "lower-case letters, digits, '_' or '-', starting with a letter",
    ),
    "order": Integer(),
    "title": [None, InstanceOf(str, description="a string")],
    "replace": Boolean(),
}


_FRAME = attrs.validators.optional(
    Satisfies(
        lambda v: isinstance(v, pd.DataFrame) or callable(getattr(v, "to_pandas", None)),
        "None or a pandas DataFrame (or an object with to_pandas(), such as a pyarrow Table)",
    )
)


_OPT_NAME: Any = attrs.validators.optional(ColumnName())
_BY = Satisfies(
    lambda v: v == () or Columns().accepts(v), "a column name or a list of column names"
)


def _by_tuple(value: object) -> object:
    """One column name or a list of them as a tuple; anything else unchanged."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


def _check_tz(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_time_zone(value, param=attribute.name)


@attrs.frozen
class ReportData:
    """The inputs of a report: frames, their column mapping, and how to read days.

    Parameters
    ----------
    events, orders, touchpoints, spend
        Input frames; any may be ``None`` (sections needing it are skipped).
    user, time, event
        Event-log column names.
    order, customer, order_time, revenue
        Order-table column names (``order=None``: no order id column).
    by
        Segment columns; ``None`` uses whichever of ``country``/``platform`` (and, for
        orders, ``status``/``channel``) each frame has.
    tz
        IANA zone days are read in (``None``: the data's own).
    source
        A short description of where the data came from, shown in the page header.
    extras
        Anything else sections may use (e.g. a demo store's ground truth).
    """

    events: pd.DataFrame | None = attrs.field(default=None, eq=False, validator=_FRAME)
    orders: pd.DataFrame | None = attrs.field(default=None, eq=False, validator=_FRAME)
    touchpoints: pd.DataFrame | None = attrs.field(default=None, eq=False, validator=_FRAME)
    spend: pd.DataFrame | None = attrs.field(default=None, eq=False, validator=_FRAME)
    user: str = attrs.field(default="user_id", validator=ColumnName())
    time: str = attrs.field(default="timestamp", validator=ColumnName())
    event: str = attrs.field(default="event", validator=ColumnName())
    order: str | None = attrs.field(default="order_id", validator=_OPT_NAME)
    customer: str = attrs.field(default="customer_id", validator=ColumnName())
    order_time: str = attrs.field(default="timestamp", validator=ColumnName())
    revenue: str = attrs.field(default="revenue", validator=ColumnName())
    by: tuple[str, ...] | None = attrs.field(
        default=None, converter=_by_tuple, validator=attrs.validators.optional(_BY)
    )
    tz: str | None = attrs.field(default=None, validator=_check_tz)
    source: str = attrs.field(default="", validator=InstanceOf(str, description="a string"))
    extras: Mapping[str, object] = attrs.field(
        factory=dict, eq=False, validator=InstanceOf(Mapping, description="a mapping (dict)")
    )


@attrs.define(eq=False)
class ReportContext:
    """What a section renders from: the data, a shared cache, and the page header facts.

    Sections share expensive results through :meth:`cached` (the data overview computed
    for one section is reused by the next) and add facts to the page header with
    :meth:`add_header_fact`.
    """

    data: ReportData
    header_facts: dict[str, str] = attrs.field(factory=dict)
    _cache: dict[str, Any] = attrs.field(factory=dict, alias="cache")

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return the value stored under ``key``, computing and storing it the first time."""
        if key not in self._cache:
            self._cache[key] = compute()
        value: T = self._cache[key]
        return value

    def add_header_fact(self, label: str, value: str) -> None:
        """Show ``label: value`` in the page header (the first section to set a label wins)."""
        self.header_facts.setdefault(label, value)


@attrs.frozen
class Section:
    """A registered report section.

    Parameters
    ----------
    name
        Identifier (lower case, digits, ``_`` or ``-``): the HTML anchor and registry key.
    title
        Heading shown in the page and its table of contents.
    order
        Sections are laid out by increasing ``order``, then name.
    render
        ``render(ctx) -> str | None``: an HTML fragment, or ``None`` to leave it out.
    """

    name: str
    title: str
    order: int
    render: Render = attrs.field(eq=False)


class SectionRegistry:
    """Named report sections, each registered once (on the library's one
    :class:`~linkstar_funnel._registry.Registry`: same rules and errors as stage templates
    and every other extension point).

    Iterating yields the :class:`Section` objects in layout order (``order``, then name).

    Examples
    --------
    >>> registry = SectionRegistry()
    >>> @registry.register("hello", order=1, title="Hello")
    ... def _hello(ctx):
    ...     return "<p>hi</p>"
    >>> [s.name for s in registry]
    ['hello']
    >>> registry.register("hello", order=2)(_hello)
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.RegistryError: A report section named 'hello' is already registered...
    """

    __slots__ = ("_sections",)

    def __init__(self) -> None:
        self._sections: Registry[Section] = Registry("report section")

    @validate_params(**_REGISTER)
    def register(
        self, name: str, *, order: int, title: str | None = None, replace: bool = False
    ) -> Callable[[R], R]:
        """Decorator registering ``render`` as the section ``name``.

        Parameters
        ----------
        name
            Section identifier, e.g. ``"overview"``.
        order
            Position among sections (smaller first). Built-ins use multiples of 10.
        title
            Heading; defaults to ``name`` capitalised.
        replace
            Allow replacing a section already registered under ``name``.

        Raises
        ------
        RegistryError
            ``name`` is already registered and ``replace`` is false.
        ParameterError
            ``name`` is not a valid identifier or ``order`` is not an int.
        """

        def decorator(render: R) -> R:
            if not callable(render):
                msg = f"register_section decorates a function. Got {type(render).__name__}."
                raise ParameterError(msg)
            heading = title if title is not None else name.replace("_", " ").capitalize()
            self._sections.register(name, Section(name, heading, order, render), replace=replace)
            return render

        return decorator

    @validate_params(name=_SECTION_NAME)
    def unregister(self, name: str) -> Section:
        """Remove and return the section ``name``."""
        section = self._sections.get(name)
        self._sections.unregister(name)
        return section

    @validate_params(name=_SECTION_NAME)
    def get(self, name: str) -> Section:
        """The section registered as ``name``."""
        return self._sections.get(name)

    def __iter__(self) -> Iterator[Section]:
        sections = (section for _, section in self._sections.items())
        return iter(sorted(sections, key=lambda s: (s.order, s.name)))

    def __len__(self) -> int:
        return len(self._sections)

    def __contains__(self, name: object) -> bool:
        return name in self._sections

    def __repr__(self) -> str:
        return f"SectionRegistry({[s.name for s in self]})"


#: The sections the CLI lays out; built-ins and capability modules register here.
REGISTRY = SectionRegistry()


@validate_params(**_REGISTER)
def register_section(
    name: str, *, order: int, title: str | None = None, replace: bool = False
) -> Callable[[R], R]:
    """Register a section in the report's :data:`REGISTRY` (see :meth:`SectionRegistry.register`).

    Examples
    --------
    >>> @register_section("doc_example", order=999, title="Example")
    ... def _example(ctx):
    ...     return None  # nothing to show: the section is left out
    >>> "doc_example" in REGISTRY
    True
    >>> _ = REGISTRY.unregister("doc_example")
    """
    return REGISTRY.register(name, order=order, title=title, replace=replace)
