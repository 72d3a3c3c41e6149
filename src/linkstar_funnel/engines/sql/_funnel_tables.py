"""From per-entity tables (levels, reach times) to what the SQL funnel returns: exclusions,
the attributed segment, counts per level and segment, entries for trends and durations.

Per-entity tables come from :mod:`._funnel_reach`: entity columns ``__lf_e*``, the level
``__lf_level``, reach times ``__lf_r<k>`` and chain starts ``__lf_st<k>`` (integer
microseconds). Everything here is a join or a group aggregate (the portable subset).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._funnel_levels import K, R, T, union_all
from ._funnel_reach import LV, reach_col, start_col

__all__ = [
    "NOT_REACHED",
    "drop_right",
    "duration_arrays",
    "duration_counts",
    "entry_counts",
    "excluded",
    "level_counts",
    "levels_from_reach",
    "reach_counts",
    "split_excluded",
    "with_segments",
]

IntArray = npt.NDArray[np.int64]

#: Entry times are returned floored to quarter-hours (as microseconds // this).
QUARTER_US = 900_000_000
_Q, _N = "__lf_q", "__lf_n"
#: Counts column: 1 where the attributed step was not reached ("(not reached)" segment).
NOT_REACHED = "__lf_not_reached"


def drop_right(table: Any) -> Any:
    extra = [c for c in table.columns if c.endswith("_right")]
    return table.drop(*extra) if extra else table


def excluded(per: Any, xrows: Any, ent: list[str], exclusions: Sequence[tuple[int, int]]) -> Any:
    """``per`` with level -1 where an excluded event (``xrows``: entity, ``__lf_t``,
    ``__lf_x`` the exclusion's number) lies strictly between ``R_i`` and ``R_j``."""
    import ibis

    if xrows is None or not exclusions:
        return per
    hit = xrows.join(per, ent)
    cond = ibis.literal(False)
    for x, (i, j) in enumerate(exclusions):
        between = (hit[T] > hit[reach_col(i)]) & (hit[T] < hit[reach_col(j)])
        cond = cond | ((hit["__lf_x"] == x) & between.fill_null(False))
    dropped = hit.filter(cond).select(*ent).distinct().mutate(__lf_drop=ibis.literal(1))
    out = drop_right(per.left_join(dropped, ent))
    kept = out["__lf_drop"].isnull()  # noqa: PD003 - Ibis expression
    return out.mutate(**{LV: ibis.ifelse(kept, out[LV], -1)}).drop("__lf_drop")


def _target(per: Any, attribution: int, k_n: int) -> tuple[Any, Any]:
    """Per entity: the attributed step and its reach time."""
    import ibis

    if attribution >= 1:
        return ibis.literal(attribution, "int16"), per[reach_col(attribution)]
    step = per[LV]
    when = ibis.null("int64")
    for k in range(k_n, 0, -1):
        when = ibis.ifelse(step == k, per[reach_col(k)], when)
    return step.cast("int16"), when


def with_segments(
    per: Any,
    parts: Sequence[Any],
    ent: list[str],
    segs: list[str],
    *,
    attribution: int,
    k_n: int,
    ordered: bool,
) -> Any:
    """``per`` with the segment columns of the event serving the attributed step (1: first
    touch; 0: last touch), the first by row order (``ordered``) or segment value."""
    import ibis

    if not segs:
        return per
    step, when = _target(per, attribution, k_n)
    targets = per.select(*ent, __lf_j=step, __lf_rj=when)
    rows = parts[attribution - 1] if attribution >= 1 else union_all(parts[:k_n])
    cand = rows.join(targets, ent)
    cand = cand.filter((cand[K] == cand["__lf_j"]) & (cand[T] == cand["__lf_rj"]))
    tie = [cand[R]] if ordered else [cand[s] for s in segs]
    rank = ibis.row_number().over(group_by=ent, order_by=tie)
    cand = cand.mutate(__lf_rank=rank)
    picked = cand.filter(cand["__lf_rank"] == 0).select(*ent, *segs)
    out = drop_right(per.left_join(picked, ent))
    if attribution > 1:  # the step may not be reached: a segment of its own
        missing = out[reach_col(attribution)].isnull()  # noqa: PD003 - Ibis expression
        out = out.mutate(**{NOT_REACHED: missing.cast("int8")})
    return out


def _group_cols(per: Any, segs: list[str]) -> list[str]:
    return [*segs, NOT_REACHED] if NOT_REACHED in per.columns else list(segs)


def level_counts(per: Any, segs: list[str]) -> Any:
    """Entities per (level, segment); levels -1 (excluded) too."""
    per = per.filter(per[LV] != 0)
    return per.group_by([LV, *_group_cols(per, segs)]).aggregate(**{_N: per.count()})


def entry_counts(per: Any, segs: list[str]) -> Any:
    """Entities per (level, segment, entry quarter-hour): for trends()."""
    per = per.filter(per[LV] >= 1)
    per = per.mutate(**{_Q: (per[reach_col(1)] // QUARTER_US).cast("int64")})
    return per.group_by([LV, *_group_cols(per, segs), _Q]).aggregate(**{_N: per.count()})


def reach_counts(chains: list[Any], ent: list[str]) -> Any:
    """Without segments or exclusions: entities per level, from the entities with a chain
    end at each stage (reaching k implies reaching k - 1), with no per-entity table."""
    import ibis

    counts = []
    for k, ends in enumerate(chains, start=1):
        n = ends.select(*ent).distinct().count()
        counts.append(ibis.literal(0).name("z").as_table().select(__lf_k=k, __lf_reach=n))
    return union_all(counts)


def levels_from_reach(frame: pd.DataFrame, k_n: int) -> pd.DataFrame:
    reach = np.zeros(k_n + 1, dtype=np.int64)
    for k, n in zip(frame["__lf_k"], frame["__lf_reach"], strict=True):
        reach[int(k) - 1] = int(n)
    n_at = reach[:-1] - reach[1:]
    levels = np.arange(1, k_n + 1)
    keep = n_at > 0
    return pd.DataFrame({LV: levels[keep], _N: n_at[keep]})


def duration_counts(per: Any, k_n: int) -> Any:
    """Per (kind, step, duration in µs): how many entities."""
    import ibis

    parts = []
    for k in range(2, k_n + 1):
        reached = per.filter(per[LV] >= k)
        gaps = reached[reach_col(k)] - reached[reach_col(k - 1)]
        parts.append(reached.select(__lf_kind=ibis.literal(1, "int8"), __lf_step=k, __lf_d=gaps))
        dur = reached[reach_col(k)] - reached[start_col(k)]
        parts.append(reached.select(__lf_kind=ibis.literal(0, "int8"), __lf_step=k, __lf_d=dur))
    if not parts:  # a one-step funnel has no durations: the same columns, no rows
        none = per.filter(ibis.literal(False))
        gap = none[reach_col(1)] - none[reach_col(1)]
        parts.append(none.select(__lf_kind=ibis.literal(0, "int8"), __lf_step=1, __lf_d=gap))
    both = union_all(parts)
    return both.group_by(["__lf_kind", "__lf_step", "__lf_d"]).aggregate(**{_N: both.count()})


def split_excluded(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, int]:
    """The rounds' counts as one frame (levels ≥ 1, and -1 for entities dropped by an
    exclusion, with their segments), and the number dropped."""
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    levels = frame[LV].to_numpy(dtype=np.int64)
    excluded = int(frame[_N].to_numpy(dtype=np.int64)[levels < 0].sum())
    return frame.reset_index(drop=True), excluded


def duration_arrays(
    frames: list[pd.DataFrame], k_n: int
) -> tuple[tuple[IntArray, ...], tuple[IntArray, ...]]:
    frame = pd.concat(frames, ignore_index=True)
    out: list[list[IntArray]] = [[], []]
    for kind in (0, 1):
        for k in range(2, k_n + 1):
            sel = frame.loc[(frame["__lf_kind"] == kind) & (frame["__lf_step"] == k)]
            values = sel["__lf_d"].to_numpy(dtype=np.int64) * 1000
            counts = sel[_N].to_numpy(dtype=np.int64)
            order = np.argsort(values, kind="stable")
            out[kind].append(np.repeat(values[order], counts[order]))
    return tuple(out[0]), tuple(out[1])
