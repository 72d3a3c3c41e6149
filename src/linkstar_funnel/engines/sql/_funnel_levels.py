"""Chains of the ordered and strict funnels, one stage at a time, over integer times.

The input is the stage-match union, in per-stage pieces (:func:`stage_parts`): one row per
(event, stage) match, with the entity columns ``__lf_e0..``, the time ``__lf_t`` as whole microseconds
since the epoch (int64), the stage number ``__lf_k`` (from 1; 0 for the other events that
break a strict chain with ``strict_scope="all"``), and carried columns (segments, row
order).

For stage k, :func:`stage_chains` returns the stage-k rows that end a chain, each with
``__lf_s``: the latest start among the chains ending there (the funnel semantics: the
running maximum of the previous stage's starts). Pass k sorts only the stage-(k-1) rows
that end a chain together with the stage-k rows, not the whole union: funnels narrow, so
later passes are small (the previous formulation sorted every matched row K - 1 times).

Exactly the in-memory kernel's semantics, in the portable subset:

* ties ``"stage_order"``: a stage-(k-1) row at the same time as a stage-k row precedes
  it, so the frame is a range frame on time ending at the current row (its peers
  included); ``"strict_increase"`` ends the frame 1 microsecond before (integer times
  make that exact).
* ``step_windows``: the frame starts ``gap`` before the row (a range frame), so the
  running maximum is taken over the stage-(k-1) chain ends within the gap only: the
  monotone deque of the kernel, as a window.
* ``order="strict"``: rows are numbered by distinct time over the whole union first
  (``dense_rank``), and the frame is the previous number (and the current one with
  ``"stage_order"`` ties); a gap is checked against the previous number's time, which is
  one time.
* ``entry="first"``: only the entity's first stage-1 time starts chains.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs

__all__ = [
    "ChainOptions",
    "chain_union",
    "int_time",
    "stage_chains",
    "stage_parts",
    "union_all",
]

T, K, S, G = "__lf_t", "__lf_k", "__lf_s", "__lf_g"
R = "__lf_r"
#: Microseconds in a nanosecond count: times and windows are whole microseconds.
_NS_PER_US = 1000


def ent_name(i: int) -> str:
    """The i-th entity column of the union."""
    return f"__lf_e{i}"


def seg_name(i: int) -> str:
    """The i-th segment column of the union."""
    return f"__lf_b{i}"


@attrs.frozen
class ChainOptions:
    """What decides a chain (plain values; nanoseconds as in ``pd.Timedelta.value``).

    Parameters
    ----------
    n_stages
        K, the number of stages.
    window_ns
        Longest first-to-last step time.
    gaps_ns
        Per transition k -> k+1, the longest gap (``None``: no limit); empty for none.
    order
        ``"ordered"``, ``"strict"`` or ``"unordered"``.
    strict_increase
        ``ties="strict_increase"``.
    entry_first
        ``entry="first"``.
    """

    n_stages: int
    window_ns: int
    gaps_ns: tuple[int | None, ...] = ()
    order: str = "ordered"
    strict_increase: bool = False
    entry_first: bool = False

    def gap_us(self, k: int) -> int | None:
        """The gap before stage ``k`` (from 2), in microseconds, or None."""
        gap = self.gaps_ns[k - 2] if self.gaps_ns else None
        return None if gap is None else int(gap) // _NS_PER_US  # times are whole µs

    @property
    def window_us(self) -> int:
        """The window in whole microseconds (callers refuse other windows)."""
        return int(self.window_ns) // _NS_PER_US


def int_time(column: Any) -> Any:
    """Whole microseconds since the epoch, as int64 (UTC for time-zone-aware times)."""
    import ibis

    return column.delta(ibis.timestamp("1970-01-01 00:00:00"), unit="microsecond").cast("int64")


def stage_parts(
    base: Any,
    *,
    ent_cols: Sequence[str],
    time: str,
    preds: Sequence[Any],
    carry: dict[str, Any] | None = None,
    all_events: bool = False,
) -> list[Any]:
    """Per stage, the rows of ``base`` (already filtered to usable rows) matching it: the
    pieces of the stage-match union, each a filtered scan of its own (an ordered funnel
    never needs the union itself, which engines would materialize).

    ``carry`` maps union column names to expressions on ``base`` kept on every row
    (segments ``__lf_b*``, row order ``__lf_r``). With ``all_events``, a last piece holds
    every event with stage 0 (strict chains broken by any event).
    """
    import ibis

    keep: dict[str, Any] = {ent_name(i): base[c] for i, c in enumerate(ent_cols)}
    keep[T] = int_time(base[time])
    extra = dict(carry or {})
    parts = [
        base.filter(pred).select(**keep, **{K: ibis.literal(k + 1, "int16")}, **extra)
        for k, pred in enumerate(preds)
    ]
    if all_events:
        parts.append(base.select(**keep, **{K: ibis.literal(0, "int16")}, **extra))
    return parts


def union_all(parts: Sequence[Any]) -> Any:
    """The rows of every table in ``parts`` (same columns), duplicates kept."""
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], distinct=False)


def _numbered(rows: Any, ent: list[str], opts: ChainOptions) -> Any:
    """Strict mode: rows numbered by distinct time within the entity (over every row)."""
    import ibis

    if opts.order != "strict":
        return rows
    return rows.mutate(**{G: ibis.dense_rank().over(group_by=ent, order_by=rows[T])})


def _starts(rows: Any, ent: list[str], opts: ChainOptions) -> Any:
    """Stage-1 rows that start chains, with ``__lf_s`` = their time."""
    import ibis

    firsts = rows.filter(rows[K] == 1)
    if opts.entry_first:  # a column first: a window inside a filter trips Ibis on Spark
        firsts = firsts.mutate(__lf_first=firsts[T].min().over(ibis.window(group_by=ent)))
        firsts = firsts.filter(firsts[T] == firsts["__lf_first"]).drop("__lf_first")
    return firsts.select(*[c for c in firsts.columns if c != S], **{S: firsts[T]})


def _best(pair: Any, ent: list[str], k: int, opts: ChainOptions) -> Any:
    """For each stage-k row of ``pair``: the latest start of a stage-(k-1) chain end it
    may follow (null: none), window aside."""
    import ibis

    prev_s = ibis.ifelse(pair[K] == k - 1, pair[S], ibis.null("int64"))
    gap = opts.gap_us(k)
    if opts.order == "strict":
        before = ibis.window(group_by=ent, order_by=pair[G], range=(-1, -1))
        best = prev_s.max().over(before)
        if gap is not None:
            prev_t = ibis.ifelse(pair[K] == k - 1, pair[T], ibis.null("int64")).max()
            best = ibis.ifelse(pair[T] - prev_t.over(before) <= gap, best, ibis.null("int64"))
        if not opts.strict_increase:  # the current time's chain ends too (gap 0)
            same = prev_s.max().over(ibis.window(group_by=ent, order_by=pair[G], range=(0, 0)))
            best = ibis.greatest(best.fill_null(same), same.fill_null(best))
        return best
    end = -1 if opts.strict_increase else 0
    start = None if gap is None else -gap
    frame = ibis.window(group_by=ent, order_by=pair[T], range=(start, end))
    return prev_s.max().over(frame)


def stage_chains(parts: Sequence[Any], ent: list[str], opts: ChainOptions) -> list[Any]:
    """Per stage k = 1..K, the stage-k rows ending a chain, with ``__lf_s`` (see the
    module documentation). ``parts`` are the per-stage pieces of the union
    (:func:`stage_parts`), and with ``strict_scope="all"`` the stage-0 piece last; carried
    columns are kept on stage rows."""
    import ibis

    if opts.order == "unordered":
        msg = "stage_chains compiles the ordered and strict funnels; see unordered_entities"
        raise ValueError(msg)
    if opts.order == "strict":  # numbered over every row: one union
        rows = _numbered(union_all(parts), ent, opts)
        parts = [rows.filter(rows[K] == k) for k in range(1, opts.n_stages + 1)]
    cols = [c for c in parts[0].columns if c != S]
    out = [_starts(parts[0], ent, opts)]
    w = opts.window_us
    for k in range(2, opts.n_stages + 1):
        prev = out[-1].select(*cols, S)
        cur = parts[k - 1].mutate(**{S: ibis.null("int64")}).select(*cols, S)
        pair = prev.union(cur, distinct=False)
        best = _best(pair, ent, k, opts)
        pair = pair.mutate(__lf_best=best)
        ends = pair.filter((pair[K] == k) & (pair[T] - pair["__lf_best"] <= w))
        out.append(ends.select(*cols, **{S: ends["__lf_best"]}))
    return out


def chain_union(chains: list[Any]) -> Any:
    """The chain ends of every stage in one table (the columns of the union, and
    ``__lf_s``). The tables are unioned as they are: selecting columns of each first
    trips Ibis 12's compiler ("Compilation rule for 'Project'") on these shared
    subexpressions."""
    return union_all(chains)
