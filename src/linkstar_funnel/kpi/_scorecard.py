"""Scorecards: actual against target, paced through the period, with the owner of the gap.

For every node with a target (per segment with ``by``):

* ``actual`` — the node computed from the leaves summed from the first day of the period
  to ``as_of`` (inclusive);
* ``attainment = actual / target``;
* ``expected_by_now = target * share ** degree`` — ``share`` is the elapsed share of the
  period (days done / days in it, or weekday weights learnt from ``history``), ``degree``
  is 1 for amounts and counts and 0 for rates (a CVR target applies from day one);
* ``gap = actual - expected_by_now`` (negative: behind plan);
* ``status`` — from ``pace = actual / expected_by_now`` (inverted for nodes in
  ``lower_is_better``): ``"on track"`` when pace >= ``on_track`` (0.97), ``"off track"``
  when pace < ``off_track`` (0.90), ``"at risk"`` between;
* ``driver_of_gap`` — the input of the node that explains most of its gap, by the tree's
  decomposition (LMDI by default) of plan → actual, and ``driver_owner`` its owner. The
  plan holds every targeted node at its paced target, other leaves at their actual, other
  inner nodes computed from their inputs' plan. A leaf is its own driver.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataQualityWarning, ParameterError, SchemaError, _close_names
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, RowAccounting, validate
from ._calendar import degrees, elapsed_share, no_rows, period_bounds, read_daily, weekday_profile
from ._compute import compute_nodes
from ._format import fmt_number, fmt_share
from ._inputs import by_tuple
from ._nodes import Leaf
from ._protocol import Decomposition, get_decomposition

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["ScorecardResult", "scorecard"]

FloatArray = npt.NDArray[np.float64]
OWNER = "KPITree.scorecard"
_STATUS_COLORS = {"on track": PALETTE[2], "at risk": PALETTE[1], "off track": PALETTE[3]}


@attrs.frozen(eq=False)
class ScorecardResult(ResultMixin):
    """Actual against target per node (and segment), paced, with status and owners.

    Attributes
    ----------
    tree
        The tree scored.
    table
        The rows of :meth:`to_frame`.
    period
        ``"D"``, ``"W"`` or ``"M"``.
    start, as_of, end
        First day of the period, last day counted, day after the period's last.
    elapsed
        The share of the period done (by days or by the weekday profile).
    by
        The segment columns.
    """

    tree: KPITree
    table: pd.DataFrame
    period: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    end: pd.Timestamp
    elapsed: float
    by: tuple[str, ...]
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``by...``, ``node``, ``owner``, ``actual``, ``target``, ``attainment``,
        ``expected_by_now``, ``gap``, ``status``, ``driver_of_gap``, ``driver_owner``.

        Rows are off track first, then at risk, then on track, and by the size of the
        gap relative to the expected value within each status."""
        return self.table.copy()

    @property
    def off_track(self) -> pd.DataFrame:
        """The rows whose status is ``"off track"``, worst first."""
        t = self.table
        return t[t["status"] == "off track"].reset_index(drop=True)

    def summary(self) -> Summary:
        """Counts per status and the table, rounded."""
        counts = self.table["status"].value_counts()
        facts = (
            ("period", f"{self.start.date()} to {(self.end - pd.Timedelta(days=1)).date()}"),
            ("as of", f"{self.as_of.date()} ({fmt_share(self.elapsed)} of the period)"),
            *((s, f"{int(counts.get(s, 0)):,}") for s in ("off track", "at risk", "on track")),
        )
        shown = self.table.copy()
        for col in ("actual", "target", "expected_by_now", "gap"):
            shown[col] = shown[col].map(fmt_number)
        shown["attainment"] = shown["attainment"].map(fmt_share)
        return Summary(
            f"Scorecard: {self.tree.root}",
            facts=facts,
            table=shown,
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bars of actual / expected by now per row, coloured by status; 100% marked."""
        t = self.table.iloc[::-1]
        labels = t["node"].astype(str)
        if self.by:
            labels = t[list(self.by)].astype(str).agg(" / ".join, axis=1) + " · " + labels
        with np.errstate(all="ignore"):
            pace = (t["actual"] / t["expected_by_now"]).to_numpy(dtype=np.float64)
        pace = np.where(np.isfinite(pace), pace, 0.0)
        ax = get_axes(ax, figsize=(7.0, 1.5 + 0.35 * len(t)))
        colors = [_STATUS_COLORS.get(s, PALETTE[0]) for s in t["status"]]
        ax.barh(labels.to_numpy(), 100 * pace, color=colors, **kwargs)
        ax.axvline(100, color="#555555", linewidth=0.8)
        ax.set_xlabel("actual / expected by now (%)")
        title = f"{self.tree.root}: pace as of {self.as_of.date()}"
        return style_axes(ax, title=title, grid_axis="x")


def _as_of(value: object, fallback: pd.Timestamp) -> pd.Timestamp:
    if value is None:
        return fallback
    try:
        ts: object = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ts = None
    if not isinstance(ts, pd.Timestamp) or pd.isna(ts):
        msg = (
            f"The 'as_of' parameter of {OWNER} must be a date such as '2026-03-18'. Got {value!r}."
        )
        raise ParameterError(msg)
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def read_targets(
    tree: KPITree, targets: object, by: tuple[str, ...]
) -> tuple[pd.DataFrame, RowAccounting]:
    """Targets as a frame: ``by...``, ``node``, ``target`` and ``owner`` (or None)."""
    if isinstance(targets, Mapping):
        if by:
            msg = (
                f"The 'targets' parameter of {OWNER} must be a frame with the 'by' columns "
                f"{list(by)}, 'node' and 'target' when by= is given. Got a mapping."
            )
            raise ParameterError(msg)
        targets = pd.DataFrame({"node": list(targets), "target": list(targets.values())})
    cols = [Column(f"segment {s}", s, "category") for s in by]
    cols += [Column("node", "node", "category"), Column("target", "target", "number")]
    has_owner = isinstance(targets, pd.DataFrame) and "owner" in targets.columns
    if has_owner:
        cols.append(Column("owner", "owner", "category", required=False))
    table = validate(targets, cols, frame_name="targets")
    out = pd.DataFrame(
        {
            s: np.asarray(
                table.labels[f"segment {s}"].take(table.codes[f"segment {s}"]), dtype=object
            )
            for s in by
        }
    )
    out["node"] = [str(x) for x in table.labels["node"].take(table.codes["node"])]
    out["target"] = table.numbers["target"]
    if has_owner:
        codes = table.codes["owner"]
        labels = np.asarray(table.labels["owner"], dtype=object)
        named = [labels[c] if c >= 0 else None for c in codes.tolist()]
        out["owner"] = pd.Series(named, dtype=object)
    else:
        out["owner"] = None
    for name in pd.unique(out["node"]):
        if name not in tree.names:
            msg = (
                f"The targets frame names the node {name!r}, which is not in the tree "
                f"({', '.join(map(repr, tree.names))})."
            )
            close = _close_names(str(name), list(tree.names))
            if close:
                msg += "\nHint: did you mean " + " or ".join(map(repr, close)) + "?"
            raise ParameterError(msg)
    bad = ~np.isfinite(out["target"].to_numpy()) | (out["target"].to_numpy() <= 0)
    if bad.any():
        row = out[bad].iloc[0]
        msg = (
            f"Every target must be a finite number > 0 (attainment and pace divide by it). "
            f"Got {row['target']!r} for {row['node']!r}.\nHint: leave out nodes without a "
            "target; for a cost to keep down, target it and list it in lower_is_better."
        )
        raise ParameterError(msg)
    if out.duplicated([*by, "node"]).any():
        dup = out[out.duplicated([*by, "node"])].iloc[0]
        msg = (
            f"The targets frame has several targets for {dup['node']!r}"
            + (f" in {dict(dup[list(by)])}" if by else "")
            + ": give one per node and segment."
        )
        raise SchemaError(msg)
    return out.reset_index(drop=True), table.accounting


def _status(pace: FloatArray, on_track: float, off_track: float) -> npt.NDArray[np.object_]:
    return np.select(
        [np.isnan(pace), pace >= on_track, pace < off_track],
        ["no data", "on track", "off track"],
        default="at risk",
    ).astype(object)


@functools.lru_cache(maxsize=256)
def _one_level(tree: KPITree, node: str) -> KPITree:
    """``node`` over its inputs as leaves: the level a driver is chosen at."""
    from ._tree import KPITree

    spec = tree.node(node)
    return KPITree([attrs.evolve(spec), *(Leaf(c) for c in spec.inputs)], root=node)


def _driver(
    tree: KPITree,
    node: str,
    plan: Mapping[str, float],
    actual: Mapping[str, float],
    impl: Decomposition,
) -> str | None:
    """The input of ``node`` whose contribution to plan → actual is largest along the gap."""
    spec = tree.node(node)
    if spec.kind == "leaf":
        return node
    children = spec.inputs
    small = _one_level(tree, node)
    plan_in = {c: np.array([plan[c]]) for c in children}
    act_in = {c: np.array([actual[c]]) for c in children}
    values = [*plan_in.values(), *act_in.values()]
    if not all(np.isfinite(v).all() for v in values):
        return None
    with np.errstate(all="ignore"):
        before = compute_nodes(small, plan_in, zero_division="nan")
        after = compute_nodes(small, act_in, zero_division="nan")
    if not (np.isfinite(before[node]).all() and np.isfinite(after[node]).all()):
        return None
    try:
        with np.errstate(all="ignore"):
            contrib = impl.contributions(small, before, after)
    except ParameterError:
        return None
    parts = np.array([float(contrib[(node, c)].sum()) for c in children])
    if not np.isfinite(parts).all():
        return None
    gap = float(after[node][0] - before[node][0])
    if gap == 0 or not np.any(parts * np.sign(gap) > 0):
        return None
    return children[int(np.argmax(parts * np.sign(gap)))]


def _fit_inputs(node: Any, need: float, plan: dict[str, float], free: list[str]) -> list[str]:
    """Move ``free`` inputs of ``node`` (in proportion) so it equals ``need``; the moved."""
    inputs = [np.array([plan[c]]) for c in node.inputs]
    with np.errstate(all="ignore"):
        now = float(node.compute(inputs)[0])
    if not np.isfinite(now) or now == need:
        return []
    if node.kind == "sum":
        signs = dict(zip(node.inputs, node.weights, strict=True))
        sizes = np.array([abs(plan[c]) for c in free])
        parts = sizes / sizes.sum() if sizes.sum() > 0 else np.full(len(free), 1 / len(free))
        for c, part in zip(free, parts, strict=True):
            plan[c] += signs[c] * (need - now) * float(part)
        return free
    if now == 0:
        return []
    factor = need / now
    if node.kind == "ratio":
        num, den = node.inputs
        if num in free:
            plan[num] *= factor
            return [num]
        if need == 0:
            return []
        plan[den] /= factor
        return [den]
    if factor > 0:
        for c in free:
            plan[c] *= factor ** (1 / len(free))
        return free
    plan[free[0]] *= factor
    return [free[0]]


def _plan(
    tree: KPITree, targets: Mapping[str, float], actual: Mapping[str, float]
) -> dict[str, float]:
    """Values of every node that meet the paced targets: targeted nodes at their target,
    their untargeted inputs moved (in proportion) so each targeted node's formula holds,
    everything else at its actual value or computed from its inputs.

    Where targets constrain each other through shared inputs beyond what moving inputs in
    proportion can meet, a targeted node may differ from the value its plan inputs give;
    :func:`unreconciled` names those nodes."""
    plan = dict(actual)
    plan.update(targets)
    fixed = set(targets)
    # Sweep parents before inputs until every targeted, moved or held node meets its
    # value. A node off its value moves its inputs that are neither targeted nor moved
    # (held ones too, and those it moved itself); a node on its value holds its inputs.
    held: set[str] = set()
    mover: dict[str, str] = {}  # input -> the node that moved it (and may move it again)
    for _ in range(100):  # converges geometrically where drivers are shared
        changed = False
        for name in reversed(tree.order):
            node = tree.node(name)
            if node.kind == "leaf" or name not in fixed | held:
                continue
            with np.errstate(all="ignore"):
                now = float(node.compute([np.array([plan[c]]) for c in node.inputs])[0])
            free = [c for c in node.inputs if c not in fixed or mover.get(c) == name]
            if not np.isfinite(now) or np.isclose(now, plan[name], rtol=1e-12, atol=0):
                changed |= bool(set(free) - held)
                held.update(free)
            elif free:
                moved = _fit_inputs(node, plan[name], plan, free)
                fixed.update(moved)
                mover.update(dict.fromkeys(moved, name))
                changed |= bool(moved)
        if not changed:
            break
    for name in tree.order:  # inputs first: every untargeted inner node follows its inputs
        node = tree.node(name)
        if node.kind != "leaf" and name not in targets:
            with np.errstate(all="ignore"):
                value = float(node.compute([np.array([plan[c]]) for c in node.inputs])[0])
            plan[name] = value if np.isfinite(value) else float("nan")
    return plan


def unreconciled(
    tree: KPITree, plan: Mapping[str, float], targets: Mapping[str, float]
) -> list[str]:
    """Targeted inner nodes whose plan inputs do not give their target."""
    out = []
    for name in targets:
        node = tree.node(name)
        if node.kind == "leaf":
            continue
        with np.errstate(all="ignore"):
            value = float(node.compute([np.array([plan[c]]) for c in node.inputs])[0])
        if not np.isclose(value, plan[name], rtol=1e-9, atol=0):
            out.append(name)
    return out


def scorecard(
    tree: KPITree,
    actual: object,
    targets: object,
    *,
    period: str = "M",
    as_of: object = None,
    by: str | Sequence[str] | None = None,
    date: str = "date",
    columns: Mapping[str, str] | None = None,
    history: object = None,
    method: str | Decomposition = "lmdi",
    on_track: float = 0.97,
    off_track: float = 0.90,
    lower_is_better: Sequence[str] = (),
) -> ScorecardResult:
    """See :meth:`KPITree.scorecard`."""
    seg = by_tuple(by, OWNER)
    if off_track > on_track:
        msg = (
            f"The 'off_track' parameter of {OWNER} must be at most on_track ({on_track!r}). "
            f"Got {off_track!r} instead."
        )
        raise ParameterError(msg)
    lower = set(lower_is_better)
    for name in lower:
        tree._check_name(name, param="lower_is_better", owner=OWNER)
    impl = get_decomposition(method, owner=OWNER)
    daily = read_daily(tree, actual, time=date, by=seg, columns=columns, frame_name="actual")
    day = daily.day
    as_of_day = _as_of(as_of, day.max())
    start, end = period_bounds(as_of_day, period)
    before_start = np.asarray(day < start)
    after_as_of = np.asarray(day > as_of_day)
    accounting = daily.accounting.with_dropped("before the period", int(before_start.sum()),
                                               column=date)  # fmt: skip
    accounting = accounting.with_dropped("after as_of", int(after_as_of.sum()), column=date)
    keep = ~(before_start | after_as_of)
    if not keep.any():
        raise no_rows(accounting, "actual", f"none from {start.date()} to {as_of_day.date()}")
    profile = None
    notes = [
        f"pacing: {'weekday profile learnt from history' if history is not None else 'elapsed days'}"
    ]
    inputs = {"actual": accounting}
    if history is not None:
        hist = read_daily(tree, history, time=date, by=seg, columns=columns, frame_name="history")
        hist_values = compute_nodes(tree, hist.leaves, zero_division="nan")
        root = pd.Series(hist_values[tree.root], index=hist.day)
        profile = weekday_profile(root)
        inputs["history"] = hist.accounting
        notes.append("weekday weights (Monday first): " + ", ".join(f"{w:.2f}" for w in profile))
    share = elapsed_share(start, end, as_of_day, profile)

    keys = daily.keys[keep].reset_index(drop=True)
    sums = pd.DataFrame({k: v[keep] for k, v in daily.leaves.items()})
    if seg:
        grouped = pd.concat([keys, sums], axis=1).groupby(list(seg), sort=True, dropna=False)
        agg = grouped[list(tree.leaves)].sum().reset_index()
    else:
        agg = sums.sum().to_frame().T
    with np.errstate(all="ignore"):
        values = compute_nodes(
            tree, {k: agg[k].to_numpy(dtype=np.float64) for k in tree.leaves},
            zero_division="nan", overflow="warn",
        )  # fmt: skip
    seg_index = (
        pd.MultiIndex.from_frame(agg[list(seg)]) if len(seg) > 1
        else pd.Index(agg[seg[0]]) if seg else pd.Index([0])
    )  # fmt: skip

    tgt, tgt_acc = read_targets(tree, targets, seg)
    if seg:
        tkeys = pd.MultiIndex.from_frame(tgt[list(seg)]) if len(seg) > 1 else pd.Index(tgt[seg[0]])
        pos = seg_index.get_indexer(tkeys)
    else:
        pos = np.zeros(len(tgt), dtype=np.intp)
    missing = pos < 0
    tgt_acc = tgt_acc.with_dropped("segment with no actual rows", int(missing.sum()))
    inputs["targets"] = tgt_acc
    if missing.all():
        raise no_rows(tgt_acc, "targets", "no segment has actual rows")
    tgt, pos = tgt[~missing].reset_index(drop=True), pos[~missing]
    deg = degrees(tree)
    rows = []
    loose: set[str] = set()
    plans: dict[int, tuple[dict[str, float], dict[str, float], dict[str, float]]] = {}
    for i, row in enumerate(tgt.itertuples(index=False)):
        node = str(row.node)
        p = int(pos[i])
        if p not in plans:  # one plan per segment, from all of its targets
            act = {k: float(v[p]) for k, v in values.items()}
            here = tgt[(pos == p)]
            paced = {
                str(n): float(t) * share ** deg[str(n)]
                for n, t in zip(here["node"], here["target"], strict=True)
            }
            plans[p] = (act, paced, _plan(tree, paced, act))
            loose.update(unreconciled(tree, plans[p][2], paced))
        act, paced, plan = plans[p]
        driver = _driver(tree, node, plan, act, impl)
        rows.append(
            {
                **{s: getattr(row, s) for s in seg},
                "node": node,
                "owner": row.owner if row.owner is not None else tree.node(node).owner,
                "actual": act[node],
                "target": float(row.target),  # type: ignore[arg-type]
                "expected_by_now": paced[node],
                "driver_of_gap": driver,
                "driver_owner": tree.node(driver).owner if driver else None,
            }
        )
    raw = pd.DataFrame(rows)
    actual_v = raw["actual"].to_numpy(dtype=np.float64)
    target_v = raw["target"].to_numpy(dtype=np.float64)
    expected = raw["expected_by_now"].to_numpy(dtype=np.float64)
    lower_rows = raw["node"].isin(lower).to_numpy()
    with np.errstate(all="ignore"):
        pace = np.where(lower_rows, expected / actual_v, actual_v / expected)
    pace = np.where(np.isinf(pace), on_track, pace)  # nothing spent on a cost: on track
    table = raw[[*seg, "node", "owner", "actual", "target"]].assign(
        attainment=actual_v / target_v,
        expected_by_now=expected,
        gap=actual_v - expected,
        status=_status(pace, on_track, off_track),
        driver_of_gap=raw["driver_of_gap"],
        driver_owner=raw["driver_owner"],
    )
    order = {"off track": 0, "at risk": 1, "no data": 2, "on track": 3}
    with np.errstate(all="ignore"):
        rel = np.where(expected != 0, table["gap"] / np.abs(expected), 0.0)
    table = (
        table.assign(_o=table["status"].map(order), _r=np.nan_to_num(rel))
        .sort_values(["_o", "_r"], kind="stable")
        .drop(columns=["_o", "_r"])
        .reset_index(drop=True)
    )
    nan_nodes = table.loc[table["actual"].isna(), "node"].tolist()
    if nan_nodes:
        warnings.warn(
            f"{OWNER}: actual is NaN for {', '.join(map(repr, nan_nodes))}: a ratio with a "
            "zero denominator in the period so far (status 'no data').",
            DataQualityWarning,
            stacklevel=4,
        )
        notes.append(f"no data (a zero denominator so far): {', '.join(nan_nodes)}")
    if loose:
        notes.append(
            "targets that constrain each other beyond what the plan could meet (the driver "
            f"explains the gap to the value their inputs' plan gives): {', '.join(sorted(loose))}"
        )
    notes.append(
        f"status: pace = actual / expected_by_now (inverted for lower_is_better); on track >= "
        f"{on_track:g}, off track < {off_track:g}; driver_of_gap by {impl.name}"
    )
    return ScorecardResult(
        tree=tree,
        table=table,
        period=period,
        start=start,
        as_of=as_of_day,
        end=end,
        elapsed=share,
        by=seg,
        provenance=Provenance(spec=tree, inputs=inputs, notes=tuple(notes)),
    )
