"""Reading orders into one row per order with a time per step and outcome.

Two shapes come in: one row per order with a time column per status (``from_columns``),
or one row per status change (``from_history``, what shop exports give). Both end as an
:class:`OrderTimes`: order and customer labels, segment labels, and an int64 matrix of
times (nanoseconds, :data:`NAT` where a status never happened). What cannot be read is
dropped and counted; what contradicts itself is kept and counted, for each measure to
leave out where it matters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._times import NAT, cut_ns
from ..errors import EmptyFrameError, TimeZoneError
from ..schema import Column, RowAccounting, Table, validate
from ._observe import label_ranks

__all__ = ["OUTCOMES", "OrderTimes", "Problem", "read_columns", "read_history"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
#: What can happen to an order besides its steps, in this order.
OUTCOMES: tuple[str, ...] = ("refunded", "returned", "cancelled")
_BIG = np.iinfo(np.int64).max


@attrs.frozen
class Problem:
    """A data-quality finding: how many rows or orders, what, in which column."""

    issue: str
    count: int
    unit: str  # "rows" or "orders"
    column: str | None = None
    consequence: str = ""

    def __str__(self) -> str:
        where = f" (column {self.column!r})" if self.column else ""
        tail = f": {self.consequence}" if self.consequence else ""
        return f"{self.count:,} {self.unit} with {self.issue}{where}{tail}"


@attrs.frozen(eq=False)
class OrderTimes:
    """One row per order: labels (in their input dtype), segments and a time per step and
    outcome."""

    order: pd.Series
    customer: pd.Series
    segments: pd.DataFrame
    steps: tuple[str, ...]
    outcomes: tuple[str, ...]
    times: IntArray  # (orders, steps + outcomes), NAT where absent
    tz: Any
    end_ns: int
    accounting: RowAccounting
    problems: tuple[Problem, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Steps then outcomes: the columns of :attr:`times`."""
        return (*self.steps, *self.outcomes)

    def time_of(self, name: str) -> IntArray:
        """The times of one step or outcome (NAT where absent)."""
        return self.times[:, self.names.index(name)]


def _zone(table: Table, roles: Sequence[str], frame_name: str) -> Any:
    zones = {r: table.times[r].tz for r in roles}
    aware = {r for r, z in zones.items() if z is not None}
    if aware and len(aware) < len(zones):
        naive = [table.columns[r] for r in roles if r not in aware]
        msg = (
            f"The {frame_name} frame mixes time zone-aware and naive time columns: "
            f"{[table.columns[r] for r in sorted(aware)]} are aware, {naive} are naive."
            "\nHint: localize the naive ones, e.g. df[col].dt.tz_localize('UTC')."
        )
        raise TimeZoneError(msg)
    return next((zones[r] for r in roles if zones[r] is not None), None)


def _representatives(
    group: IntArray, keys: list[npt.NDArray[Any]], n_groups: int
) -> tuple[IntArray, int]:
    """One row per group, the same whatever the row order: the smallest labels (missing
    labels last; see :func:`label_ranks`). Returns the chosen row of each group and how many groups
    disagree on the labels."""
    missing = np.zeros(len(group), dtype=np.int64)
    ranks = []
    for k in keys:
        rank = label_ranks(k)
        missing += rank < 0
        ranks.append(rank)
    order = np.lexsort((*ranks[::-1], missing, group))
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    last = np.r_[g[1:] != g[:-1], True]
    rows = np.empty(n_groups, dtype=np.int64)
    rows[g[first]] = order[first]
    # sorted by group then labels: a group disagrees when its first and last rows differ
    head, tail = order[first], order[last]
    differ = np.zeros(len(head), dtype=bool)
    for rank in ranks:
        differ |= rank[head] != rank[tail]
    return rows, int(differ.sum())


def _group_min(
    group: IntArray, column: IntArray, values: IntArray, shape: tuple[int, int]
) -> IntArray:
    """Earliest time per (group, column), NAT where none."""
    out = np.full(shape, _BIG, dtype=np.int64)
    ok = values != NAT
    np.minimum.at(out, (group[ok], column[ok]), values[ok])
    out[out == _BIG] = NAT
    return out


def _end_ns(observation_end: object, times: IntArray, tz: Any, owner: str) -> int:
    known = times[times != NAT]
    if observation_end is None:
        return int(known.max())
    return cut_ns(pd.Timestamp(observation_end), tz, 0, owner=owner)  # type: ignore[arg-type]


def _column(table: Table, name: str, rows: IntArray) -> pd.Series:
    """A column of the caller's frame at the kept ``rows``, keeping its dtype."""
    where = rows if table.rows is None else table.rows[rows]
    return table.frame[name].iloc[where].reset_index(drop=True)


def _segment_frame(table: Table, by: Sequence[str], rows: IntArray) -> pd.DataFrame:
    return pd.DataFrame({k: _column(table, k, rows) for k in by}, index=pd.RangeIndex(len(rows)))


def _dense(codes: IntArray) -> tuple[int, IntArray]:
    """Codes renumbered 0..k-1 in code order: (k, new codes)."""
    used = np.bincount(codes) > 0
    new = np.cumsum(used) - 1
    return int(used.sum()), new[codes].astype(np.int64)


def read_columns(
    frame: object,
    *,
    order: str,
    customer: str,
    steps: Mapping[str, str],
    outcomes: Mapping[str, str],
    by: Sequence[str],
    observation_end: object,
    owner: str,
) -> OrderTimes:
    """One row per order (or several, merged), a time column per step and outcome."""
    names = (*steps, *outcomes)
    columns = [Column("order", order, "key"), Column("customer", customer, "key")]
    columns += [Column(n, c, "time", required=False) for n, c in {**steps, **outcomes}.items()]
    columns += [Column(f"by {k}", k, "category", required=False) for k in by]
    table = validate(frame, columns, frame_name="orders")
    tz = _zone(table, names, "orders")
    raw = np.column_stack([table.times[n].ns for n in names])
    empty = (raw == NAT).all(axis=1)
    accounting = table.accounting.with_dropped("no status time at all", int(empty.sum()))
    if empty.all():
        msg = f"No row of the orders frame has a status time ({accounting})."
        raise EmptyFrameError(msg)
    keep = np.flatnonzero(~empty)
    codes = table.codes["order"][keep]
    n, group = _dense(codes)
    problems: list[Problem] = []
    if n < len(keep):
        several = int((np.bincount(group) > 1).sum())
        problems.append(
            Problem(
                "several rows", several, "orders", order, "the earliest time of each status kept"
            )
        )
        k = len(names)
        times = _group_min(
            np.repeat(group, k), np.tile(np.arange(k), len(keep)), raw[keep].ravel(), (n, k)
        )
        labels = [table.column(customer)[keep], *[table.column(b)[keep] for b in by]]
        rep, disagree = _representatives(group, labels, n)
        if disagree:
            problems.append(
                Problem(
                    "rows disagreeing on the customer or a segment",
                    disagree,
                    "orders",
                    None,
                    "the smallest label kept",
                )
            )
        rows = keep[rep]
    else:
        rows = keep[np.argsort(group)]
        times = raw[rows]
    return _finish(table, rows, times, steps=tuple(steps), outcomes=tuple(outcomes),
                   by=by, tz=tz, accounting=accounting, problems=problems,
                   observation_end=observation_end, owner=owner)  # fmt: skip


def read_history(
    frame: object,
    *,
    order: str,
    customer: str,
    status: str,
    time: str,
    steps: Sequence[str],
    outcomes: Mapping[str, str],
    by: Sequence[str],
    observation_end: object,
    owner: str,
) -> OrderTimes:
    """One row per status change: the earliest time of each status per order."""
    columns = [
        Column("order", order, "key"),
        Column("customer", customer, "key"),
        Column("status", status, "category"),
        Column("time", time, "time"),
        *[Column(f"by {k}", k, "category", required=False) for k in by],
    ]
    table = validate(frame, columns, frame_name="history")
    tz = table.times["time"].tz
    label_text = [str(v) for v in table.labels["status"]]
    rank_of = {s: i for i, s in enumerate(steps)}
    rank_of.update({label: len(steps) + i for i, label in enumerate(outcomes.values())})
    code_rank = np.array([rank_of.get(t, -1) for t in label_text] + [-1], dtype=np.int64)
    rank = code_rank[table.codes["status"]]
    other = rank < 0
    accounting = table.accounting.with_dropped(
        "another status (not a step or outcome)", int(other.sum()), column=status
    )
    if other.all():
        known = [*steps, *outcomes.values()]
        msg = (
            f"No row of the history frame has a status among {known} ({accounting})."
            f"\nHint: pass steps=[...] (and refunded=, returned=, cancelled=) with the "
            f"status labels your export uses, e.g. {sorted(set(label_text))[:5]}."
        )
        raise EmptyFrameError(msg)
    keep = np.flatnonzero(~other)
    rank, ns = rank[keep], table.times["time"].ns[keep]
    n, group = _dense(table.codes["order"][keep])
    k = len(steps) + len(outcomes)
    problems: list[Problem] = []
    pair = group * k + rank
    dup = len(pair) - int((np.bincount(pair, minlength=n * k) > 0).sum())
    if dup:
        problems.append(Problem("a status repeated", dup, "rows", status, "the earliest time kept"))
    back = _backwards(group, ns, rank, len(steps))
    if back:
        problems.append(
            Problem(
                "a status going backwards",
                back,
                "rows",
                status,
                "each status's earliest time used; orders whose step times are then out of "
                "order are counted below and left out of the lead times they contradict",
            )
        )
    times = _group_min(group, rank, ns, (n, k))
    labels = [table.column(customer)[keep], *[table.column(b)[keep] for b in by]]
    rep, disagree = _representatives(group, labels, n)
    if disagree:
        problems.append(
            Problem(
                "rows disagreeing on the customer or a segment",
                disagree,
                "orders",
                None,
                "the smallest label kept",
            )
        )
    return _finish(table, keep[rep], times, steps=tuple(steps), outcomes=tuple(outcomes),
                   by=by, tz=tz, accounting=accounting, problems=problems,
                   observation_end=observation_end, owner=owner)  # fmt: skip


def _backwards(group: IntArray, ns: IntArray, rank: IntArray, n_steps: int) -> int:
    """Step rows earlier in the step order than a step the order already reached before."""
    is_step = rank < n_steps
    g, t, r = group[is_step], ns[is_step], rank[is_step]
    order = np.lexsort((r, t, g))
    g, r = g[order], r[order]
    # groups ascend, so a running maximum of g * (n_steps + 1) + r never crosses groups
    key = g * (n_steps + 1) + r
    before = np.r_[-1, np.maximum.accumulate(key)[:-1]]
    same = np.r_[False, g[1:] == g[:-1]]
    return int((same & (key < before)).sum())


def _finish(
    table: Table,
    rows: IntArray,
    times: IntArray,
    *,
    steps: tuple[str, ...],
    outcomes: tuple[str, ...],
    by: Sequence[str],
    tz: Any,
    accounting: RowAccounting,
    problems: list[Problem],
    observation_end: object,
    owner: str,
) -> OrderTimes:
    end = _end_ns(observation_end, times, tz, owner)
    step_t = times[:, : len(steps)]
    have = step_t != NAT
    # out of order: a reached step earlier than the latest earlier reached step
    filled = np.where(have, step_t, np.iinfo(np.int64).min)
    latest = np.maximum.accumulate(filled, axis=1)
    prior = np.concatenate([np.full((len(times), 1), NAT), latest[:, :-1]], axis=1)
    backwards = (have & (step_t < prior)).any(axis=1)
    later = np.flip(np.logical_or.accumulate(np.flip(have, axis=1), axis=1), axis=1)
    gaps = (
        (~have[:, :-1] & later[:, 1:]).any(axis=1) if len(steps) > 1 else np.zeros(len(times), bool)
    )
    found = [
        ("step times out of order", backwards, "left out of the lead times they contradict"),
        ("a step time missing before a later step", gaps, "left out of the lead times it bounds"),
        ("no time at the first step", ~have[:, 0], f"not in the rates (no {steps[0]!r})"),
    ]
    for i, name in enumerate(outcomes):
        t = times[:, len(steps) + i]
        early = (t != NAT) & (step_t[:, 0] != NAT) & (t < step_t[:, 0])
        found.append((f"{name} before {steps[0]}", early, f"left out of the {name} rate"))
    late = ((times != NAT) & (times > end)).any(axis=1)
    found.append(("times after observation_end", late, "those statuses had not happened yet"))
    for issue, mask, consequence in found:
        if mask.any():
            problems.append(Problem(issue, int(mask.sum()), "orders", None, consequence))
    return OrderTimes(
        order=_column(table, table.columns["order"], rows),
        customer=_column(table, table.columns["customer"], rows),
        segments=_segment_frame(table, by, rows),
        steps=steps,
        outcomes=outcomes,
        times=times,
        tz=tz,
        end_ns=end,
        accounting=accounting,
        problems=tuple(problems),
    )
