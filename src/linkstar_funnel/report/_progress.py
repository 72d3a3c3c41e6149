"""Progress lines for long report steps, such as ``[1/3] loading data… 0.4 s``, on stderr."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import attrs

__all__ = ["Progress", "Step"]


@attrs.define
class Step:
    """A running step; set :attr:`note` to say how it ended (``"skipped: no orders"``)."""

    label: str
    note: str | None = None


@attrs.define
class Progress:
    """Numbered, timed progress lines written to a text stream.

    Parameters
    ----------
    total
        Number of steps announced, for the ``[i/total]`` prefix.
    stream
        Where to write (the CLI passes ``sys.stderr``); ``None`` writes nothing.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> progress = Progress(2, stream=out)
    >>> with progress.step("loading data"):
    ...     pass
    >>> out.getvalue().startswith("[1/2] loading data… ")
    True
    """

    total: int
    stream: TextIO | None = None
    done: int = 0
    clock: Callable[[], float] = attrs.field(default=time.perf_counter, repr=False)

    @contextmanager
    def step(self, label: str) -> Iterator[Step]:
        """Announce a step, time it, and finish its line when the block exits.

        If the block raises, the line ends with ``failed`` and the exception propagates.
        """
        self.done += 1
        current = Step(label)
        width = len(str(self.total))
        self._write(f"[{self.done:>{width}}/{self.total}] {label}… ")
        start = self.clock()
        try:
            yield current
        except BaseException:
            self._write("failed\n")
            raise
        elapsed = self.clock() - start
        note = f" ({current.note})" if current.note else ""
        self._write(f"{elapsed:.1f} s{note}\n")

    def _write(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()
