"""Calling prophet politely: quiet, reproducible, and without touching global state.

prophet and cmdstanpy log progress at INFO on every fit, prophet calls pandas APIs that
pandas has deprecated, and prophet samples its intervals from numpy's *global* generator.
:func:`prophet_call` handles all three around one call and restores everything after:
logger levels, warning filters and the caller's global random state. Nothing is
configured at import time, and prophet itself is imported only by :func:`import_prophet`.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["import_prophet", "prophet_call", "quiet_prophet", "seeded_global_rng"]

_LOGGERS = ("prophet", "prophet.plot", "cmdstanpy")


class _AtLeast(logging.Filter):
    """Pass records at or above a level."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


@contextlib.contextmanager
def quiet_prophet(level: int = logging.WARNING) -> Iterator[None]:
    """Inside the block, prophet and cmdstanpy log only at ``level`` or above.

    Also ignores deprecation warnings raised *from prophet's own code*; warnings from
    this library or the caller's code still surface. Everything is restored on exit.

    Examples
    --------
    >>> import logging
    >>> with quiet_prophet():
    ...     logging.getLogger("cmdstanpy").getEffectiveLevel() == logging.WARNING
    True
    >>> logging.getLogger("cmdstanpy").level == logging.WARNING
    False
    """
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    before = [lg.level for lg in loggers]
    # cmdstanpy resets its logger's level when it first sets up its handler, inside the
    # fit; a filter on the logger holds regardless.
    keep = _AtLeast(level)
    try:
        for lg in loggers:
            lg.setLevel(level)
            lg.addFilter(keep)
        with warnings.catch_warnings():
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category, module=r"prophet(\.|$)")
            yield
    finally:
        for lg, old in zip(loggers, before, strict=True):
            lg.removeFilter(keep)
            lg.setLevel(old)


@contextlib.contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Seed numpy's legacy global generator (prophet samples from it); restore it after.

    Examples
    --------
    >>> before = np.random.get_state()[1][:3].tolist()
    >>> with seeded_global_rng(1):
    ...     a = np.random.random()
    >>> with seeded_global_rng(1):
    ...     b = np.random.random()
    >>> a == b, np.random.get_state()[1][:3].tolist() == before
    (True, True)
    """
    state = np.random.get_state()  # noqa: NPY002 - prophet draws from the legacy global state
    try:
        np.random.seed(seed)  # noqa: NPY002
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@contextlib.contextmanager
def prophet_call(seed: int) -> Iterator[None]:
    """Quiet and seeded: wrap every prophet ``fit``/``predict`` in this."""
    with quiet_prophet(), seeded_global_rng(seed):
        yield


def import_prophet() -> Any:
    """Import and return ``prophet.Prophet`` (prophet logs an ERROR when plotly is absent)."""
    with quiet_prophet(logging.CRITICAL):
        from prophet import Prophet
    return Prophet
