"""Retention and lifecycle: do users who did something come back?

* :class:`Retention` — the cohort table (cohort x periods since), its cohort-size-weighted
  curve with intervals, revenue and net revenue retention; :class:`RetentionResult`.
* :class:`Lifecycle` — per period, new, returning, resurrecting and dormant users;
  :class:`LifecycleResult`.

Semantics are those of PostHog's retention and lifecycle insights; see the guide.
"""

from __future__ import annotations

from ._lifecycle import Lifecycle, LifecycleResult
from ._result import RetentionResult
from ._retention import Retention

__all__ = ["Lifecycle", "LifecycleResult", "Retention", "RetentionResult"]
