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

from ._conformance import ConformanceKit
from ._params import Boolean, ColumnName, InstanceOf, Satisfies, check_param, validate_params
from ._registry import Registry
from .errors import ColumnNotFoundError, ParameterError
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

    Every check runs, and every failure is reported at once: it has a non-empty string
    ``name`` and a callable ``mask``; ``mask`` returns a numpy boolean array with one value
    per row, also on a frame with no rows; it leaves the frame it is given unchanged; and a
    second call gives the same mask. The matcher only ever sees copies of ``events``, so a
    faulty matcher cannot modify the caller's frame.

    Parameters
    ----------
    matcher
        The object to check (a custom stage class, or a :class:`Stage`).
    events
        An events frame to run ``mask`` on; it must have the ``event`` column.
    event
        The event-name column passed to ``mask``.

    Returns
    -------
    numpy.ndarray
        The matcher's mask over ``events`` (every check passed).

    Raises
    ------
    ConformanceError
        Listing every check the matcher failed.
    ParameterError, SchemaError, ColumnNotFoundError
        The arguments themselves are wrong (``events`` is not a frame, has no ``event``
        column...): the caller's mistake, not the matcher's.

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"event": ["visit", "order"]})
    >>> check_stage_matcher(Stage("order"), ev).tolist()
    [False, True]
    >>> class Broken:
    ...     name = ""
    ...     def mask(self, events, *, event):
    ...         return [True] * len(events)
    >>> check_stage_matcher(Broken(), ev)
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ConformanceError: Broken fails 3 of the StageMatcher checks:
    - name: 'name' must be a non-empty str. Got '' instead.
    - mask type: mask() must return a numpy bool array. Got list instead.
    - mask on an empty frame: mask() must return a numpy bool array. Got list instead.
    """
    events = as_frame(events, frame_name="events")
    if event not in events.columns:
        raise ColumnNotFoundError(event, events.columns, role="event", frame_name="events")
    kit = ConformanceKit(type(matcher).__name__, "StageMatcher")
    name = getattr(matcher, "name", None)
    kit.require(
        isinstance(name, str) and bool(name.strip()),
        f"name: 'name' must be a non-empty str. Got {name!r} instead.",
    )
    if not kit.require(
        callable(getattr(matcher, "mask", None)), "mask: it has no callable 'mask' method."
    ):
        kit.finish()
    call = matcher.mask  # type: ignore[attr-defined]
    first: object = None
    with kit.check("mask"):
        probe = events.copy(deep=True)
        first = call(probe, event=event)
    kit.require(
        probe.equals(events) and list(probe.columns) == list(events.columns),
        "unchanged input: mask() modified the events frame; it must leave it unchanged.",
    )
    if first is not None:
        with kit.check("mask type"):
            _assert_mask(first, len(events))
        with kit.check("determinism"):
            second = call(events.copy(deep=True), event=event)
            if not np.array_equal(np.asarray(first), np.asarray(second)):
                msg = "mask() is not deterministic: two calls gave different masks."
                raise AssertionError(msg)
    with kit.check("mask on an empty frame"):
        _assert_mask(call(events.iloc[:0].copy(deep=True), event=event), 0)
    kit.finish()
    if not isinstance(first, np.ndarray):  # pragma: no cover - the checks above passed
        raise TypeError(type(first).__name__)
    return first


def _assert_mask(mask: object, rows: int) -> None:
    """Assert that ``mask`` is a numpy bool array with ``rows`` values."""
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = getattr(mask, "dtype", type(mask).__name__)
        msg = f"mask() must return a numpy bool array. Got {got} instead."
        raise AssertionError(msg)
    if mask.shape != (rows,):
        msg = f"mask() must return shape ({rows},). Got {mask.shape} instead."
        raise AssertionError(msg)


# --------------------------------------------------------------------------- templates

Template: TypeAlias = Callable[[], list[Stage]]

#: The registered stage templates (name -> function returning a fresh list of stages).
_TEMPLATES: Registry[Template] = Registry("stage template")


@validate_params(name=_NAME, replace=Boolean())
def register_template(name: str, *, replace: bool = False) -> Callable[[Template], Template]:
    """Decorator registering a function returning a list of stages under ``name``.

    Parameters
    ----------
    name
        The template's name, as :func:`stage_template` looks it up.
    replace
        Allow replacing a template already registered under ``name``.

    Raises
    ------
    RegistryError
        ``name`` is already registered and ``replace`` is false (templates are never
        overwritten silently).

    Examples
    --------
    >>> @register_template("doc_example")
    ... def _doc_example() -> list[Stage]:
    ...     return [Stage("visit"), Stage("order")]
    >>> [s.name for s in stage_template("doc_example")]
    ['visit', 'order']
    """
    return _TEMPLATES.register(name, replace=replace)


@validate_params(name=InstanceOf(str, description="a template name (a string)"))
def stage_template(name: str) -> list[Stage]:
    """The stages of a registered template (a fresh list each call).

    Built-ins: ``"own_site"``, ``"marketplace"``, ``"interest_commerce"``.

    Raises
    ------
    RegistryError
        No template is registered as ``name``; the message lists the registered ones.
    """
    return list(_TEMPLATES.get(name)())


def stage_templates() -> list[str]:
    """Names of the registered stage templates, sorted."""
    return _TEMPLATES.names()


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
