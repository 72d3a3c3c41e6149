"""Progress of engine queries: a callback told when each query starts, while it runs, and
when it ends.

Engine queries block until the engine answers, which on billions of rows takes minutes.
Inside ``with progress():`` every query the library sends reports to a callback (by
default one line on stderr) when it starts, every ``every`` seconds while it runs (from a
daemon thread), and when it ends. Each query is also logged at INFO level on the
``linkstar_funnel.sql`` logger.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator

import attrs

from ..._params import Real, Satisfies, validate_params

__all__ = ["QueryProgress", "progress", "reporting"]

logger = logging.getLogger("linkstar_funnel.sql")


@attrs.frozen
class QueryProgress:
    """One report: which query (``what``), on which engine, seconds so far, whether it
    has finished, and whether it failed (then the engine's error follows)."""

    what: str
    backend: str
    seconds: float
    done: bool
    failed: bool = False


Callback = Callable[[QueryProgress], None]
_CURRENT: contextvars.ContextVar[tuple[Callback, float] | None] = contextvars.ContextVar(
    "linkstar_funnel_sql_progress", default=None
)


def print_progress(report: QueryProgress) -> None:
    """The default callback: one line on stderr per report."""
    if report.failed:
        line = f"{report.what} on {report.backend}: failed after {report.seconds:,.1f} s"
    elif report.done:
        line = f"{report.what} on {report.backend}: done in {report.seconds:,.1f} s"
    elif report.seconds == 0:
        line = f"{report.what} on {report.backend}: running..."
    else:
        line = f"{report.what} on {report.backend}: still running ({report.seconds:,.0f} s)"
    sys.stderr.write(f"linkstar_funnel: {line}\n")
    sys.stderr.flush()


@validate_params(
    callback=[None, Satisfies(callable, "a function taking a QueryProgress")],
    every=Real(0, closed="neither"),
)
@contextlib.contextmanager
def progress(callback: Callback | None = None, *, every: float = 10.0) -> Iterator[None]:
    """Report the engine queries run inside the block.

    Parameters
    ----------
    callback
        Called with a :class:`QueryProgress` at each query's start, every ``every``
        seconds while it runs, and at its end. Default: a line on stderr.
    every
        Seconds between reports while a query runs (> 0).

    Examples
    --------
    >>> import pytest
    >>> duckdb = pytest.importorskip("duckdb")  # the [sql] extra
    >>> _ = pytest.importorskip("ibis")
    >>> import linkstar_funnel as lf
    >>> from linkstar_funnel.sql import progress
    >>> events = duckdb.sql(
    ...     "SELECT 'a' AS user_id, 'visit' AS event, TIMESTAMP '2026-01-01' AS timestamp "
    ...     "UNION ALL SELECT 'a', 'order', TIMESTAMP '2026-01-02'")
    >>> seen = []
    >>> with progress(seen.append):
    ...     counts = lf.Funnel(["visit", "order"]).compute(events).to_frame()
    >>> [r.what for r in seen if r.done]
    ['row accounting', 'funnel levels']
    """
    token = _CURRENT.set((callback or print_progress, float(every)))
    try:
        yield
    finally:
        _CURRENT.reset(token)


@contextlib.contextmanager
def reporting(what: str, backend: str) -> Iterator[None]:
    """Around one query: log it, and report it to the active :func:`progress` callback."""
    logger.info("%s on %s: running", what, backend)
    start = time.perf_counter()
    active = _CURRENT.get()
    stop = threading.Event()
    ticker = None
    if active is not None:
        callback, every = active
        callback(QueryProgress(what, backend, 0.0, done=False))

        def tick() -> None:
            while not stop.wait(every):
                callback(QueryProgress(what, backend, time.perf_counter() - start, done=False))

        ticker = threading.Thread(target=tick, name="linkstar-progress", daemon=True)
        ticker.start()
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        seconds = time.perf_counter() - start
        logger.info(
            "%s on %s: %s in %.1f s", what, backend, "failed" if failed else "done", seconds
        )
        if active is not None:
            report = QueryProgress(what, backend, seconds, done=True, failed=failed)
            if failed:  # the engine's error matters more than the callback's
                with contextlib.suppress(Exception):
                    active[0](report)
            else:
                active[0](report)
