"""Report section "Funnel: where buyers drop out": an exact 7-day ordered funnel.

Stages are the ``--stages`` option's (``ReportData.extras[FUNNEL_STAGES_EXTRA]``) or, when
the events have them all, the demo store's seven (:data:`DEMO_STAGES`: impression → click
→ visit → product_view → add_to_cart → checkout → payment, one funnel for own-site,
marketplace and interest-commerce platforms alike). Otherwise the section only says how to
name the stages. Counts are unique users whose ordered chain reached each stage within
:data:`WINDOW` of its first stage (ClickHouse ``windowFunnel`` semantics, see
:class:`~linkstar_funnel.Funnel`).

Shown: a plain-language headline, the funnel bars with step rates, the funnel by platform
and by country, the bottleneck ranked by final conversions gained if a step matched the
segment's best complete week, time to convert (median, p75, p90), weekly trends with
incomplete weeks flagged and, when the library offers it, converters against dropouts at
add_to_cart → checkout. The computed funnels are shared with the "what needs action"
section through :func:`~._funnel_view.funnel_view` (module :mod:`._funnel_view`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import LinkstarError
from ..funnel import FunnelResult
from ..overview import MISSING_LABEL
from ..plotting import PALETTE, figure_to_data_uri, get_axes, percent_axis, style_axes
from ._funnel_view import (
    CVD_COLUMNS,
    CVD_STEP,
    WINDOW,
    FunnelView,
    duration_text,
    funnel_view,
    headline,
    step_label,
)
from ._html import esc, facts_grid, figure, note, table
from ._sections import ReportContext, ReportData, register_section

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["render_funnel", "segment_table", "weekly_table"]

_ARROW = "\u2192"


def _overall_table(result: FunnelResult) -> pd.DataFrame:
    f = result.to_frame()
    return pd.DataFrame(
        {
            "stage": f["stage"],
            "users": f["users"],
            "from previous": f["conversion_from_previous"],
            "from first stage": f["conversion_from_start"],
            "lost at this step": f["drop_off"],
        }
    )


def _labelled(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Missing segment values shown as "(missing)" (and kept by pivots and groupbys)."""
    return frame.assign(
        **{b: frame[b].astype(object).where(frame[b].notna(), MISSING_LABEL) for b in by}
    )


def segment_table(result: FunnelResult, stages: tuple[str, ...]) -> pd.DataFrame:
    """One row per segment: entrants, each step's rate from the previous stage, overall."""
    seg = result.by[0]
    f = _labelled(result.to_frame(), result.by)
    wide = f.pivot_table(index=seg, columns="step", values="users", sort=False, observed=True)
    users = wide.to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({seg: wide.index.astype(str), "entered": users[:, 0].astype(np.int64)})
        for k in range(1, len(stages)):
            out[f"{_ARROW} {stages[k]}"] = users[:, k] / users[:, k - 1]
        out["overall"] = users[:, -1] / users[:, 0]
        out[stages[-1]] = users[:, -1].astype(np.int64)
    return out.sort_values("entered", ascending=False, kind="stable").reset_index(drop=True)


def _bottleneck_table(result: FunnelResult, stages: tuple[str, ...], top: int) -> pd.DataFrame:
    bn = result.bottleneck()
    bn = bn.loc[bn["gain"] > 0].head(top)
    idx = [stages.index(str(s)) for s in bn["stage"]]
    bn = _labelled(bn, result.by)
    out = pd.DataFrame({b: bn[b].astype(str).to_numpy() for b in result.by})
    out["step"] = [step_label(stages[i - 1], stages[i]) for i in idx]
    out["rate now"] = bn["rate"].to_numpy()
    out["best complete week"] = bn["reference_rate"].to_numpy()
    out[f"{stages[-1]} now"] = bn["final_now"].to_numpy()
    out[f"{stages[-1]} gained"] = np.round(bn["gain"].to_numpy(dtype=np.float64))
    return out


def _time_table(result: FunnelResult) -> pd.DataFrame:
    t = result.time_to_convert((0.5, 0.75, 0.9))
    return pd.DataFrame(
        {
            "from": t["from_stage"],
            "to": t["to_stage"],
            "users": t["n"],
            "median": [duration_text(v) for v in t["q50"]],
            "p75": [duration_text(v) for v in t["q75"]],
            "p90": [duration_text(v) for v in t["q90"]],
        }
    )


def weekly_table(result: FunnelResult) -> pd.DataFrame:
    """Per entry week: entrants, final conversions, overall rate, complete or not."""
    tr = result.trends("W")
    first = tr.loc[tr["step"] == 1].reset_index(drop=True)
    last = tr.loc[tr["step"] == len(result.stages)].reset_index(drop=True)
    return pd.DataFrame(
        {
            "week from": pd.DatetimeIndex(first["period"]).strftime("%Y-%m-%d"),
            "entered": first["users"].to_numpy(),
            result.stages[-1]: last["users"].to_numpy(),
            "conversion": last["conversion_from_start"].to_numpy(),
            "window": np.where(first["complete"], "closed", "still open (incomplete)"),
        }
    )


# --------------------------------------------------------------------------- charts


def _png(ax: Axes, size: tuple[float, float]) -> str:
    fig: Any = ax.get_figure()
    fig.set_size_inches(*size)
    return figure_to_data_uri(fig, dpi=120)


def _bars(view: FunnelView) -> str:
    ax = view.overall.plot()
    ax.set_title(
        "Users reaching each stage within 7 days (labels: rate from the previous stage)",
        loc="left",
        fontsize=11,
        fontweight="bold",
    )
    ax.yaxis.set_major_formatter(_thousands())
    ax.tick_params(axis="x", labelsize=9)
    return figure(
        _png(ax, (9.0, 3.8)),
        alt="Bar chart of users reaching each funnel stage",
        caption="Bars: users reaching each stage; labels: conversion from the previous stage.",
    )


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}")


def _trend_chart(weekly: pd.DataFrame, last_stage: str) -> str:
    ax = get_axes(figsize=(9.0, 3.2))
    days = pd.to_datetime(weekly["week from"])
    closed = (weekly["window"] == "closed").to_numpy()
    y = weekly["conversion"].to_numpy(dtype=np.float64)
    ax.plot(days[closed], y[closed], color=PALETTE[0], marker="o", label="window closed")
    if (~closed).any():
        k = int(np.flatnonzero(~closed)[0])
        lead = max(k - 1, 0)
        ax.plot(days[lead:], y[lead:], color=PALETTE[0], linestyle=":", linewidth=1)
        ax.plot(
            days[~closed],
            y[~closed],
            linestyle="none",
            marker="o",
            markerfacecolor="white",
            color=PALETTE[0],
            label="window still open (incomplete)",
        )
    ax.set_ylim(bottom=0)
    percent_axis(ax, decimals=1)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    style_axes(ax, title=f"Weekly conversion to {last_stage}, by entry week")
    return figure(
        _png(ax, (9.0, 3.2)),
        alt=f"Line chart of weekly conversion to {last_stage} by entry week",
        caption="Hollow points: weeks whose last entrants' 7-day window had not closed by the "
        "end of the data (their rate will still rise).",
    )


# --------------------------------------------------------------------------- section


def _converters(view: FunnelView, data: ReportData) -> str:
    """Converters vs dropouts at add_to_cart → checkout, when the library offers it."""
    method = getattr(view.overall, "converters_vs_dropouts", None)
    a, b = CVD_STEP
    events = data.events
    if method is None or events is None or a not in view.stages or b not in view.stages:
        return ""
    columns = [c for c in CVD_COLUMNS if c in events.columns]
    if not columns:
        return ""
    try:
        frame = method(b, columns=columns, events=events, time=data.time)
    except LinkstarError as exc:
        return note(f"Converters vs dropouts not shown: {str(exc).splitlines()[0]}")
    shown = pd.DataFrame(
        {
            "property": frame["column"].astype(str),
            "value": frame["value"].astype(str),
            "users": frame["users"],
            f"went on to {b}": frame["conversion_rate"],
            "odds ratio": frame["odds_ratio"],
            "q-value": frame["q_value"],
        }
    )
    shown = shown.loc[frame["q_value"].to_numpy() <= 0.05]
    if shown.empty:
        return ""
    return (
        f"<h3>Who gets past {esc(step_label(a, b))}</h3>"
        + note(
            f"Users who reached {a}: properties of their first event over-represented among "
            f"those who went on to {b} (odds ratio above 1) or who stopped (below 1); only "
            "values with q ≤ 0.05 (Benjamini-Hochberg) are listed."
        )
        + table(shown, percent=(f"went on to {b}",), decimals={"odds ratio": 2, "q-value": 4})
    )


def render_funnel(view: FunnelView, data: ReportData) -> str:
    """The section's HTML for computed funnels (all text escaped)."""
    stages, overall = view.stages, view.overall
    frame = overall.to_frame()
    last = stages[-1]
    ttc = overall.time_to_convert((0.5,))
    facts = [
        (f"entered ({stages[0]})", f"{int(frame['users'].iloc[0]):,}"),
        (f"reached {last}", f"{int(frame['users'].iloc[-1]):,}"),
        ("overall conversion", f"{float(frame['conversion_from_start'].iloc[-1]):.2%}"),
        (f"median time to {last}", duration_text(ttc["q50"].iloc[-1])),
    ]
    parts = [
        note(
            f"Stages: {' → '.join(stages)} ({view.chosen}). Unique users whose events reached "
            f"each stage in order within {WINDOW[:-1]} days of the first (ClickHouse "
            "windowFunnel semantics: a later stage counts only after the earlier ones)."
        ),
        f"<p><strong>{esc(headline(view))}</strong></p>",
        facts_grid(facts),
        _bars(view),
        table(_overall_table(overall), percent=("from previous", "from first stage")),
    ]
    for seg, result in view.by_segment.items():
        t = segment_table(result, stages)
        rates = [c for c in t.columns if c.startswith(_ARROW) or c == "overall"]
        parts += [
            f"<h3>By {esc(seg)}</h3>",
            note(
                f"Each {seg}'s rate from the previous stage; users keep the {seg} of their "
                f"first {stages[0]}."
            ),
            table(t, percent=rates, decimals=dict.fromkeys(rates, 1)),
        ]
    parts += [
        "<h3>Bottleneck: where improving would gain most</h3>",
        note(
            f"Extra {last} users if one step converted at its best complete week's rate (weeks "
            "with at least 30 entrants), every other step unchanged; steps already at their "
            "best are left out."
        ),
        table(_bottleneck_table(overall, stages, 6), percent=("rate now", "best complete week")),
    ]
    if "platform" in view.by_segment:
        parts.append(
            table(
                _bottleneck_table(view.by_segment["platform"], stages, 6),
                percent=("rate now", "best complete week"),
                caption="By platform (largest gains first)",
            )
        )
    weekly = weekly_table(overall)
    parts += [
        "<h3>Time to convert</h3>",
        note(f"From the chain's {stages[0]} to each later stage, over users who reached it."),
        table(_time_table(overall)),
        "<h3>Weekly trends</h3>",
        _trend_chart(weekly, last),
        table(weekly, percent=("conversion",), decimals={"conversion": 2}),
        _converters(view, data),
    ]
    parts += [note(f"Warning: {w}") for w in view.warnings]
    return "".join(parts)


@register_section("funnel", order=20, title="Funnel: where buyers drop out")
def _funnel_section(ctx: ReportContext) -> str | None:
    view = funnel_view(ctx)
    if view is None:
        return None  # no events
    if isinstance(view, str):
        return note(view)
    return render_funnel(view, ctx.data)
