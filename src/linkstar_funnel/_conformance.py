"""The shared machinery of every conformance kit: run all checks, then report all failures.

A kit (``check_stage_matcher``, ``check_attribution_model``, ``check_ltv_model``,
``check_decomposition``, ``check_backend``...) runs each of its checks inside
:meth:`ConformanceKit.check`; a check that raises (an ``assert``, or any exception from the
code under test) is recorded with its reason and the kit carries on. :meth:`finish` raises
one :class:`~linkstar_funnel.errors.ConformanceError` listing every failure.

Examples
--------
>>> kit = ConformanceKit("Doubler", "Transform")
>>> with kit.check("doubles 2"):
...     assert 2 * 2 == 4
>>> with kit.check("doubles 3"):
...     assert 3 * 2 == 7, "3 * 2 gave 6, not 7"
>>> kit.failures
['doubles 3: 3 * 2 gave 6, not 7']
>>> kit.finish()
Traceback (most recent call last):
...
linkstar_funnel.errors.ConformanceError: Doubler fails 1 of the Transform checks:
- doubles 3: 3 * 2 gave 6, not 7
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import ConformanceError

__all__ = ["ConformanceKit"]


class ConformanceKit:
    """Collects the failures of one subject's checks against one protocol."""

    def __init__(self, subject: str, protocol: str) -> None:
        self.subject = subject
        self.protocol = protocol
        self.failures: list[str] = []

    def fail(self, message: str) -> None:
        """Record a failed check."""
        self.failures.append(message)

    def require(self, ok: bool, message: str) -> bool:
        """Record ``message`` as a failure unless ``ok``; return ``ok``."""
        if not ok:
            self.fail(message)
        return ok

    @contextmanager
    def check(self, what: str) -> Iterator[None]:
        """Run the body as one check: an exception in it is recorded as a failure.

        An ``AssertionError`` contributes its message; any other exception its type and
        message (the code under test crashed).
        """
        try:
            yield
        except AssertionError as exc:
            self.fail(f"{what}: {exc}" if str(exc) else f"{what}: failed")
        except Exception as exc:  # noqa: BLE001 - a kit reports crashes of the code it checks
            self.fail(f"{what}: raised {type(exc).__name__}: {exc}")

    def raises(
        self, what: str, error: type[Exception], func: Callable[..., object], *args: Any
    ) -> None:
        """Record a failure unless ``func(*args)`` raises ``error`` (a subclass will do)."""
        try:
            func(*args)
        except error:
            return
        except Exception as exc:  # noqa: BLE001 - a kit reports what the code under test raised
            self.fail(f"{what}: raised {type(exc).__name__}, not {error.__name__}: {exc}")
            return
        self.fail(f"{what}: raised nothing, not {error.__name__}")

    @property
    def ok(self) -> bool:
        """No check failed so far."""
        return not self.failures

    def finish(self) -> None:
        """Raise :class:`ConformanceError` listing every failure, if any."""
        if self.failures:
            raise ConformanceError(self.subject, self.protocol, self.failures)
