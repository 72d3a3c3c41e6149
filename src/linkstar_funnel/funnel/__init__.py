"""Event-log funnels: the :class:`Funnel` spec, its engine, and :class:`FunnelResult`."""

from __future__ import annotations

from ._result import FunnelResult
from ._spec import Exclusion, Funnel

__all__ = ["Exclusion", "Funnel", "FunnelResult"]
