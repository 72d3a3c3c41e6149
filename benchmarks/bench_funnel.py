"""Funnel.compute against ClickHouse windowFunnel (chdb) on a 10M-event / 2M-user log.

Run: ``python benchmarks/bench_funnel.py [--events 10_000_000] [--users 2_000_000]
[--user-dtype int|str|category]``. User ids are 64-bit integers, strings like GA4's
``user_pseudo_id`` (pandas' default ``str`` dtype, Arrow-backed; the event names are then
strings too) or a categorical of those strings. Both engines read the same in-memory
DataFrame; counts must be identical. Prints the median of 5 timings for each, their ratio,
the time of factorizing the ids and the event names against ``pd.factorize``, and the
peak extra memory of Funnel.compute (resident high-water mark, reset before the call)
against the input frame's size.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkstar_funnel.errors import DataQualityWarning
from linkstar_funnel.funnel import Funnel
from linkstar_funnel.schema import Column, validate, validate_events

STAGES = ["impression", "click", "product_view", "add_to_cart", "checkout", "payment", "order"]
NOISE = ["scroll", "search", "wishlist"]
WINDOW_S = 7 * 86_400


def make_log(
    n_events: int, n_users: int, seed: int = 20260301, user_dtype: str = "int"
) -> pd.DataFrame:
    """Users walk down the funnel (with repeats, ties at 1 s resolution and 25% noise) over
    30 days; a user's later stages tend to come hours to days after the earlier ones.
    ``user_dtype`` "str" or "category" makes the ids strings ("<id>.<first visit>", as
    GA4's ``user_pseudo_id``), as pandas' ``str`` or as a categorical."""
    rng = np.random.default_rng(seed)
    user_ids = rng.choice(10**12, size=n_users, replace=False).astype(np.int64)
    user = rng.integers(0, n_users, n_events)
    depth = np.minimum(rng.geometric(0.45, n_users) - 1, len(STAGES) - 1)  # deepest stage
    kind = np.floor(rng.random(n_events) * (depth[user] + 1)).astype(np.int64)
    noise = rng.random(n_events) < 0.25
    names = STAGES + NOISE
    code = np.where(noise, len(STAGES) + rng.integers(0, len(NOISE), n_events), kind)
    start = rng.integers(0, 30 * 86_400, n_users)
    sec = (
        start[user]
        + kind * rng.integers(0, 12 * 3_600, n_events)
        + rng.integers(0, 86_400, n_events)
    )
    ts = pd.Timestamp("2026-01-01").as_unit("s") + pd.to_timedelta(sec, unit="s")
    frame = pd.DataFrame(
        {
            "user_id": _user_column(user_ids, start, user, user_dtype),
            "ts": ts.as_unit("ns"),
            "event": pd.Categorical.from_codes(code, categories=names),
        }
    )
    return frame.sort_values("ts", kind="stable", ignore_index=True)


def _user_column(
    ids: np.ndarray, start: np.ndarray, user: np.ndarray, dtype: str
) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """Each event's user id: integers, or "<id>.<epoch second>" strings built in Arrow."""
    if dtype == "int":
        return ids[user]
    first_visit = pa.array(1_767_225_600 + start)  # 2026-01-01 + the user's start
    names = pc.binary_join_element_wise(
        pc.cast(pa.array(ids), pa.string()), pc.cast(first_visit, pa.string()), "."
    )
    if dtype == "category":
        return pd.Categorical.from_codes(user, categories=pd.Index(names.to_pylist()))
    return pd.array(pc.take(names, pa.array(user)), dtype="str")


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def run_ours(df: pd.DataFrame) -> list[int]:
    funnel = Funnel(STAGES, window="7D")
    return funnel.compute(df, user="user_id", time="ts", event="event").to_frame()["users"].tolist()


def run_chdb(df: pd.DataFrame) -> list[int]:  # noqa: ARG001 - chdb reads `df` by name
    import chdb

    conds = ", ".join(f"event = '{s}'" for s in STAGES)
    q = (
        f"SELECT level, count() AS n FROM (SELECT user_id, windowFunnel({WINDOW_S})"
        f"(toDateTime(ts), {conds}) AS level FROM Python(df) GROUP BY user_id) GROUP BY level"
    )
    res = chdb.query(q, "DataFrame")
    per_level = dict(zip(res["level"].astype(int), res["n"].astype(int), strict=True))
    return [sum(n for lv, n in per_level.items() if lv >= k) for k in range(1, len(STAGES) + 1)]


def interleaved(
    df: pd.DataFrame, repeat: int
) -> tuple[list[float], list[float], list[int], list[int]]:
    """Alternate the two engines so machine noise hits both alike."""
    ours_t, ch_t, ours, ch = [], [], [], []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        ours = run_ours(df)
        ours_t.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        ch = run_chdb(df)
        ch_t.append(time.perf_counter() - t0)
    return ours_t, ch_t, ours, ch


def validate_only(df: pd.DataFrame) -> float:
    """Time of the schema layer alone (factorizing users, reading times and event codes)."""
    t0 = time.perf_counter()
    validate_events(df, user="user_id", time="ts", event="event")
    return time.perf_counter() - t0


def factorize_times(df: pd.DataFrame, column: str, kind: str) -> tuple[float, float]:
    """Time of the schema's factorizing of one column (as a key or a category) and of
    ``pd.factorize`` on it (medians of 3)."""
    ours, theirs = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        validate(df, [Column(column, column, kind)])  # type: ignore[arg-type]
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pd.factorize(df[column])
        theirs.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(theirs)


def timed_once(df: pd.DataFrame) -> float:
    t0 = time.perf_counter()
    run_ours(df)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--user-dtype", choices=["int", "str", "category"], default="int")
    parser.add_argument(
        "--event-dtype",
        choices=["category", "str"],
        default=None,
        help="default: str with string user ids, category otherwise",
    )
    args = parser.parse_args()

    df = make_log(args.events, args.users, user_dtype=args.user_dtype)
    event_dtype = args.event_dtype or ("str" if args.user_dtype == "str" else "category")
    if event_dtype == "str":
        df["event"] = pd.array(df["event"].to_numpy(dtype=object), dtype="str")
    size_mb = df.memory_usage(deep=True).sum() / 2**20
    print(
        f"log: {len(df):,} events, {df['user_id'].nunique():,} users, "
        f"user dtype {df['user_id'].dtype}, event dtype {df['event'].dtype}, "
        f"{size_mb:,.0f} MiB in memory"
    )
    with warnings.catch_warnings():
        # Compile (or load) the kernels on a slice large enough to take the same paths (ids
        # are hashed in threads from 1M rows); its later stages may be empty, as expected.
        warnings.simplefilter("ignore", DataQualityWarning)
        run_ours(df.head(min(len(df), 1_000_000)))

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the resident high-water mark
    base = _rss_kib("VmRSS")
    t0 = time.perf_counter()
    run_ours(df)
    first = time.perf_counter() - t0
    peak_mb = (_rss_kib("VmHWM") - base) / 1024
    try:
        ours_ts, ch_ts, ours, ch = interleaved(df, args.repeat)
    except ImportError:
        print("chdb is not installed: only linkstar_funnel timed")
        ours_ts = [timed_once(df) for _ in range(args.repeat)]
        ch_ts, ours = [float("nan")], run_ours(df)
        ch = ours
    ours_t, ch_t = statistics.median(ours_ts), statistics.median(ch_ts)
    val_t = statistics.median(validate_only(df) for _ in range(3))
    user_f, user_pd = factorize_times(df, "user_id", "key")
    event_f, event_pd = factorize_times(df, "event", "category")
    print(f"counts (linkstar_funnel): {ours}")
    print(f"counts (chdb)           : {ch}")
    print(f"identical counts: {ours == ch}")
    if ours != ch and not np.isnan(ch_t):
        msg = "linkstar_funnel and chdb disagree: the timings compare nothing"
        raise SystemExit(msg)
    print(
        f"linkstar_funnel: median {ours_t:.3f} s (first call {first:.3f} s); runs "
        + ", ".join(f"{t:.2f}" for t in ours_ts)
    )
    print(
        f"  of which schema.validate: median {val_t:.3f} s; funnel engine ~{ours_t - val_t:.3f} s"
    )
    print(
        f"  factorizing user ids: {user_f:.3f} s (pd.factorize {user_pd:.3f} s); "
        f"event names: {event_f:.3f} s (pd.factorize {event_pd:.3f} s)"
    )
    print(f"chdb windowFunnel: median {ch_t:.3f} s; runs " + ", ".join(f"{t:.2f}" for t in ch_ts))
    print(f"ratio linkstar/chdb: {ours_t / ch_t:.2f}x")
    print(
        f"peak extra memory of Funnel.compute: {peak_mb:,.0f} MiB "
        f"= {peak_mb / size_mb:.2f}x the input frame"
    )


if __name__ == "__main__":
    main()
