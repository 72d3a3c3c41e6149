"""Per entity (per attempt): level, reach times and chain starts, from the chain ends.

Ordered and strict funnels come from :func:`~._funnel_levels.stage_chains`; the unordered
funnel from one range-window pass (:func:`unordered_entities`). Both give one row per
entity with ``__lf_level``, the completion time ``__lf_c`` (null below the last stage) and,
when asked, ``__lf_r<k>`` (``R_k``, the first time step k is reached) and ``__lf_st<k>``
(the latest start among the chains reaching step k at ``R_k``), all integer microseconds.
"""

from __future__ import annotations

from typing import Any

from ._funnel_levels import ChainOptions, K, S, T, chain_union

__all__ = ["LV", "C", "ordered_entities", "reach_col", "start_col", "unordered_entities"]

LV, C = "__lf_level", "__lf_c"


def reach_col(k: int) -> str:
    """Column of ``R_k`` (k from 1)."""
    return f"__lf_r{k}"


def start_col(k: int) -> str:
    """Column of the chain start at ``R_k``."""
    return f"__lf_st{k}"


def ordered_entities(chains: list[Any], ent: list[str], k_n: int, *, reach: bool) -> Any:
    """One row per entity with a chain: level, completion and (``reach``) R_k, starts."""
    import ibis

    ends = chain_union(chains)
    null = ibis.null("int64")
    if not reach:  # level and R_1 (entries) only: one group-by
        aggs: dict[str, Any] = {
            LV: ends[K].max(),
            reach_col(1): ibis.ifelse(ends[K] == 1, ends[T], null).min(),
            C: ibis.ifelse(ends[K] == k_n, ends[T], null).min(),
        }
        return ends.group_by(ent).aggregate(**aggs)
    first = ends[T].min().over(ibis.window(group_by=[*ent, K]))
    ends = ends.mutate(__lf_first=first)
    per_k = ends.group_by([*ent, K]).aggregate(
        __lf_rk=ends["__lf_first"].max(),
        __lf_sk=ibis.ifelse(ends[T] == ends["__lf_first"], ends[S], null).max(),
    )
    aggs = {LV: per_k[K].max()}
    for k in range(1, k_n + 1):
        aggs[reach_col(k)] = ibis.ifelse(per_k[K] == k, per_k["__lf_rk"], null).max()
        aggs[start_col(k)] = ibis.ifelse(per_k[K] == k, per_k["__lf_sk"], null).max()
    out = per_k.group_by(ent).aggregate(**aggs)
    return out.mutate(**{C: out[reach_col(k_n)]})


def unordered_entities(rows: Any, ent: list[str], opts: ChainOptions, *, reach: bool) -> Any:
    """The unordered funnel: from each row's time t, the frame ``[t - window, t]`` says
    which stages occur; the row's level is the longest prefix of stages all present. The
    entity's level is the largest; step j is complete at the first time a frame holds
    stages 1..j (``done_j``), and ``R_j`` is then the latest stage-j time up to
    ``done_j``, as the in-memory engine records it; the start for step k is the earliest
    of the latest stage-q times (q <= k) up to ``done_k`` (K (K + 1) / 2 aggregates)."""
    import ibis

    k_n = opts.n_stages
    w = opts.window_us
    rows = rows.filter(rows[K] >= 1)
    entity = ibis.window(group_by=ent)
    frame = ibis.window(group_by=ent, order_by=rows[T], range=(-w, 0))
    present = [ibis.ifelse(rows[K] == j, 1, 0).max().over(frame) for j in range(1, k_n + 1)]
    first = ibis.ifelse(rows[K] == 1, rows[T], ibis.null("int64")).min().over(entity)
    if opts.entry_first:
        present[0] = ibis.ifelse((first >= rows[T] - w) & (first <= rows[T]), 1, 0)
    level = present[-1]
    for p in reversed(present[:-1]):
        level = p * (level + 1)
    leveled = rows.mutate(__lf_row_level=level, __lf_first=first)
    null = ibis.null("int64")
    lv = leveled["__lf_row_level"]
    aggs: dict[str, Any] = {
        LV: lv.max(),
        reach_col(1): leveled["__lf_first"].min(),
        C: ibis.ifelse(lv == k_n, leveled[T], null).min(),
    }
    if reach:
        for j in range(1, k_n + 1):
            aggs[f"__lf_done{j}"] = ibis.ifelse(lv >= j, leveled[T], null).min()
    per = leveled.group_by(ent).aggregate(**aggs)
    per = per.filter(per[LV] >= 1)
    if not reach:
        return per
    joined = rows.join(per, ent)
    got: dict[str, Any] = {}
    for k in range(1, k_n + 1):  # latest stage-q time up to done_k, q <= k
        for q in range(1, k + 1):
            ok = (joined[K] == q) & (joined[T] <= joined[f"__lf_done{k}"])
            if opts.entry_first and q == 1:
                ok = ok & (joined[T] == joined[reach_col(1)])
            got[f"__lf_u{q}_{k}"] = ibis.ifelse(ok, joined[T], null).max()
    latest = joined.group_by(ent).aggregate(**got)
    per = per.join(latest, ent)
    cols: dict[str, Any] = {}
    for k in range(1, k_n + 1):
        cols[reach_col(k)] = per[f"__lf_u{k}_{k}"]
        latest = [per[f"__lf_u{q}_{k}"] for q in range(1, k + 1)]
        # least() of one value is refused by Spark
        cols[start_col(k)] = ibis.least(*latest) if k > 1 else latest[0]
    return per.select(*ent, LV, C, **cols)
