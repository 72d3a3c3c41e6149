"""Exceptions and warnings raised by linkstar_funnel.

Every error the library raises on purpose derives from :class:`LinkstarError`, and also
from the builtin a caller would naturally catch (``ValueError``, ``KeyError``, ...), so
``except ValueError`` keeps working in code that does not know this library::

    LinkstarError (Exception)
    ├── SchemaError (ValueError)             a frame does not have the expected shape
    │   ├── ColumnNotFoundError (KeyError)   a named column is missing
    │   ├── EmptyFrameError                  no rows, or no rows left after cleaning
    │   ├── TimeColumnError (TypeError)      a time column that cannot be read as times
    │   └── TimeZoneError                    tz-aware and naive times mixed
    ├── ParameterError (ValueError)          a parameter outside its domain
    ├── RegistryError (KeyError)             unknown name, or a name registered twice
    ├── ConformanceError (AssertionError)    an extension breaks its protocol (every failure listed)
    ├── ConvergenceError (RuntimeError)      an optimiser failed to converge
    ├── EngineError (RuntimeError)           a SQL engine failed; the generated SQL attached
    └── DatasetError (OSError)               a bundled data set cannot be read

    LinkstarWarning (UserWarning)
    ├── DataQualityWarning                   rows dropped or suspicious values found
    └── ConvergenceWarning                   an optimiser converged poorly; result usable

Messages name the column or parameter, what was expected and what was found, and end
with a ``Hint:`` when a likely fix exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

__all__ = [
    "ColumnNotFoundError",
    "ConformanceError",
    "ConvergenceError",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DatasetError",
    "EmptyFrameError",
    "EngineError",
    "LinkstarError",
    "LinkstarWarning",
    "ParameterError",
    "RegistryError",
    "SchemaError",
    "TimeColumnError",
    "TimeZoneError",
]


class LinkstarError(Exception):
    """Root of every error linkstar_funnel raises on purpose."""


class SchemaError(LinkstarError, ValueError):
    """A data frame does not have the shape or types a computation needs."""


class ColumnNotFoundError(SchemaError, KeyError):
    """A column named in a mapping is not in the frame.

    Parameters
    ----------
    column
        The missing column name.
    available
        The frame's column names, used to suggest close matches.
    role
        What the column was for (``"user"``, ``"time"``...), to say which parameter to fix.
    frame_name
        What the frame is (``"events"``, ``"orders"``...).
    typed_candidates
        Columns whose type suits the role (e.g. datetime columns for a time role), offered
        first when their names are close, or alone when no name is close.
    """

    def __init__(
        self,
        column: str,
        available: Iterable[object],
        *,
        role: str | None = None,
        frame_name: str = "input",
        typed_candidates: Iterable[str] = (),
    ) -> None:
        self.column = column
        self.available = [str(c) for c in available]
        self.role = role
        what = f"{role} column " if role else "column "
        msg = (
            f"The {frame_name} frame has no {what}{column!r}. "
            f"Found columns: {_short_list(self.available)}."
        )
        typed = [str(c) for c in typed_candidates]
        close = _close_names(str(column), self.available)
        close = [c for c in close if c in typed] + [c for c in close if c not in typed]
        if typed and not set(close) & set(typed):
            close = typed[:3]
        if close:
            alternatives = ", ".join(repr(c) for c in close)
            param = f" (pass {role}={close[0]!r})" if role else ""
            msg += f"\nHint: did you mean one of these columns: {alternatives}{param}?"
        self.message = msg
        super().__init__(msg)

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and show the quotes and "\n" escapes.
        return self.message


class EmptyFrameError(SchemaError):
    """A frame has no rows, or none are left once unusable rows are dropped."""


class TimeColumnError(SchemaError, TypeError):
    """A time column cannot be read as points in time."""


class TimeZoneError(SchemaError):
    """Time zone-aware and naive timestamps are mixed, or a time zone name is unknown."""


class ParameterError(LinkstarError, ValueError):
    """A parameter is outside its domain (a negative window, an unknown mode...)."""


class RegistryError(LinkstarError, KeyError):
    """A name is not in a registry, or is registered twice."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConformanceError(LinkstarError, AssertionError):
    """An extension (a stage matcher, a model, a backend...) breaks its protocol.

    Raised by every conformance kit (``check_stage_matcher``, ``check_attribution_model``,
    ``check_ltv_model``, ``check_decomposition``, ``check_backend``...) after running all of
    its checks; ``failures`` lists each failed check, and the message shows them all.

    Attributes
    ----------
    subject
        What was checked (e.g. ``"MyModel"``).
    protocol
        The protocol it was checked against (e.g. ``"AttributionModel"``).
    failures
        One sentence per failed check.
    """

    def __init__(self, subject: str, protocol: str, failures: Iterable[str]) -> None:
        self.subject = subject
        self.protocol = protocol
        self.failures = tuple(failures)
        lines = "\n- ".join(self.failures)
        n = len(self.failures)
        super().__init__(f"{subject} fails {n} of the {protocol} checks:\n- {lines}")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.subject, self.protocol, self.failures))


class ConvergenceError(LinkstarError, RuntimeError):
    """A maximum-likelihood fit did not converge; the optimiser's message is attached."""


class EngineError(LinkstarError, RuntimeError):
    """A SQL engine (DuckDB, Spark... through Ibis) failed to run a generated query.

    Attributes
    ----------
    sql
        The generated SQL (for debugging; run it in the engine's own shell).
    backend
        The Ibis backend's name (``"duckdb"``...), when known.
    """

    def __init__(self, message: str, *, sql: str, backend: str | None = None) -> None:
        self.sql = sql
        self.backend = backend
        super().__init__(message)


class DatasetError(LinkstarError, OSError):
    """A bundled data set is missing or unreadable (a broken installation)."""


class LinkstarWarning(UserWarning):
    """Root of every warning linkstar_funnel emits."""


class DataQualityWarning(LinkstarWarning):
    """Rows were dropped or values look suspicious; the result says how many and why."""


class ConvergenceWarning(LinkstarWarning):
    """An optimiser stopped early or at a boundary; the result is usable but check it."""


def _close_names(name: str, candidates: list[str], limit: int = 3) -> list[str]:
    """Likely intended names: near spellings first, then case-insensitive containment."""
    lowered = {c.lower(): c for c in candidates}
    key = name.lower()
    found = [lowered[c] for c in get_close_matches(key, list(lowered), n=limit, cutoff=0.5)]
    if len(key) >= 2:
        found += [c for c in candidates if key in c.lower() or (len(c) >= 2 and c.lower() in key)]
    return list(dict.fromkeys(found))[:limit]


def _short_list(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown or "none"
