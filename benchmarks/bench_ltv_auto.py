"""AutoLTV against its candidates on Online Retail: holdout APE per cohort, and ranking.

Run: ``python benchmarks/bench_ltv_auto.py [--no-prophet]``. Calibrate on orders before
2011-06-30, forecast to 2011-12-09 (the end of the bundled log), and score each model on
the same customers with :func:`linkstar_funnel.ltv.backtest`: aggregate holdout APE,
APE per monthly cohort of more than 250 customers, and the normalized Gini of the
per-customer forecasts (1 is a perfect ranking, 0 chance). The issue's goals are printed
next to the figures, met or not.
"""

from __future__ import annotations

import sys
import time
import warnings

import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel import ltv

CUT = "2011-06-30"
END = "2011-12-09"
HORIZON = "200D"  # covers the 162-day holdout
MIN_COHORT = 250


def run(*, use_prophet: bool) -> None:
    orders = lf.datasets.online_retail_orders()
    models: dict[str, ltv.LTVModel] = {
        "cohort curves": ltv.CohortLTV(horizon=HORIZON, use_prophet=use_prophet),
        "BG/NBD + GG": ltv.ProbabilisticLTV(),
        "AutoLTV": ltv.AutoLTV(horizon=HORIZON, use_prophet=use_prophet),
    }
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.ConvergenceWarning)
        res = ltv.backtest(models, orders, cutoff=CUT, end=END)
        auto = models["AutoLTV"].fit_orders(orders, observation_end=CUT)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - start
    tail = "prophet" if use_prophet else "power-law tail"
    print(f"Online Retail, calibrate < {CUT}, forecast to {END} (cohort curves: {tail})")
    metrics = res.metrics.set_index("model")
    for name in models:
        m = metrics.loc[name]
        print(
            f"  {name:14s} aggregate APE {m['ape']:6.1%}   mean cohort APE "
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


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    run(use_prophet="--no-prophet" not in sys.argv[1:])
