"""Report section "Targets": actual against target for the month, paced, with owners.

Shown when targets are given (``--targets targets.csv``: columns ``node``, ``target``,
optionally ``owner`` and segment columns such as ``country``), or on the demo store.
The daily actuals come from the data: ``orders`` and ``revenue`` per day from the orders
and, when the events have sessions (``session_id``) and a ``channel``, sessions split into
paid, organic and direct. The tree is the ``own_site`` template (GMV = traffic * CVR *
AOV, with its owners) when there are sessions, else GMV = orders * AOV.

:meth:`KPITree.scorecard` gives each node's attainment, its pacing (the elapsed share of
the month of the last day with data), the status (on track / at risk / off track) and the
node whose gap explains most of it (LMDI) with its owner. Off-track nodes also join the
"What needs action" list. On the demo store the targets are February's values plus
:data:`DEMO_LIFT`, overall and per country.
"""

from __future__ import annotations

import warnings

import attrs
import pandas as pd

from ..errors import LinkstarWarning
from ..kpi import KPITree, ScorecardResult
from ._html import esc, facts_grid, note, table
from ._sections import ReportContext, ReportData, register_section
from ._warning_notes import warning_notes

__all__ = [
    "DEMO_LIFT",
    "TARGETS_EXTRA",
    "TargetsView",
    "daily_actuals",
    "off_track_table",
    "render_targets",
    "targets_view",
]

#: ``ReportData.extras`` key of the targets frame (``--targets``).
TARGETS_EXTRA = "targets"
#: Demo targets: the month before's values plus 10%.
DEMO_LIFT = 0.10
CACHE_KEY = "targets-view"
_PAID = frozenset({"paid_search", "paid_social", "affiliate", "display", "cpc", "paid"})
_DIRECT = frozenset({"direct", "email", "crm", "(direct)"})
_ORDERS_TREE = "gmv = orders * aov; aov = revenue / orders"
_ORDERS_OWNERS = {"gmv": "E-commerce lead", "orders": "Growth", "aov": "Merchandising"}
_STATUS_ORDER = {"off track": 0, "at risk": 1, "on track": 2}


@attrs.frozen(eq=False)
class TargetsView:
    """The scorecards shown: overall, and per segment when the targets have one."""

    card: ScorecardResult
    by_segment: ScorecardResult | None
    source: str
    notes: tuple[str, ...]


def _day(times: pd.Series, tz: str | None) -> pd.Series:
    t = pd.to_datetime(times, utc=True)
    return t.dt.tz_convert(tz or "UTC").dt.tz_localize(None).dt.normalize()


def daily_actuals(data: ReportData, by: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """``date``, the ``by`` columns, ``orders``, ``revenue`` and (when the events have
    sessions and channels) ``paid_sessions``, ``organic_sessions``, ``direct_sessions``."""
    orders = data.orders
    if orders is None or data.order_time not in orders or data.revenue not in orders:
        return None
    if any(c not in orders for c in by):
        return None
    keys = [_day(orders[data.order_time], data.tz).rename("date")]
    keys += [orders[c].astype(str) for c in by]
    daily = (
        pd.DataFrame({"orders": 1.0, "revenue": orders[data.revenue].astype(float)})
        .groupby(keys)
        .sum()
    )
    events = data.events
    needed = {"session_id", "channel", data.time, *by}
    if events is not None and needed <= set(events.columns):
        first = events.drop_duplicates("session_id")
        kinds = dict.fromkeys(_PAID, "paid_sessions") | dict.fromkeys(_DIRECT, "direct_sessions")
        counts = pd.DataFrame(
            {
                "date": _day(first[data.time], data.tz),
                **{c: first[c].astype(str) for c in by},
                "group": first["channel"].astype(str).map(kinds).fillna("organic_sessions"),
                "n": 1.0,
            }
        )
        sessions = counts.pivot_table(
            index=["date", *by], columns="group", values="n", aggfunc="sum", fill_value=0.0
        )
        for col in ("paid_sessions", "organic_sessions", "direct_sessions"):
            if col not in sessions:
                sessions[col] = 0.0
        daily = daily.join(sessions, how="outer").fillna(0.0)
    return daily.reset_index()


def _tree(actual: pd.DataFrame) -> KPITree:
    if "paid_sessions" in actual:
        return KPITree.template("own_site")
    return KPITree.from_formula(_ORDERS_TREE, owners=_ORDERS_OWNERS)


def _demo_targets(tree: KPITree, actual: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    last = pd.Timestamp(actual["date"].max())
    start = last.to_period("M").start_time
    month_before = actual.loc[
        (actual["date"] >= start - pd.offsets.MonthBegin(1)) & (actual["date"] < start)
    ]
    base = tree.baseline(month_before, periods=1, period="M", by=list(by) or None)
    return base.targets(lift=DEMO_LIFT)


def targets_view(ctx: ReportContext) -> TargetsView | None:
    """The scorecards (cached in the context), or ``None`` without targets."""

    def compute() -> TargetsView | None:
        data = ctx.data
        given = data.extras.get(TARGETS_EXTRA)
        demo = given is None and "store" in data.extras
        if not isinstance(given, pd.DataFrame) and not demo:
            return None
        actual = daily_actuals(data)
        if actual is None or actual.empty:
            return None
        tree = _tree(actual)
        by_card = None
        with warnings.catch_warnings(
            record=True, action="always", category=LinkstarWarning
        ) as caught:
            if isinstance(given, pd.DataFrame):
                segs = tuple(c for c in given.columns if c not in ("node", "target", "owner"))
                actual_by = daily_actuals(data, segs) if segs else actual
                if actual_by is None:
                    return None
                card = tree.scorecard(actual_by, given, by=list(segs) or None)
                source = "targets given with --targets"
            else:
                targets = _demo_targets(tree, actual, ())
                card = tree.scorecard(actual, targets)
                if data.orders is not None and "country" in data.orders:
                    per = daily_actuals(data, ("country",))
                    if per is not None:
                        by_targets = _demo_targets(tree, per, ("country",))
                        by_card = tree.scorecard(per, by_targets, by="country")
                source = (
                    f"demo targets: the month before's values plus {DEMO_LIFT:.0%}, overall "
                    "and per country"
                )
        notes = warning_notes(caught)
        return TargetsView(card, by_card, source, notes)

    view: TargetsView | None = ctx.cached(CACHE_KEY, compute)
    return view


def card_table(card: ScorecardResult) -> pd.DataFrame:
    """The scorecard for reading: worst status first, owners and the driver of the gap."""
    f = card.to_frame()
    f = f.iloc[f["status"].map(_STATUS_ORDER).fillna(3).argsort(kind="stable")]
    segs = [c for c in card.by if c in f]
    out = f[segs].astype(str).reset_index(drop=True)
    out["node"] = f["node"].astype(str).to_numpy()
    out["owner"] = f["owner"].fillna("").astype(str).to_numpy()
    out["actual"] = f["actual"].to_numpy()
    out["target"] = f["target"].to_numpy()
    out["expected by now"] = f["expected_by_now"].to_numpy()
    out["attainment"] = f["attainment"].to_numpy()
    out["status"] = f["status"].astype(str).to_numpy()
    driver = f["driver_of_gap"].fillna("").astype(str)
    owner = f["driver_owner"].fillna("").astype(str)
    out["gap mostly from"] = [f"{d} ({o})" if o else d for d, o in zip(driver, owner, strict=True)]
    return out


def off_track_table(view: TargetsView) -> pd.DataFrame:
    """Every off-track node (overall, then per segment) for the "What needs action" list."""
    frames = []
    for card in (view.card, view.by_segment):
        if card is None:
            continue
        t = card_table(card)
        t = t.loc[t["status"] == "off track"]
        segs = [c for c in card.by if c in t]
        where = t[segs].astype(str).agg(", ".join, axis=1) if segs else "all"
        frames.append(
            pd.DataFrame(
                {
                    "segment": where,
                    "node": t["node"],
                    "owner": t["owner"],
                    "of paced target": t["actual"] / t["expected by now"],
                    "gap mostly from": t["gap mostly from"],
                }
            )
        )
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Amounts with thousands separators, ratios (under 1) with four decimals."""

    def text(value: float) -> str:
        if pd.isna(value):
            return "n/a"
        return f"{value:.4f}" if abs(value) < 1 else f"{value:,.2f}"

    out = frame.copy()
    for col in ("actual", "target", "expected by now"):
        if col in out:
            out[col] = [text(float(v)) for v in out[col]]
    return out


def render_targets(view: TargetsView) -> str:
    """The section's HTML (all text escaped)."""
    card = view.card
    counts = card.to_frame()["status"].value_counts()
    end = card.end - pd.Timedelta(days=1)
    facts = [
        ("period", f"{card.start:%d %b} to {end:%d %b %Y}"),
        ("as of", f"{card.as_of:%d %b} ({card.elapsed:.0%} of the month)"),
        *(
            (s, f"{n:,} node{'' if n == 1 else 's'}")
            for s, n in ((s, int(counts.get(s, 0))) for s in ("off track", "at risk", "on track"))
        ),
    ]
    parts = [
        note(
            f"Actual against target for the month ({view.source}). Expected by now: the "
            "target paced by the elapsed share of the month (ratios are not paced); the "
            "status compares the actual with it: at least 97% is on track, under 90% off "
            "track. Attainment: the actual over the whole month's target. The gap is decomposed along the tree (LMDI) to name the node, and its "
            "owner, that explains most of it."
        ),
        facts_grid(facts),
        table(_readable(card_table(card)), percent=("attainment",), decimals={"attainment": 1}),
    ]
    if view.by_segment is not None:
        seg = card_table(view.by_segment)
        worst = seg.loc[seg["status"] != "on track"]
        segs = ", ".join(view.by_segment.by)
        parts.append(f"<h3>Not on track, by {esc(segs)}</h3>")
        if worst.empty:
            parts.append(note(f"Every node is on track in every {segs}."))
        else:
            parts.append(
                table(_readable(worst), percent=("attainment",), decimals={"attainment": 1})
            )
    parts += [note(f"Data note: {text}") for text in view.notes]
    return "".join(parts)


@register_section("targets", order=45, title="Targets: whose number, how far off")
def _targets_section(ctx: ReportContext) -> str | None:
    view = targets_view(ctx)
    return None if view is None else render_targets(view)
