"""What every result object offers, and the pieces they share.

Results are frozen attrs classes that implement the :class:`Result` protocol:

* ``to_frame()`` — a tidy, long-format, labelled DataFrame (a fresh copy each call);
* ``summary()`` — a :class:`Summary`: a title, key facts, an optional table and notes,
  printable as text and as escaped HTML (``_repr_html_`` shows it in notebooks);
* ``plot(ax=None)`` — draws on a matplotlib Axes and returns it;
* ``provenance`` — a :class:`Provenance`: the spec that produced the result and, per input
  frame, rows in, used and dropped with reasons.

Built-in results inherit :class:`ResultMixin` for ``_repr_html_`` and ``__str__``;
:func:`check_result` holds any result (built in or your own) to these conventions.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.results import Summary
>>> s = Summary("Funnel", facts=(("users", "1,024"),), notes=("2 rows dropped",))
>>> print(s)
Funnel
  users: 1,024
  note: 2 rows dropped
"""

from __future__ import annotations

import abc
import html
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import numpy as np
import pandas as pd

from ._conformance import ConformanceKit
from .schema import RowAccounting

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Provenance", "Result", "ResultMixin", "Summary", "check_result"]


def _freeze_inputs(value: Mapping[str, RowAccounting]) -> Mapping[str, RowAccounting]:
    return dict(value)


@attrs.frozen
class Provenance:
    """Where a result came from: its spec, and the rows of each input used or dropped.

    Parameters
    ----------
    spec
        The (frozen) spec object that produced the result, e.g. a ``Funnel``.
    inputs
        Per input frame name (``"events"``, ``"orders"``...), its :class:`RowAccounting`.
    notes
        Anything else a reader must know (assumptions, settings that were defaulted).
    """

    spec: object
    inputs: Mapping[str, RowAccounting] = attrs.field(factory=dict, converter=_freeze_inputs)
    notes: tuple[str, ...] = ()

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped across every input."""
        return sum(acc.rows_dropped for acc in self.inputs.values())

    def dropped_frame(self) -> pd.DataFrame:
        """Rows dropped by input and reason: ``input``, ``reason``, ``column``, ``rows``."""
        parts = [acc.to_frame().assign(input=name) for name, acc in self.inputs.items()]
        cols = ["input", "reason", "column", "rows"]
        if not parts:
            return pd.DataFrame(columns=cols)
        return pd.concat(parts, ignore_index=True)[cols]

    def lines(self) -> list[str]:
        """Human-readable lines: one per input, then the notes."""
        return [f"{name}: {acc}" for name, acc in self.inputs.items()] + list(self.notes)


@attrs.frozen
class Summary:
    """A short human-readable account of a result, as text or as HTML.

    Parameters
    ----------
    title
        A heading.
    facts
        ``(label, value)`` pairs already formatted for reading.
    table
        An optional small table shown under the facts.
    notes
        Caveats and provenance lines.
    """

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    table: pd.DataFrame | None = attrs.field(default=None, eq=False)
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        out = [self.title]
        out += [f"  {label}: {value}" for label, value in self.facts]
        if self.table is not None and len(self.table):
            out += ["", self.table.to_string(index=False)]
        out += [f"  note: {n}" for n in self.notes]
        return "\n".join(out)

    def to_html(self) -> str:
        """Self-contained HTML fragment; every piece of text is escaped."""
        esc = html.escape
        parts = [f'<div class="lf-summary"><h4>{esc(self.title)}</h4>']
        if self.facts:
            rows = "".join(
                f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>"
                for label, value in self.facts
            )
            parts.append(f'<table class="lf-facts">{rows}</table>')
        if self.table is not None and len(self.table):
            # DataFrame.to_html escapes cell text by default (escape=True).
            parts.append(self.table.to_html(index=False, classes="lf-table", border=0))
        if self.notes:
            items = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
            parts.append(f'<ul class="lf-notes">{items}</ul>')
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()


@runtime_checkable
class Result(Protocol):
    """The protocol every result object implements."""

    @property
    def provenance(self) -> Provenance:
        """The spec and the row accounting behind this result."""
        ...

    def to_frame(self) -> pd.DataFrame:
        """A tidy, long-format DataFrame of the result."""
        ...

    def summary(self) -> Summary:
        """A short account of the result."""
        ...

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the result and return the Axes."""
        ...


class ResultMixin(abc.ABC):
    """``_repr_html_`` and ``__str__`` for results, derived from their ``summary()``."""

    __slots__ = ()

    @abc.abstractmethod
    def summary(self) -> Summary:
        """A short account of the result."""

    def _repr_html_(self) -> str:
        return self.summary().to_html()

    def __str__(self) -> str:
        return str(self.summary())


# --------------------------------------------------------------------------- conformance


def check_result(result: object) -> None:
    """Check that ``result`` keeps the conventions every result object follows.

    Every check runs and every failure is reported at once:

    * **frozen attrs**: an instance of a frozen attrs class (assigning a field raises);
    * **provenance**: ``result.provenance`` is a :class:`Provenance`;
    * **to_frame**: returns a ``pandas.DataFrame``, a new object at each call, equal to
      the previous one; writing into it changes neither the result nor the next call's
      frame; and none of its columns shares memory with an array, Series or DataFrame
      held by the result;
    * **summary**: returns a :class:`Summary`;
    * **_repr_html_**: returns a ``str``;
    * **plot**: ``plot()`` returns a matplotlib ``Axes`` (its figure is closed afterwards).

    Parameters
    ----------
    result
        The result object to check (any object: that is what the kit finds out).

    Raises
    ------
    ConformanceError
        Listing every convention the result breaks.

    Examples
    --------
    >>> import attrs
    >>> import pandas as pd
    >>> @attrs.frozen
    ... class Visits(ResultMixin):
    ...     counts: pd.Series
    ...     provenance: Provenance
    ...     def to_frame(self):
    ...         return self.counts.rename_axis("day").reset_index(name="visits").copy()
    ...     def summary(self):
    ...         return Summary("Visits", facts=(("days", str(len(self.counts))),))
    ...     def plot(self, ax=None, **kwargs):
    ...         import matplotlib.pyplot as plt
    ...         ax = ax or plt.figure().add_subplot()
    ...         ax.plot(self.counts.to_numpy())
    ...         return ax
    >>> check_result(Visits(pd.Series([3, 5]), Provenance(spec="visits per day")))
    >>> class Loose:
    ...     provenance = None
    ...     def to_frame(self):
    ...         return pd.DataFrame({"a": [1]})
    >>> check_result(Loose())
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ConformanceError: Loose fails 5 of the result checks:
    - frozen attrs: Loose is not an attrs class.
    - provenance: it must be a Provenance. Got NoneType instead.
    - summary: raised AttributeError: 'Loose' object has no attribute 'summary'
    - _repr_html_: raised AttributeError: 'Loose' object has no attribute '_repr_html_'
    - plot: raised AttributeError: 'Loose' object has no attribute 'plot'
    """
    kit = ConformanceKit(type(result).__name__, "result")
    with kit.check("frozen attrs"):
        _assert_frozen(result)
    provenance = getattr(result, "provenance", None)
    kit.require(
        isinstance(provenance, Provenance),
        f"provenance: it must be a Provenance. Got {type(provenance).__name__} instead.",
    )
    with kit.check("to_frame"):
        _assert_fresh_frames(result)
    with kit.check("summary"):
        summary = result.summary()  # type: ignore[attr-defined]
        _assert_type(summary, Summary, "summary()")
    with kit.check("_repr_html_"):
        _assert_type(result._repr_html_(), str, "_repr_html_()")  # type: ignore[attr-defined]
    with kit.check("plot"):
        _assert_axes(result.plot())  # type: ignore[attr-defined]
    kit.finish()


def _assert_type(value: object, expected: type, what: str) -> None:
    if not isinstance(value, expected):
        msg = f"{what} must return a {expected.__name__}. Got {type(value).__name__} instead."
        raise AssertionError(msg)  # noqa: TRY004 - a kit records a broken convention as an assertion


def _assert_frozen(result: object) -> None:
    cls: Any = type(result)
    if not attrs.has(cls):
        msg = f"{cls.__name__} is not an attrs class."
        raise AssertionError(msg)
    fields = attrs.fields(cls)
    if not fields:
        return
    name = fields[0].name
    try:
        setattr(result, name, getattr(result, name))
    except attrs.exceptions.FrozenInstanceError:
        return
    msg = f"{cls.__name__} is not frozen: assigning its field {name!r} worked."
    raise AssertionError(msg)


def _assert_fresh_frames(result: object) -> None:
    first = result.to_frame()  # type: ignore[attr-defined]
    _assert_type(first, pd.DataFrame, "to_frame()")
    pristine = first.copy(deep=True)
    second = result.to_frame()  # type: ignore[attr-defined]
    if second is first:
        msg = "to_frame() returned the same DataFrame object twice; it must be a new one."
        raise AssertionError(msg)
    if not second.equals(pristine):
        msg = "two calls of to_frame() gave different frames."
        raise AssertionError(msg)
    held = list(_held_arrays(result))
    for column in first.columns:
        values = first[column].to_numpy()
        if any(np.shares_memory(values, array) for array in held):
            msg = f"to_frame() column {column!r} shares memory with an array the result holds."
            raise AssertionError(msg)
    _scribble(first)
    third = result.to_frame()  # type: ignore[attr-defined]
    if not third.equals(pristine):
        msg = "writing into a frame from to_frame() changed the result's next frame."
        raise AssertionError(msg)


def _held_arrays(result: object) -> Iterator[np.ndarray[Any, Any]]:
    """The numpy buffers held by the result's fields (arrays, Series, DataFrames)."""
    cls: Any = type(result)
    if not attrs.has(cls):
        return
    for field in attrs.fields(cls):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, pd.Series):
            yield value.to_numpy()
        elif isinstance(value, pd.DataFrame):
            yield from (value[c].to_numpy() for c in value.columns if value[c].ndim == 1)


def _scribble(frame: pd.DataFrame) -> None:
    """Overwrite every cell of ``frame`` in place (reversed rows) and add a column."""
    if len(frame) > 1:
        for i in range(frame.shape[1]):
            column = frame.iloc[:, i].iloc[::-1]
            numpy_dtype = isinstance(column.dtype, np.dtype)
            frame.iloc[:, i] = column.to_numpy() if numpy_dtype else column.array
    frame["_check_result_scribble"] = 0


def _assert_axes(ax: object) -> None:
    import matplotlib.pyplot as plt  # matplotlib only when plotting
    from matplotlib.axes import Axes

    try:
        _assert_type(ax, Axes, "plot()")
    finally:
        figure = getattr(ax, "figure", None)
        if figure is not None:
            plt.close(figure.get_figure(root=True) if hasattr(figure, "get_figure") else figure)
