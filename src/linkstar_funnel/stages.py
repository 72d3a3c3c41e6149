"""Funnel stages: :class:`Stage`, the :class:`StageMatcher` protocol, and stage templates.

A stage matches events: one or more event names (OR) and optional property filters
(equality, membership, or a callable on the frame returning a boolean mask). One event may
match several stages. Any object with a ``name`` and a ``mask(events, *, event=...)``
method is a stage (the :class:`StageMatcher` protocol); :func:`check_stage_matcher` checks
a custom class against that contract.

Examples
--------
>>> import pandas as pd
>>> events = pd.DataFrame({"event": ["visit", "add_to_cart", "order", "order"],
...                        "status": [None, None, "paid", "refunded"]})
>>> Stage("order", where={"status": "paid"}).mask(events, event="event").tolist()
[False, False, True, False]
>>> [s.name for s in stage_template("marketplace")]
['impression', 'click', 'add_to_cart', 'order']
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Protocol, TypeAlias, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ._params import ColumnName, InstanceOf, Satisfies, check_param, validate_params
from .errors import ColumnNotFoundError, ParameterError, RegistryError
from .schema import as_frame

__all__ = [
    "Stage",
    "StageMatcher",
    "check_stage_matcher",
    "register_template",
    "stage_template",
    "stage_templates",
]

BoolArray: TypeAlias = npt.NDArray[np.bool_]
WhereValue: TypeAlias = object
_STAGE = "Stage"  # owner named in error messages
Where: TypeAlias = Mapping[str, WhereValue] | Callable[[pd.DataFrame], Any]


@runtime_checkable
class StageMatcher(Protocol):
    """What a funnel stage is: a name and a boolean mask over the events frame.

    ``mask`` must return a boolean numpy array with one value per row of ``events``,
    must not modify ``events``, and must give the same answer when called twice.
    """

    @property
    def name(self) -> str:
        """The stage's label in results (unique within a funnel)."""
        ...

    def mask(self, events: pd.DataFrame, *, event: str) -> BoolArray:
        """Which rows of ``events`` match the stage; ``event`` is the event-name column."""
        ...


_NAME = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_EVENTS = Satisfies(
    lambda v: (
        (
            isinstance(v, str)
            or (isinstance(v, Collection) and not isinstance(v, Mapping) and bool(v))
        )
        and all(isinstance(x, str) and x for x in ([v] if isinstance(v, str) else v))
    ),
    "an event name or a non-empty list of event names",
)
_MEMBERS = (list, set, frozenset, tuple)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # arrays: not a scalar at all
        return False


def _is_scalar(value: object) -> bool:
    if isinstance(value, Mapping | Collection) and not isinstance(value, str | bytes):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _good_filter(value: object) -> bool:
    """A where value: a non-missing scalar, or a list/set of scalars (None matches missing)."""
    if isinstance(value, _MEMBERS):
        return all(_is_scalar(v) for v in value)
    return _is_scalar(value) and not _is_missing(value)


_WHERE = Satisfies(
    lambda v: (
        callable(v)
        or (
            isinstance(v, Mapping)
            and bool(v)
            and all(isinstance(k, str) and k for k in v)
            and all(_good_filter(x) for x in v.values())
        )
    ),
    "a callable, or a non-empty dict of column -> value or list of values (a missing "
    "value matches nothing: write [None] to match missing values)",
)


def _to_events(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    check_param(_STAGE, "event", value, _EVENTS)
    items = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
    return tuple(dict.fromkeys(str(v) for v in items))


def _to_where(value: object) -> Where | None:
    if value is None:
        return None
    check_param(_STAGE, "where", value, _WHERE)
    if callable(value):
        return value
    assert isinstance(value, Mapping)
    return {k: frozenset(v) if isinstance(v, _MEMBERS) else v for k, v in value.items()}


@attrs.frozen
class Stage:
    """One funnel stage: events by name, optionally filtered on their properties.

    Parameters
    ----------
    name
        The stage's label; also the event name matched when ``event`` is not given.
    event
        An event name or a list of names (any of them matches).
    where
        Property filters: a dict of column -> value (equality) or list/set of values
        (membership), all of which must hold; or a callable taking the events frame and
        returning a boolean mask.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"event": ["add_to_cart", "buy_now", "visit"]})
    >>> Stage("cart", event=["add_to_cart", "buy_now"]).mask(ev, event="event").tolist()
    [True, True, False]
    """

    name: str = attrs.field(validator=_NAME)
    event: tuple[str, ...] | None = attrs.field(default=None, converter=_to_events)
    where: Where | None = attrs.field(default=None, converter=_to_where, eq=False)

    @property
    def events(self) -> tuple[str, ...]:
        """The event names this stage matches."""
        return self.event if self.event is not None else (self.name,)

    def where_mask(self, events: pd.DataFrame) -> BoolArray | None:
        """The property filter alone as a mask over ``events`` (``None``: no filter)."""
        if self.where is None:
            return None
        events = as_frame(events, frame_name="events")
        if callable(self.where):
            out = np.asarray(self.where(events.copy(deep=False)))  # it cannot add columns
            if out.dtype != np.bool_ or out.shape != (len(events),):
                msg = (
                    f"The 'where' callable of stage {self.name!r} must return a boolean mask "
                    f"of length {len(events)}. Got dtype {out.dtype}, shape {out.shape} instead."
                )
                raise ParameterError(msg)
            return out
        mask = np.ones(len(events), dtype=bool)
        for column, value in self.where.items():
            if column not in events.columns:
                raise ColumnNotFoundError(column, events.columns, role="where", frame_name="events")
            series = events[column]
            if isinstance(value, frozenset):
                mask &= series.isin(list(value)).to_numpy(dtype=bool)
            else:
                mask &= series.eq(value).fillna(False).to_numpy(dtype=bool)  # type: ignore[arg-type]
        return mask

    @validate_params(event=ColumnName())
    def mask(self, events: pd.DataFrame, *, event: str) -> BoolArray:
        """Rows of ``events`` whose ``event`` column names one of :attr:`events` and pass ``where``."""
        events = as_frame(events, frame_name="events")
        if event not in events.columns:
            raise ColumnNotFoundError(event, events.columns, role="event", frame_name="events")
        out = events[event].isin(list(self.events)).to_numpy(dtype=bool)
        extra = self.where_mask(events)
        return out if extra is None else out & extra


# --------------------------------------------------------------------------- conformance


@validate_params(event=ColumnName())
def check_stage_matcher(
    matcher: object, events: pd.DataFrame, *, event: str = "event"
) -> BoolArray:
    """Check that ``matcher`` honours the :class:`StageMatcher` contract on ``events``.

    Checks: it has a non-empty string ``name`` and a ``mask`` method; ``mask`` returns a
    numpy boolean array with one value per row; it leaves ``events`` unchanged; and a second
    call gives the same mask. Returns the mask.

    Raises
    ------
    ParameterError
        Naming the first check that failed.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"event": ["visit", "order"]})
    >>> check_stage_matcher(Stage("order"), ev).tolist()
    [False, True]
    """
    events = as_frame(events, frame_name="events")
    label = type(matcher).__name__
    name = getattr(matcher, "name", None)
    if not isinstance(name, str) or not name:
        msg = (
            f"StageMatcher check failed for {label}: 'name' must be a non-empty str, got {name!r}."
        )
        raise ParameterError(msg)
    if not isinstance(matcher, StageMatcher):
        msg = f"StageMatcher check failed for {label}: it has no callable 'mask' method."
        raise ParameterError(msg)
    before = events.copy(deep=True)
    first = matcher.mask(events, event=event)
    where = f"StageMatcher check failed for {label} (stage {name!r})"
    if not isinstance(first, np.ndarray) or first.dtype != np.bool_:
        got = getattr(first, "dtype", type(first).__name__)
        msg = f"{where}: mask() must return a numpy bool array. Got {got} instead."
        raise ParameterError(msg)
    if first.shape != (len(events),):
        msg = f"{where}: mask() must return shape ({len(events)},). Got {first.shape} instead."
        raise ParameterError(msg)
    if not events.equals(before) or list(events.columns) != list(before.columns):
        msg = f"{where}: mask() modified the events frame; it must leave it unchanged."
        raise ParameterError(msg)
    second = matcher.mask(events, event=event)
    if not np.array_equal(first, np.asarray(second)):
        msg = f"{where}: mask() is not deterministic: two calls gave different masks."
        raise ParameterError(msg)
    return first


# --------------------------------------------------------------------------- templates

_TEMPLATES: dict[str, Callable[[], list[Stage]]] = {}


@validate_params(name=_NAME)
def register_template(
    name: str,
) -> Callable[[Callable[[], list[Stage]]], Callable[[], list[Stage]]]:
    """Decorator registering a function returning a list of stages under ``name``.

    Raises
    ------
    RegistryError
        ``name`` is already registered (templates are never overwritten silently).

    Examples
    --------
    >>> @register_template("doc_example")
    ... def _doc_example() -> list[Stage]:
    ...     return [Stage("visit"), Stage("order")]
    >>> [s.name for s in stage_template("doc_example")]
    ['visit', 'order']
    """

    def decorate(func: Callable[[], list[Stage]]) -> Callable[[], list[Stage]]:
        if name in _TEMPLATES:
            msg = (
                f"A stage template named {name!r} is already registered."
                "\nHint: pick another name; templates are never overwritten."
            )
            raise RegistryError(msg)
        _TEMPLATES[name] = func
        return func

    return decorate


@validate_params(name=InstanceOf(str, description="a template name (a string)"))
def stage_template(name: str) -> list[Stage]:
    """The stages of a registered template (a fresh list each call).

    Built-ins: ``"own_site"``, ``"marketplace"``, ``"interest_commerce"``.
    """
    try:
        factory = _TEMPLATES[name]
    except KeyError:
        msg = f"No stage template named {name!r}. Registered: {', '.join(stage_templates())}."
        raise RegistryError(msg) from None
    return list(factory())


def stage_templates() -> list[str]:
    """Names of the registered stage templates, sorted."""
    return sorted(_TEMPLATES)


@register_template("own_site")
def _own_site() -> list[Stage]:
    """Own web shop: visit → product view → add to cart → checkout → payment."""
    return [Stage(n) for n in ("visit", "product_view", "add_to_cart", "checkout", "payment")]


@register_template("marketplace")
def _marketplace() -> list[Stage]:
    """Amazon-like marketplace: impression → click (detail page) → add to cart → order."""
    return [Stage(n) for n in ("impression", "click", "add_to_cart", "order")]


@register_template("interest_commerce")
def _interest_commerce() -> list[Stage]:
    """Short-video commerce (TikTok Shop): impression → video view → product click → cart → order."""
    names = ("impression", "video_view", "product_click", "add_to_cart", "order")
    return [Stage(n) for n in names]
