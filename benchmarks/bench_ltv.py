"""LTV benchmarks: BG/NBD fit vs lifetimes on CDNOW; 1,000-segment cohort forecasts.

Run: ``python benchmarks/bench_ltv.py``. lifetimes (archived; old numpy/pandas pins) is
timed in the same run when importable, or through another interpreter given in
``LTV_PEER_PYTHON`` (e.g. a venv with ``lifetimes``); otherwise the peer is skipped.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from linkstar_funnel import ltv

CDNOW = Path(__file__).parents[1] / "tests" / "ltv" / "data" / "cdnow_summary.csv"
REPEATS = 5

PEER = """
import statistics, sys, time
import pandas as pd
from lifetimes import BetaGeoFitter
d = pd.read_csv(sys.argv[1])
f, r, t = d["x"].to_numpy(), d["t_x"].to_numpy(), d["T"].to_numpy()
times = []
for _ in range(int(sys.argv[2])):
    s = time.perf_counter()
    BetaGeoFitter().fit(f, r, t)
    times.append(time.perf_counter() - s)
print(statistics.median(times))
"""


def bench_bgnbd() -> None:
    data = pd.read_csv(CDNOW).rename(columns={"x": "frequency", "t_x": "recency"})
    ltv.BetaGeo().fit(data, unit="W")  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        ltv.BetaGeo().fit(data, unit="W")
        times.append(time.perf_counter() - start)
    ours = statistics.median(times)
    print(f"BG/NBD fit, CDNOW 2,357 customers: linkstar {ours * 1e3:.1f} ms (median of {REPEATS})")
    peer = _peer_time()
    if peer is None:
        print("  lifetimes: not importable here and LTV_PEER_PYTHON unset - peer skipped")
    else:
        print(f"  lifetimes {peer * 1e3:.1f} ms -> ratio {ours / peer:.2f}x (goal <= 1.0x)")


def _peer_time() -> float | None:
    try:
        import lifetimes  # noqa: F401
    except ImportError:
        python = os.environ.get("LTV_PEER_PYTHON")
        if not python:
            return None
        out = subprocess.run(
            [python, "-c", PEER, str(CDNOW), str(REPEATS)],
            capture_output=True,
            text=True,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])
    from lifetimes import BetaGeoFitter

    d = pd.read_csv(CDNOW)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        BetaGeoFitter().fit(d["x"].to_numpy(), d["t_x"].to_numpy(), d["T"].to_numpy())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def many_segments(n_segments: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Orders of ~80 customers per creative under 20 channels x 5 campaigns."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(20, 140, n_segments)
    seg = np.repeat(np.arange(n_segments), sizes)
    n = len(seg)
    first = rng.integers(0, 300, n)
    k = 1 + rng.poisson(2.0, n)
    cust = np.repeat(np.arange(n), k)
    offs = np.concatenate([np.r_[0, np.sort(rng.exponential(90.0, m - 1)).astype(int)] for m in k])
    day = first[cust] + offs
    s = seg[cust]
    return pd.DataFrame(
        {
            "customer_id": cust,
            "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
            "revenue": rng.gamma(2.0, 20.0 * (1 + s % 3), len(cust)),
            "channel": [f"ch{v // 50}" for v in s],
            "campaign": [f"cp{v // 10}" for v in s],
            "creative": [f"cr{v}" for v in s],
        }
    )


def bench_segments(n_jobs: int = 2) -> None:
    orders = many_segments()
    model = ltv.CohortLTV(horizon="365D", n_jobs=n_jobs)
    start = time.perf_counter()
    fit = model.fit(orders, by=["channel", "campaign", "creative"], observation_end="2024-12-01")
    frame = fit.predict().to_frame()
    elapsed = time.perf_counter() - start
    n_seg = frame["creative"].nunique()
    notes = "; ".join(fit.provenance.notes[1:])
    print(
        f"Cohort forecasts: {n_seg:,} segments, {fit.customers.size:,} customers, "
        f"{len(frame):,} curve points in {elapsed:.1f} s on {n_jobs} workers (goal <= 60 s)"
    )
    print(f"  {notes}")


if __name__ == "__main__":
    bench_bgnbd()
    bench_segments(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
