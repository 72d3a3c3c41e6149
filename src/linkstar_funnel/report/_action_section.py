"""Report section "What needs action": rates below their benchmark, by impact, and alerts.

Placed right after the data overview (what the data is), before every analysis: it is the
list a weekly review starts from. Built on the funnels of the funnel section
(:func:`~._funnel_view.funnel_view`), it shows

* **below benchmark**: the funnel's rates against (a) the shipped industry values whose
  definitions match a user-level funnel step (checkout completion, Littledata 2019-10;
  cart-to-order, Baymard), by platform, and (b) the store's own history: each country's
  step rates in the last complete entry week against its 8 weeks before
  (:meth:`Benchmark.from_history`). Rows judged "below" (Benjamini-Hochberg q ≤ 0.05) are
  sorted by the final conversions (and order value) at stake;
* **recent alerts**: :func:`linkstar_funnel.monitor.detect` (p-chart, drops only) on the
  daily rate of the funnel's last step (checkout → payment on the demo store) per
  country, days read in each market's time zone (the demo store's ``markets`` table; else
  ``--tz``). On the demo store the injected drop (:data:`~._io.DEMO_DROP`) is named and
  checked against the alerts.

Left out without a funnel (no events, or stages the report cannot name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..benchmark import BenchmarkComparisonResult
from ..plotting import figure_to_data_uri, percent_axis
from ._action_view import (
    ALERT_METHOD,
    HISTORY_ROWS,
    HISTORY_WEEKS,
    RECENT_DAYS,
    STORE_EXTRA,
    ActionView,
    action_view,
    market_zones,
)
from ._funnel_view import DEMO_STAGES
from ._html import esc, facts_grid, figure, note, table
from ._sections import ReportContext, ReportData, register_section
from ._targets_section import off_track_table, targets_view

__all__ = ["render_action"]

_ARROW = "\u2192"


# --------------------------------------------------------------------------- rendering


def _segment_text(row: Mapping[Any, Any], segments: tuple[str, ...], short: bool = False) -> str:
    parts = [str(row[s]) if short else f"{s} {row[s]}" for s in segments if s != "period"]
    return ", ".join(parts) or "all users"


def _short(source: str) -> str:
    """``"Baymard Institute, 2024"`` -> ``"Baymard 2024"``."""
    name, _, when = source.partition(", ")
    return f"{name.split()[0]} {when}".strip()


def action_table(v: ActionView) -> pd.DataFrame:
    """Rows judged below their reference, from both comparisons, largest impact first."""
    rows = []
    for label, cmp in (("industry", v.industry), ("own history", v.history)):
        if cmp is None:
            continue
        for row in cmp.needs_action().to_dict("records"):
            rows.append(
                {
                    "against": label if label != "industry" else _short(str(row["source"])),
                    "segment": _segment_text(row, cmp.by, short=True),
                    "step": f"{row['base']} {_ARROW} {row['stage']}",
                    "rate": row["observed"],
                    "reference": row["reference"],
                    "users": row["n"],
                    "q-value": row["q_value"],
                    "orders lost": row.get("impact_orders", np.nan),
                    "value lost": row.get("impact_value", np.nan),
                }
            )
    cols = [
        "against",
        "segment",
        "step",
        "rate",
        "reference",
        "users",
        "q-value",
        "orders lost",
        "value lost",
    ]
    out = pd.DataFrame(rows, columns=cols)
    if v.value_per_order is None:
        out = out.drop(columns="value lost")
    return out.sort_values("orders lost", ascending=False, kind="stable").reset_index(drop=True)


def _comparison_table(cmp: BenchmarkComparisonResult) -> pd.DataFrame:
    t = cmp.to_frame()
    return pd.DataFrame(
        {
            "segment": [_segment_text(r, cmp.by) for r in t.to_dict("records")],
            "step": [f"{b} {_ARROW} {s}" for b, s in zip(t["base"], t["stage"], strict=True)],
            "rate": t["observed"],
            "95% interval": [
                f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)
            ],
            "reference": t["reference"],
            "users at step": t["n"],
            "q-value": t["q_value"],
            "verdict": t["verdict"],
        }
    )


def recent_alerts(v: ActionView) -> pd.DataFrame:
    """AlertsResult of the last :data:`RECENT_DAYS` days of data, latest first."""
    if v.alerts is None:
        return pd.DataFrame()
    a = v.alerts.to_frame()
    last = pd.Timestamp(v.alerts.checks()["date"].max())
    a = a.loc[a["date"] > last - pd.Timedelta(days=RECENT_DAYS)]
    a = a.sort_values(["date", "score"], ascending=[False, True], kind="stable")
    out = pd.DataFrame({"date": pd.DatetimeIndex(a["date"]).strftime("%Y-%m-%d (%a)")})
    for s in v.alerts.by:
        out[s] = a[s].astype(str).to_numpy()
    out["rate"] = a["observed"].to_numpy()
    out["expected"] = a["expected"].to_numpy()
    out["expected range"] = [
        f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(a["lower"], a["upper"], strict=True)
    ]
    out["users"] = a["n"].to_numpy(dtype=np.int64)
    out["severity"] = a["severity"].astype(str).to_numpy()
    return out.reset_index(drop=True)


def _alert_chart(v: ActionView, recent: pd.DataFrame) -> str:
    if v.alerts is None or recent.empty:
        return ""
    pick = {s: recent[s].iloc[0] for s in v.alerts.by}
    ax = v.alerts.plot(metric=v.alert_metric, **pick)
    fig: Any = ax.get_figure()
    fig.set_size_inches(9.0, 3.6)
    where = ", ".join(str(x) for x in pick.values())
    percent_axis(ax, decimals=0)
    ax.set_title(
        f"Daily {v.alert_metric} rate{f', {where}' if where else ''}: alerts marked",
        loc="left",
        fontsize=11,
        fontweight="bold",
    )
    return figure(
        figure_to_data_uri(fig, dpi=120),
        alt=f"Daily {v.alert_metric} rate with its expected range and alerts",
        caption="Shaded: the range earlier days lead to expect (p-chart limits for that "
        "day's number of users); dots: alert days.",
    )


def _truth_note(data: ReportData, v: ActionView) -> str:
    store = data.extras.get(STORE_EXTRA)
    drop = getattr(getattr(store, "truth", None), "drop", None)
    if drop is None or v.alerts is None or drop.end is None:
        return ""
    zones = market_zones(data) or {}
    zone = zones.get(str(drop.country), "UTC") if drop.country else "UTC"
    days = pd.date_range(
        drop.start.tz_convert(zone).normalize().tz_localize(None),
        drop.end.tz_convert(zone).normalize().tz_localize(None),
        inclusive="left",
    )
    alerts = v.alerts.to_frame()
    if drop.country and "country" in alerts.columns:
        alerts = alerts.loc[alerts["country"].astype(str) == drop.country]
    found = sorted(set(pd.DatetimeIndex(alerts["date"])) & set(days))
    where = f"{drop.country} " if drop.country else ""
    stages = DEMO_STAGES
    step = f"{stages[stages.index(drop.stage) - 1]}{_ARROW}{drop.stage}"
    said = ", ".join(f"{d:%Y-%m-%d}" for d in found) or "none of them"
    text = (
        f"Check against the truth: the demo store was generated with a {1 - drop.factor:.0%} "
        f"drop of the {where}{step} rate on {len(days)} days ({days[0]:%Y-%m-%d} to "
        f"{days[-1]:%Y-%m-%d}, {zone} time); the alerts found {len(found)} of them: {said}."
    )
    return f"<p><strong>{esc(text)}</strong></p>"


def render_action(data: ReportData, v: ActionView, targets: str = "") -> str:
    """The section's HTML (all text escaped); ``targets``: the off-track targets' block
    (:func:`render_off_track`), shown first after the key figures."""
    act = action_table(v)
    recent = recent_alerts(v)
    stake = float(act["orders lost"].clip(lower=0).max()) if len(act) else 0.0
    facts = [
        ("rates below benchmark", f"{len(act):,}"),
        ("largest at stake", f"{stake:,.0f} orders" if len(act) else "none"),
        (f"alerts, last {RECENT_DAYS} days", f"{len(recent):,}"),
    ]
    if len(recent):
        top = recent.iloc[0]
        seg = ", ".join(str(top[s]) for s in (v.alerts.by if v.alerts else ()))
        facts.append(("latest alert", f"{top['date'][:10]} {seg}".strip()))
    parts = [_truth_note(data, v), facts_grid(facts), targets, "<h3>Recent alerts</h3>"]
    parts.append(
        note(
            f"Daily {v.alert_metric} rate: of the users who reached {v.alert_metric.split(_ARROW)[0]} "
            "on a day, the share who also reached the next stage that day; per country, days "
            "read in each market's time zone. Each day is judged by the earlier 28 days of the "
            f"same type (weekday or weekend) with a {ALERT_METHOD} (alpha 0.001, drops only; "
            "days under 30 users are not judged)."
        )
    )
    if recent.empty:
        parts.append(note(f"No alert in the last {RECENT_DAYS} days."))
    else:
        parts += [
            table(recent, percent=("rate", "expected"), decimals={"rate": 1, "expected": 1}),
            _alert_chart(v, recent),
        ]
    parts.append("<h3>Below benchmark, by impact</h3>")
    parts.append(
        note(
            "Rates significantly below their reference (Benjamini-Hochberg q ≤ 0.05 within each "
            "comparison), largest impact first. Orders at stake: users lost at the step versus "
            "the reference times the share of them who go on to the last stage now"
            + (
                f"; value: times the average order value ({v.value_per_order:,.2f})."
                if v.value_per_order
                else "."
            )
            + " Rows overlap (one shortfall can appear in several): do not add them up."
        )
    )
    if act.empty:
        parts.append(note("No rate is significantly below its reference."))
    else:
        parts.append(
            table(
                act,
                percent=("rate", "reference"),
                decimals={
                    "rate": 1,
                    "reference": 1,
                    "q-value": 4,
                    "orders lost": 0,
                    "value lost": 0,
                },
            )
        )
    if v.history is not None and v.judged_week is not None:
        parts += [
            f"<h3>Last complete week against the {HISTORY_WEEKS} before</h3>",
            note(
                f"Users entering in the week from {v.judged_week:%Y-%m-%d} (the last whose "
                f"7-day windows have closed), each step's rate against the same country's "
                f"pooled rate over the {HISTORY_WEEKS} weeks before (two-sample test, Newcombe "
                "interval). Weeks start on Monday, UTC."
            ),
        ]
        hist = _comparison_table(v.history)
        order = np.argsort(v.history.to_frame()["p_value"].to_numpy(), kind="stable")
        shown = hist.iloc[order[:HISTORY_ROWS]]
        parts += [
            note(
                f"The {len(shown)} of {len(hist)} rows furthest from their history (smallest "
                "p-values). A few bad days are diluted in a weekly cohort of entrants: the "
                "daily alerts above see them first."
            ),
            table(shown, percent=("rate", "reference"), decimals={"q-value": 4}),
        ]
    if v.industry is not None:
        parts += [
            "<h3>Against published industry figures</h3>",
            note(
                "Only figures whose definition matches a user-level funnel step: checkout "
                "completion (Littledata, Oct 2019: share of started checkouts completed) and "
                "cart-to-order (1 minus Baymard's 70.19% average cart abandonment). They are "
                "per checkout or cart over mostly own-site (Shopify) stores: a user who "
                "starts several checkouts counts once here, so user rates read somewhat "
                "higher; the own_site row is the like-for-like one. Per-session rates "
                "(add-to-cart 5.2% of sessions, 1.62% conversion of sessions) are not "
                "compared: a 7-day user funnel is not a session rate."
            ),
            table(
                _comparison_table(v.industry),
                percent=("rate", "reference"),
                decimals={"q-value": 4},
            ),
        ]
    parts += [note(f"Warning: {w}") for w in v.notes]
    return "".join(parts)


def render_off_track(off: pd.DataFrame) -> str:
    """Targets off track (from the "Targets" section's scorecards), worst first."""
    if off.empty:
        return ""
    off = off.sort_values("of paced target", kind="stable")
    return (
        "<h3>Targets off track</h3>"
        + note(
            "Nodes of the KPI tree under 90% of their paced target this month, with the "
            "owner of the node and the node whose gap explains most of it (see Targets)."
        )
        + table(off, percent=("of paced target",), decimals={"of paced target": 1})
    )


@register_section("actions", order=17, title="What needs action")
def _action_section(ctx: ReportContext) -> str | None:
    v = action_view(ctx)
    targets = targets_view(ctx)
    off = off_track_table(targets) if targets is not None else pd.DataFrame()
    if v is None:
        return render_off_track(off) or None
    return render_action(ctx.data, v, render_off_track(off))
