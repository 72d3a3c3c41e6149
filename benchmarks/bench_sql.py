"""The SQL engine (Ibis on DuckDB, memory limited to 4 GB) against ClickHouse windowFunnel
(chdb) on the same Parquet file.

Also times the same funnel on PySpark (local mode, ``--spark-cores``) reading the file, when
PySpark and Java are installed.

Run: ``python benchmarks/bench_sql.py [--events 10_000_000] [--users 2_000_000]``
(the issue's scale: ``--events 100_000_000 --users 20_000_000``). The event log (the
same generator as ``bench_funnel.py``: 7 stages, repeats, 1 s ties, 25% noise) is written
in chunks to a Parquet file in a temporary directory (or ``--dir``), never committed and
deleted afterwards unless ``--keep``. Counts must be identical; prints each engine's time
(median of ``--repeat`` runs) and the ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from linkstar_funnel.funnel import Funnel
from linkstar_funnel.sql import sql_table

_spec = importlib.util.spec_from_file_location(
    "bench_funnel", Path(__file__).with_name("bench_funnel.py")
)
assert _spec is not None
assert _spec.loader is not None
bench_funnel = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_funnel)
STAGES, WINDOW_S = bench_funnel.STAGES, bench_funnel.WINDOW_S

CHUNK_EVENTS = 10_000_000


def write_log(path: Path, n_events: int, n_users: int, seed: int = 20260301) -> None:
    """Write the log in chunks of 10M events (each chunk its own users) to one file."""
    n_chunks = max(1, -(-n_events // CHUNK_EVENTS))
    writer = None
    try:
        for i in range(n_chunks):
            ev = min(CHUNK_EVENTS, n_events - i * CHUNK_EVENTS)
            users = max(1, n_users * ev // n_events)
            frame = bench_funnel.make_log(ev, users, seed=seed + i)
            frame["event"] = frame["event"].astype(str)
            # Chunks get disjoint id ranges; ids stay unique across the file.
            frame["user_id"] = frame["user_id"] % 10**11 + np.int64(i) * 10**11
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                # Microsecond times: Spark reads no nanosecond Parquet timestamps.
                writer = pq.ParquetWriter(path, table.schema, coerce_timestamps="us")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def run_sql(path: Path, memory_limit: str, threads: int | None) -> tuple[list[int], float]:
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit='{memory_limit}'")
    if threads:
        con.raw_sql(f"SET threads={threads}")
    t0 = time.perf_counter()
    result = Funnel(STAGES, window=f"{WINDOW_S}s").compute(
        sql_table(path, con=con), user="user_id", time="ts"
    )
    elapsed = time.perf_counter() - t0
    return result.to_frame()["users"].tolist(), elapsed


def run_chdb(path: Path) -> tuple[list[int], float]:
    import chdb

    conds = ", ".join(f"event = '{s}'" for s in STAGES)
    query = (
        f"SELECT level, count() AS n FROM (SELECT user_id, windowFunnel({WINDOW_S})"
        f"(toDateTime(ts), {conds}) AS level FROM file('{path}', Parquet) GROUP BY user_id) "
        "GROUP BY level"
    )
    t0 = time.perf_counter()
    res = chdb.query(query, "DataFrame")
    elapsed = time.perf_counter() - t0
    per = dict(zip(res["level"].astype(int), res["n"].astype(int), strict=True))
    counts = [sum(v for lv, v in per.items() if lv >= k) for k in range(1, len(STAGES) + 1)]
    return counts, elapsed


def spark_session(cores: int) -> object | None:
    """A local Spark session (UI off, UTC), or None without PySpark or Java 17+."""
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        return None
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("linkstar-funnel-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "4g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def run_spark(session: object, path: Path) -> tuple[list[int], float]:
    """The same funnel on a Spark DataFrame read from the Parquet file (Spark computes)."""
    frame = session.read.parquet(str(path))  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    result = Funnel(STAGES, window=f"{WINDOW_S}s").compute(frame, user="user_id", time="ts")
    elapsed = time.perf_counter() - t0
    return result.to_frame()["users"].tolist(), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--spark-cores", type=int, default=2, help="local Spark cores (0: skip PySpark)"
    )
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(dir=args.dir)
    try:
        path = Path(tmp) / "events.parquet"
        t0 = time.perf_counter()
        write_log(path, args.events, args.users)
        size = path.stat().st_size / 2**20
        print(f"wrote {args.events:,} events to {path} ({size:,.0f} MiB) in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        sql_times, chdb_times = [], []
        ours = theirs = None
        for _ in range(args.repeat):
            ours, t_sql = run_sql(path, args.memory_limit, args.threads)
            sql_times.append(t_sql)
            try:
                theirs, t_ch = run_chdb(path)
            except ImportError:
                theirs = None
                continue
            chdb_times.append(t_ch)
        t_sql = statistics.median(sql_times)
        print(f"counts (SQL engine, DuckDB, memory_limit={args.memory_limit}): {ours}")
        print(f"time   (SQL engine): {t_sql:.2f} s  (runs: "
              + ", ".join(f"{t:.2f}" for t in sql_times) + ")")  # fmt: skip
        report_spark(path, args.spark_cores, args.repeat, ours)
        if theirs is None:
            print("chdb is not installed: only the SQL engine timed")
            return
        t_ch = statistics.median(chdb_times)
        print(f"counts (chdb windowFunnel):  {theirs}")
        print(f"time   (chdb):       {t_ch:.2f} s  (runs: "
              + ", ".join(f"{t:.2f}" for t in chdb_times) + ")")  # fmt: skip
        print(f"counts identical: {ours == theirs}; time ratio SQL engine / chdb: "
              f"{t_sql / t_ch:.2f}; per run: "
              + ", ".join(f"{a / b:.2f}" for a, b in zip(sql_times, chdb_times, strict=True)))  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def report_spark(path: Path, cores: int, repeat: int, expected: list[int] | None) -> None:
    """Time the funnel on PySpark (local mode), when PySpark and Java are present."""
    if cores <= 0:
        return
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PySpark's own deprecation notes
        session = spark_session(cores)
        if session is None:
            print("PySpark or Java is not installed: Spark not timed")
            return
        started = time.perf_counter() - t0
        try:
            runs = [run_spark(session, path) for _ in range(repeat)]
        finally:
            session.stop()  # type: ignore[attr-defined]
    times = [t for _, t in runs]
    print(f"counts (SQL engine, PySpark local[{cores}]): {runs[-1][0]}; equal to DuckDB's: "
          f"{runs[-1][0] == expected}")  # fmt: skip
    print(f"time   (PySpark): {statistics.median(times):.2f} s  (runs: "
          + ", ".join(f"{t:.2f}" for t in times) + f"; session start {started:.1f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
