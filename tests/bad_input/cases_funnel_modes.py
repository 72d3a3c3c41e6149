"""Bad-input cases of ``Funnel(clickhouse_modes=...)``: the spec, and a compute through the
ClickHouse pass (strict_order keeps rows matching no stage, so corrupted frames reach it)."""

from __future__ import annotations

from linkstar_funnel.funnel import Funnel

from .cases import STAGES, Case, events

_MODES = ("strict_deduplication", "strict_order", "allow_reentry")

CASES: list[Case] = [
    Case(
        "Funnel(clickhouse_modes)",
        Funnel,
        (),
        params={
            "stages": STAGES,
            "window": "0s",
            "clickhouse_modes": _MODES,
            "counting": "sessions",
        },
    ),
    Case(
        "Funnel(clickhouse_modes).compute",
        lambda events, **kw: Funnel(STAGES, window="1D", clickhouse_modes=_MODES).compute(
            events, **kw
        ),
        (),
        events,
        {"user": "user_id", "time": "timestamp", "event": "event", "by": "country"},
    ),
]
