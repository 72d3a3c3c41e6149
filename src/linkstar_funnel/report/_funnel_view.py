"""What the funnel section computes, once per report: the funnels and their headline.

:func:`funnel_view` picks the stages (the ``--stages`` option's, or the demo store's seven
when the events have them all), computes the overall funnel and one per breakdown, and
caches them in the report context, where the "what needs action" section reuses them.
:func:`headline` says the result in one sentence.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import attrs
import pandas as pd

from ..funnel import Funnel, FunnelResult
from ._sections import ReportContext, ReportData

__all__ = [
    "DEMO_STAGES",
    "FUNNEL_STAGES_EXTRA",
    "SEGMENTS",
    "WINDOW",
    "FunnelView",
    "duration_text",
    "funnel_view",
    "headline",
    "step_label",
]

#: ``ReportData.extras`` key of the stage names given with ``--stages``.
FUNNEL_STAGES_EXTRA = "funnel_stages"
#: The demo store's stages, used when the events have every one of them.
DEMO_STAGES: tuple[str, ...] = (
    "impression",
    "click",
    "visit",
    "product_view",
    "add_to_cart",
    "checkout",
    "payment",
)
WINDOW = "7D"
#: Breakdowns shown (those the events have; ``--by`` narrows them).
SEGMENTS: tuple[str, ...] = ("platform", "country")
#: The step whose converters and dropouts are compared, when both stages are present.
CVD_STEP = ("add_to_cart", "checkout")
#: Event properties compared between converters and dropouts (those the events have).
CVD_COLUMNS = ("platform", "country", "device", "channel")
_ARROW = "\u2192"
# How the headline names reaching a stage.
_REACHED = {
    "impression": "saw an impression",
    "visit": "visited",
    "payment": "paid",
    "order": "ordered",
    "click": "clicked",
    "checkout": "started checkout",
}


@attrs.frozen(eq=False)
class FunnelView:
    """The funnels the report shows, computed once per report.

    Attributes
    ----------
    stages
        Stage names in funnel order.
    overall
        The funnel over every user.
    by_segment
        One result per breakdown column (e.g. ``platform``, ``country``).
    chosen
        How the stages were chosen, in words.
    warnings
        Messages of warnings the computation raised (stages never seen...).
    """

    stages: tuple[str, ...]
    overall: FunnelResult
    by_segment: Mapping[str, FunnelResult]
    chosen: str
    warnings: tuple[str, ...] = ()


def _pick_stages(data: ReportData, events: pd.DataFrame) -> tuple[tuple[str, ...] | None, str]:
    given = data.extras.get(FUNNEL_STAGES_EXTRA)
    if given:
        names = tuple(str(s) for s in given)  # type: ignore[attr-defined]
        return names, "stages given with --stages"
    if data.event not in events.columns:
        return None, f"the events have no {data.event!r} column"
    seen = set(pd.unique(events[data.event].astype(str)))
    missing = [s for s in DEMO_STAGES if s not in seen]
    if not missing:
        return DEMO_STAGES, "the demo store's seven stages"
    return None, (
        "No funnel: the events do not name the demo store's stages "
        f"({', '.join(DEMO_STAGES)}; missing: {', '.join(missing)}). Name yours in funnel "
        "order with --stages, e.g. --stages visit,add_to_cart,payment."
    )


def funnel_view(ctx: ReportContext) -> FunnelView | str | None:
    """The report's funnels (cached), a note saying why there are none, or ``None``
    without events."""
    return ctx.cached("funnel-view", lambda: _compute(ctx.data))


def _compute(data: ReportData) -> FunnelView | str | None:
    events = data.events
    if events is None:
        return None
    stages, chosen = _pick_stages(data, events)
    if stages is None:
        return chosen
    wanted = data.by if data.by is not None else SEGMENTS
    segments = [s for s in SEGMENTS if s in wanted and s in events.columns]
    segments += [s for s in (data.by or ()) if s not in segments and s in events.columns]
    funnel = Funnel(list(stages), window=WINDOW)
    cols = {"user": data.user, "time": data.time, "event": data.event}
    with warnings.catch_warnings(record=True, action="always") as caught:
        overall = funnel.compute(events, **cols)
        by_segment = {s: funnel.compute(events, **cols, by=s) for s in segments}
    messages = tuple(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
    return FunnelView(stages, overall, by_segment, chosen, messages)


# --------------------------------------------------------------------------- formatting


def duration_text(value: object) -> str:
    """A duration for reading: ``38 s``, ``4.2 min``, ``14.1 h``, ``2.5 days``."""
    if value is None or value is pd.NaT or not isinstance(value, pd.Timedelta):
        return "n/a"
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def step_label(a: str, b: str) -> str:
    """A step in words: ``add_to_cart → checkout``."""
    return f"{a} {_ARROW} {b}"


def headline(view: FunnelView) -> str:
    """The section's first sentence, e.g. "3.3% of users who saw an impression paid ..."."""
    frame = view.overall.to_frame()
    first, last = int(frame["users"].iloc[0]), int(frame["users"].iloc[-1])
    s0, sk = view.stages[0], view.stages[-1]
    rate = last / first if first else float("nan")
    who = _REACHED.get(s0, f"reached {s0}")
    did = _REACHED.get(sk, f"reached {sk}")
    text = f"{rate:.1%} of users who {who} {did} within 7 days ({last:,} of {first:,})"
    bn = view.overall.bottleneck()
    if len(bn) and float(bn["gain"].iloc[0]) > 0:
        top = bn.iloc[0]
        i = view.stages.index(str(top["stage"]))
        text += (
            f"; the biggest loss is {step_label(view.stages[i - 1], view.stages[i])} "
            f"({float(top['rate']):.1%} convert): at its best complete week's rate "
            f"({float(top['reference_rate']):.1%}) it would add "
            f"{float(top['gain']):,.0f} more users reaching {sk} "
            f"(+{float(top['gain']) / max(last, 1):.0%})"
        )
    return text + "."
