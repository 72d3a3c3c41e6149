"""Retention.compute against the equivalent ClickHouse SQL (chdb) on a 10M-event / 2M-user log.

Run: ``python benchmarks/bench_retention.py [--events 10_000_000] [--users 2_000_000]
[--duckdb]``. Both engines read the same in-memory DataFrame: weekly retention of ``order``
to ``order`` (ISO weeks in UTC), cohorts of the first order, classic returns, 12 weeks. The
counts must be identical. Prints the median of 5 timings for each (interleaved), and their
ratio. ``--duckdb`` also times ``Retention.compute`` compiled to SQL on a DuckDB table
holding the same log (the engine path; the table is loaded once, outside the timings).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np
import pandas as pd

from linkstar_funnel.retention import Retention

EVENTS = ["visit", "product_view", "add_to_cart", "order"]
PERIODS = 12


def make_log(n_events: int, n_users: int, seed: int = 20260301) -> pd.DataFrame:
    """Users arrive over 16 weeks and stay active for a geometric number of weeks; a third
    of the events are orders; times at 1 s resolution (ties), rows in time order."""
    rng = np.random.default_rng(seed)
    user_ids = rng.choice(10**12, size=n_users, replace=False).astype(np.int64)
    user = rng.integers(0, n_users, n_events)
    arrive = rng.integers(0, 16 * 7 * 86_400, n_users)
    life = rng.geometric(0.25, n_users) * 7 * 86_400  # weeks of activity
    sec = arrive[user] + (rng.random(n_events) * life[user]).astype(np.int64)
    code = np.where(rng.random(n_events) < 1 / 3, 3, rng.integers(0, 3, n_events))
    ts = pd.Timestamp("2026-01-01").as_unit("s") + pd.to_timedelta(sec, unit="s")
    frame = pd.DataFrame(
        {
            "user_id": user_ids[user],
            "ts": ts.as_unit("ns"),
            "event": pd.Categorical.from_codes(code, categories=EVENTS),
        }
    )
    return frame.sort_values("ts", kind="stable", ignore_index=True)


def run_ours(df: pd.DataFrame | object) -> dict[tuple[pd.Timestamp, int], int]:
    spec = Retention("order", period="W", periods=PERIODS, tz="UTC")
    f = spec.compute(df, user="user_id", time="ts", event="event").to_frame()
    f = f[f["retained"] > 0]
    return dict(
        zip(
            zip(f["cohort"], f["period"].astype(int), strict=True),
            f["retained"].astype(int),
            strict=True,
        )
    )


def run_sql(table: object) -> dict[tuple[pd.Timestamp, int], int]:
    """The same spec on the SQL engine (a DuckDB table through Ibis)."""
    return run_ours(table)  # type: ignore[arg-type]


def run_chdb(df: pd.DataFrame) -> dict[tuple[pd.Timestamp, int], int]:  # noqa: ARG001 - chdb reads `df` by name
    import chdb

    q = f"""
    WITH ev AS (
        SELECT user_id, toMonday(ts, 'UTC') AS w FROM Python(df) WHERE event = 'order'
    ),
    firsts AS (SELECT user_id, min(w) AS c FROM ev GROUP BY user_id),
    rets AS (SELECT DISTINCT user_id, w FROM ev)
    SELECT f.c AS cohort, intDiv(dateDiff('day', f.c, r.w), 7) AS n, count() AS retained
    FROM rets AS r INNER JOIN firsts AS f USING (user_id)
    WHERE n BETWEEN 0 AND {PERIODS}
    GROUP BY cohort, n
    """
    res = chdb.query(q, "DataFrame")
    cohorts = pd.to_datetime(res["cohort"]).dt.tz_localize(None).astype("datetime64[ns]")
    return dict(
        zip(
            zip(cohorts, res["n"].astype(int), strict=True),
            res["retained"].astype(int),
            strict=True,
        )
    )


def interleaved(df: pd.DataFrame, repeat: int) -> tuple[list[float], list[float], dict, dict]:  # type: ignore[type-arg]
    """Alternate the two engines so machine noise hits both alike."""
    ours_t: list[float] = []
    ch_t: list[float] = []
    ours: dict = {}  # type: ignore[type-arg]
    ch: dict = {}  # type: ignore[type-arg]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--duckdb", action="store_true", help="time the SQL engine too")
    args = parser.parse_args()

    df = make_log(args.events, args.users)
    size_mb = df.memory_usage(deep=True).sum() / 2**20
    print(
        f"log: {len(df):,} events, {df['user_id'].nunique():,} users, "
        f"{int((df['event'] == 'order').sum()):,} orders, {size_mb:,.0f} MiB in memory"
    )
    run_ours(df.head(100_000))  # warm up (imports, first calls)
    try:
        ours_ts, ch_ts, ours, ch = interleaved(df, args.repeat)
    except ImportError:
        print("chdb is not installed: only linkstar_funnel timed")
        ours_ts = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            ours = run_ours(df)
            ours_ts.append(time.perf_counter() - t0)
        ch_ts, ch = [float("nan")], ours
    ours_t, ch_t = statistics.median(ours_ts), statistics.median(ch_ts)
    print(f"cells: {len(ours):,} (linkstar_funnel), {len(ch):,} (chdb)")
    print(f"identical counts: {ours == ch}")
    print(f"linkstar_funnel: median {ours_t:.3f} s; runs " + ", ".join(f"{t:.2f}" for t in ours_ts))
    print(f"chdb SQL       : median {ch_t:.3f} s; runs " + ", ".join(f"{t:.2f}" for t in ch_ts))
    print(f"ratio linkstar/chdb: {ours_t / ch_t:.2f}x")
    if args.duckdb:
        import ibis

        table = ibis.duckdb.connect().create_table("events", ibis.memtable(df))
        sql = run_sql(table)  # warm up
        sql_ts = []
        for _ in range(args.repeat):
            gc.collect()
            t0 = time.perf_counter()
            sql = run_sql(table)
            sql_ts.append(time.perf_counter() - t0)
        sql_t = statistics.median(sql_ts)
        print(f"identical counts (DuckDB engine): {sql == ours}")
        print(
            f"DuckDB engine  : median {sql_t:.3f} s; runs " + ", ".join(f"{t:.2f}" for t in sql_ts)
        )
        print(f"ratio DuckDB engine/chdb: {sql_t / ch_t:.2f}x; /in memory: {sql_t / ours_t:.2f}x")


if __name__ == "__main__":
    main()
