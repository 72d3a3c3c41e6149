"""Attribution at scale, against ChannelAttribution in the same run.

1M paths over 10 channels (geometric lengths, mean ~3.3 touches), with conversions, value
and non-converting counts. Timed end to end from the same DataFrame:

* all six rule-based models (parsing included) vs ChannelAttribution's ``heuristic_models``
  (first, last, linear): target ratio ≤ 0.5;
* exact Markov (parsing included) vs ChannelAttribution's ``markov_model`` (simulation,
  default settings): target ratio ≤ 1.0.

Median of several runs. ChannelAttribution is optional: without it only our times print.
Run with an environment holding both, e.g.::

    /tmp/attr-venv/bin/python benchmarks/bench_attribution.py [--paths 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

import linkstar_funnel.attribution as la

RULES = [
    la.FirstTouch(),
    la.LastTouch(),
    la.LastNonDirect(),
    la.Linear(),
    la.PositionBased(),
    la.TimeDecay(),
]


def make_paths(n: int, n_channels: int, seed: int = 0) -> pd.DataFrame:
    """``n`` random paths over ``n_channels`` channels, with conversions, value, nulls."""
    rng = np.random.default_rng(seed)
    names = np.array([f"channel {i}" for i in range(n_channels)])
    lengths = np.minimum(rng.geometric(0.3, n), 20)
    tokens = names[rng.integers(0, n_channels, lengths.sum())]
    ends = np.cumsum(lengths)
    paths = [
        " > ".join(tokens[e - k : e]) for e, k in zip(ends.tolist(), lengths.tolist(), strict=True)
    ]
    conv = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "path": paths,
            "total_conversions": conv,
            "total_conversion_value": np.round(conv * rng.gamma(2.0, 20.0, n), 2),
            "total_null": rng.integers(0, 5, n),
        }
    )


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def journeys(df: pd.DataFrame) -> la.Journeys:
    return la.Journeys.from_paths(
        df, conversions="total_conversions", value="total_conversion_value", null="total_null"
    )


def ours_rules(df: pd.DataFrame) -> None:
    j = journeys(df)
    for model in RULES:
        model.attribute(j)


def ours_markov(df: pd.DataFrame) -> None:
    la.Markov().attribute(journeys(df))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markov-runs", type=int, default=3)
    args = parser.parse_args()

    df = make_paths(args.paths, args.channels)
    print(f"{len(df):,} paths, {df['path'].nunique():,} distinct, {args.channels} channels")
    journeys(df)  # warm up lazy imports (pyarrow.compute, scipy.sparse)
    t_parse = median_time(lambda: journeys(df), args.runs)
    print(f"linkstar parse (from_paths):          {t_parse:8.3f} s")
    try:
        import ChannelAttribution as ca  # type: ignore[import-not-found]
    except ImportError:
        print(
            f"linkstar 6 rule-based models + parse: {median_time(lambda: ours_rules(df), args.runs):8.3f} s"
        )
        print(
            f"linkstar exact Markov + parse:        {median_time(lambda: ours_markov(df), args.runs):8.3f} s"
        )
        print(
            "ChannelAttribution not installed: peer timings skipped (pip install channelattribution)"
        )
        return

    def peer_heuristic() -> pd.DataFrame:
        with contextlib.redirect_stdout(io.StringIO()):
            return ca.heuristic_models(
                df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
            )

    def peer_markov() -> object:
        with contextlib.redirect_stdout(io.StringIO()):
            return ca.markov_model(
                df,
                "path",
                "total_conversions",
                var_value="total_conversion_value",
                var_null="total_null",
                flg_pro=False,
                verbose=False,
            )

    # Interleaved runs, so both sides see the same machine load; medians of each.
    for label, ours, peer, runs, target in [
        ("6 rule-based models + parse", lambda: ours_rules(df), peer_heuristic, args.runs, 0.5),
        ("exact Markov + parse", lambda: ours_markov(df), peer_markov, args.markov_runs, 1.0),
    ]:
        mine, theirs = [], []
        for _ in range(runs):
            mine.append(median_time(ours, 1))
            theirs.append(median_time(peer, 1))
        m, t = statistics.median(mine), statistics.median(theirs)
        ratios = [a / b for a, b in zip(mine, theirs, strict=True)]
        print(
            f"{label:30s} linkstar {m:7.3f} s | ChannelAttribution {t:7.3f} s | "
            f"ratio {m / t:.3f} (median per-run {statistics.median(ratios):.3f}; target <= {target})"
        )

    # Same numbers: heuristics exactly, Markov within the simulation's error.
    h = peer_heuristic().set_index("channel_name")  # type: ignore[attr-defined]
    j = journeys(df)
    worst = max(
        float(
            np.max(
                np.abs(model.attribute(j).credit().reindex(h.index).to_numpy() - h[col].to_numpy())
            )
        )
        for model, col in [
            (la.FirstTouch(), "first_touch_conversions"),
            (la.LastTouch(), "last_touch_conversions"),
            (la.Linear(), "linear_touch_conversions"),
        ]
    )
    print(f"max |difference| heuristics:          {worst:.3g} conversions")


if __name__ == "__main__":
    main()
