"""What every result object offers, and the pieces they share.

Results are frozen attrs classes that implement the :class:`Result` protocol:

* ``to_frame()`` — a tidy, long-format, labelled DataFrame (a fresh copy each call);
* ``summary()`` — a :class:`Summary`: a title, key facts, an optional table and notes,
  printable as text and as escaped HTML (``_repr_html_`` shows it in notebooks);
* ``plot(ax=None)`` — draws on a matplotlib Axes and returns it;
* ``provenance`` — a :class:`Provenance`: the spec that produced the result and, per input
  frame, rows in, used and dropped with reasons.

Built-in results inherit :class:`ResultMixin` for ``_repr_html_`` and ``__str__``.

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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import pandas as pd

from .schema import RowAccounting

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Provenance", "Result", "ResultMixin", "Summary"]


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
