"""Benchmark: additive LMDI-I over 1M segments x 3 drivers (target: <= 1 s).

Run with ``python benchmarks/bench_kpi.py``. It times ``KPITree.decompose`` on
``gmv = traffic * cvr * aov`` with one million segments, given as arrays (a mapping), as
two frames matched by position and as two frames matched on a segment key, against a peer measured in the same run: the
straightforward per-row Python loop an analyst would write (the logarithmic mean and
three log-ratios per segment, summed). Each timing is the median of 5 runs; the peer's
result is checked against the library's before the ratio is printed.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from linkstar_funnel.kpi import KPITree

N_SEGMENTS = 1_000_000
REPEATS = 5
TARGET_SECONDS = 1.0


def make_data(n: int, seed: int = 20240501) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    before = {
        "traffic": rng.integers(50, 50_000, n).astype(np.float64),
        "cvr": rng.uniform(0.005, 0.08, n),
        "aov": rng.uniform(10.0, 200.0, n),
    }
    after = {k: v * rng.uniform(0.7, 1.4, n) for k, v in before.items()}
    return before, after


def peer_per_row(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> list[float]:
    """The obvious loop: one segment at a time, in plain Python."""
    names = ("traffic", "cvr", "aov")
    b = [before[k].tolist() for k in names]
    a = [after[k].tolist() for k in names]
    out = [0.0, 0.0, 0.0]
    for t0, c0, o0, t1, c1, o1 in zip(*b, *a, strict=True):
        v0, v1 = t0 * c0 * o0, t1 * c1 * o1
        w = v0 if v0 == v1 else (v1 - v0) / (math.log(v1) - math.log(v0))
        out[0] += w * math.log(t1 / t0)
        out[1] += w * math.log(c1 / c0)
        out[2] += w * math.log(o1 / o0)
    return out


def median_time(fn: Callable[[], object]) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    tree = KPITree.from_formula("gmv = traffic * cvr * aov")
    before, after = make_data(N_SEGMENTS)
    frame0, frame1 = pd.DataFrame(before), pd.DataFrame(after)
    ids = np.arange(N_SEGMENTS)
    keyed0 = frame0.assign(segment=ids)
    keyed1 = frame1.assign(segment=ids[::-1]).iloc[::-1]  # same segments, other row order

    t_arrays, d = median_time(lambda: tree.decompose(before, after, method="lmdi"))
    t_frames, _ = median_time(lambda: tree.decompose(frame0, frame1, method="lmdi"))
    t_keyed, _ = median_time(lambda: tree.decompose(keyed0, keyed1, method="lmdi", by="segment"))
    t_peer, peer = median_time(lambda: peer_per_row(before, after))

    got = list(d.contributions.values())  # type: ignore[attr-defined]
    assert np.allclose(got, peer, rtol=1e-9), (got, peer)  # type: ignore[arg-type]
    print(f"LMDI-I, {N_SEGMENTS:,} segments x 3 drivers, median of {REPEATS}:")
    print(f"  linkstar_funnel (arrays)        {t_arrays:8.3f} s")
    print(f"  linkstar_funnel (two frames)    {t_frames:8.3f} s")
    print(f"  linkstar_funnel (keyed frames)  {t_keyed:8.3f} s  (rows matched on a key)")
    print(f"  peer: per-row Python loop       {t_peer:8.3f} s")
    print(f"  speed-up vs peer (arrays)       {t_peer / t_arrays:8.1f}x")
    print(f"  speed-up vs peer (frames)       {t_peer / t_frames:8.1f}x")
    verdict = "OK" if max(t_arrays, t_frames, t_keyed) <= TARGET_SECONDS else "SLOWER THAN TARGET"
    print(f"  target <= {TARGET_SECONDS:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
