"""AutoLTV against its candidates on Online Retail and CDNOW: holdout APE per cohort, ranking.

Run: ``python benchmarks/bench_ltv_auto.py [--no-prophet] [--segments]`` (``--segments``
also times AutoLTV against CohortLTV on 1,000 segments, on 2 workers). Online Retail: calibrate on
orders before 2011-06-30, forecast to 2011-12-09 (the end of the bundled log). CDNOW (the
1/10 sample in tests/ltv/data, the classic log): calibrate on the 39 weeks before
1997-10-01, forecast to 1998-07-01. Score each model on
the same customers with :func:`linkstar_funnel.ltv.backtest`: aggregate holdout APE,
APE per monthly cohort of more than 250 customers, and the normalized Gini of the
per-customer forecasts (1 is a perfect ranking, 0 chance). The issue's goals are printed
next to the figures, met or not.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel import ltv

CDNOW = Path(__file__).parents[1] / "tests" / "ltv" / "data" / "cdnow_sample_transactions.txt"
MIN_COHORT = 250


def cdnow_orders() -> pd.DataFrame:
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "units", "revenue"],
        dtype={"date": str},
    )
    raw["timestamp"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw[["customer_id", "timestamp", "revenue"]]


def run(orders: pd.DataFrame, name: str, cut: str, end: str, *, use_prophet: bool) -> None:
    # the cohort horizon covers the holdout
    horizon = f"{(pd.Timestamp(end) - pd.Timestamp(cut)).days + 30}D"
    models: dict[str, ltv.LTVModel] = {
        "cohort curves": ltv.CohortLTV(horizon=horizon, use_prophet=use_prophet),
        "BG/NBD + GG": ltv.ProbabilisticLTV(),
        "AutoLTV": ltv.AutoLTV(horizon=horizon, use_prophet=use_prophet),
    }
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.ConvergenceWarning)
        res = ltv.backtest(models, orders, cutoff=cut, end=end)
        auto = models["AutoLTV"].fit_orders(orders, observation_end=cut)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    tail = "prophet" if use_prophet else "power-law tail"
    print(f"{name}, calibrate < {cut}, forecast to {end} (cohort curves: {tail})")
    metrics = res.metrics.set_index("model")
    for label in models:
        m = metrics.loc[label]
        print(
            f"  {label:14s} aggregate APE {m['ape']:6.1%}   mean cohort APE "
            f"{m['mean_cohort_ape']:6.1%}   normalized Gini {m['gini']:.3f}"
        )
    table = res.cohorts.pivot_table(index="cohort", columns="model", values="ape")
    sizes = res.cohorts.groupby("cohort")["customers"].first()
    big = table[sizes.reindex(table.index) > MIN_COHORT]
    print(f"  APE per cohort of more than {MIN_COHORT} customers:")
    print(big[list(models)].map(lambda v: f"{v:.1%}").to_string().replace("\n", "\n    "))
    better = big[["cohort curves", "BG/NBD + GG"]].min(axis=1)
    worse = int((big["AutoLTV"] > better + 1e-12).sum())
    print(
        "  AutoLTV chose:",
        "; ".join(f"{r['model']} ({r['reason']})" for _, r in auto.winners.iterrows()),
    )
    print(
        f"  goals: aggregate APE <= 15%: {metrics.loc['AutoLTV', 'ape']:.1%}; "
        f"cohorts worse than the better classic: {worse} of {len(big)} (goal 0); "
        f"Gini {metrics.loc['AutoLTV', 'gini']:.3f} vs BG/NBD "
        f"{metrics.loc['BG/NBD + GG', 'gini']:.3f} (goal >=)"
    )
    print(f"  (all fits and scoring: {elapsed:.1f} s)")


def bench_segments(n_jobs: int = 2) -> None:
    """AutoLTV vs CohortLTV on bench_ltv's 1,000 creatives (goal: at most 2x the time)."""
    from bench_ltv import many_segments

    orders = many_segments()
    by = ["channel", "campaign", "creative"]
    times = {}
    for label, model in (
        ("CohortLTV", ltv.CohortLTV(horizon="365D", n_jobs=n_jobs)),
        ("AutoLTV", ltv.AutoLTV(horizon="365D", n_jobs=n_jobs)),
    ):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lf.ConvergenceWarning)
            model.fit(orders, by=by, observation_end="2024-12-01")
        times[label] = time.perf_counter() - start
    ratio = times["AutoLTV"] / times["CohortLTV"]
    print(
        f"1,000 segments on {n_jobs} workers: CohortLTV {times['CohortLTV']:.1f} s, AutoLTV "
        f"{times['AutoLTV']:.1f} s -> {ratio:.2f}x (goal <= 2x)"
    )


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    prophet = "--no-prophet" not in sys.argv[1:]
    run(
        lf.datasets.online_retail_orders(),
        "Online Retail",
        "2011-06-30",
        "2011-12-09",
        use_prophet=prophet,
    )
    run(cdnow_orders(), "CDNOW sample", "1997-10-01", "1998-07-01", use_prophet=prophet)
    if "--segments" in sys.argv[1:]:
        bench_segments()
