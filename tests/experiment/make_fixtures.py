"""Generate the gbstats and statsmodels fixtures of the experiment tests (not collected).

Run it in the peers' own virtual environment, which pins gbstats' old pandas::

    python3 -m venv .venv-gbstats
    .venv-gbstats/bin/pip install gbstats statsmodels
    .venv-gbstats/bin/python tests/experiment/make_fixtures.py

Inputs are drawn from a seeded numpy Generator over wide ranges (log-uniform sizes from 2
to a million, rates from 1e-4 to 0.9, skewed revenue with many zeros, covariates of every
correlation, several alphas and tuning parameters), the way hypothesis would draw them,
then the peers' outputs are written to ``fixtures/*.json`` with their versions. The tests
compare the library with these files to 1e-6 without needing the peers installed.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent / "fixtures"
RNG = np.random.default_rng(20261207)


def _log_int(low: float, high: float) -> int:
    return round(math.exp(RNG.uniform(math.log(low), math.log(high))))


def _alpha() -> float:
    return float(RNG.choice([0.01, 0.05, 0.1, 0.2]))


def _values(n: int) -> np.ndarray:
    """Skewed per-user revenue with many zeros."""
    buy = RNG.random(n) < RNG.uniform(0.05, 0.9)
    return np.where(buy, RNG.lognormal(RNG.uniform(1, 4), RNG.uniform(0.2, 1.5), n), 0.0)


def _gb_results(stat_a, stat_b, alpha: float, tuning: float) -> dict:
    from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
    from gbstats.frequentist.tests import (
        FrequentistConfig,
        SequentialConfig,
        SequentialTwoSidedTTest,
        TwoSidedTTest,
    )

    out: dict = {}
    for kind in ("relative", "absolute"):
        f = TwoSidedTTest(
            stat_a, stat_b, FrequentistConfig(alpha=alpha, difference_type=kind)
        ).compute_result()
        s = SequentialTwoSidedTTest(
            stat_a,
            stat_b,
            SequentialConfig(alpha=alpha, difference_type=kind, sequential_tuning_parameter=tuning),
        ).compute_result()
        b = EffectBayesianABTest(
            stat_a, stat_b, EffectBayesianConfig(alpha=alpha, difference_type=kind)
        ).compute_result()
        out[kind] = {
            "frequentist": {
                "lift": f.expected,
                "ci": list(f.ci),
                "p_value": f.p_value,
                "error": f.error_message,
            },
            "sequential": {
                "lift": s.expected,
                "ci": list(s.ci),
                "p_value": s.p_value,
                "error": s.error_message,
            },
            "bayesian": {
                "lift": b.expected,
                "ci": list(b.ci),
                "chance_to_win": b.chance_to_win,
                "risk": list(b.risk),
                "error": b.error_message,
            },
        }
    return out


def rates(count: int) -> list[dict]:
    from gbstats.models.statistics import ProportionStatistic

    cases = []
    for _ in range(count):
        n_a, n_b = _log_int(20, 1e6), _log_int(20, 1e6)
        p = math.exp(RNG.uniform(math.log(1e-3), math.log(0.9)))
        lift = RNG.uniform(-0.3, 0.3)
        x_a = int(RNG.binomial(n_a, p))
        x_b = int(RNG.binomial(n_b, min(p * (1 + lift), 1.0)))
        if x_a in (0, n_a) or x_b in (0, n_b):
            continue
        alpha, tuning = _alpha(), float(RNG.choice([500, 5000, 50000]))
        a = ProportionStatistic(n=n_a, sum=x_a)
        b = ProportionStatistic(n=n_b, sum=x_b)
        cases.append(
            {
                "input": {"n": [n_a, n_b], "x": [x_a, x_b], "alpha": alpha, "tuning": tuning},
                "gbstats": _gb_results(a, b, alpha, tuning),
            }
        )
    return cases


def means(count: int) -> list[dict]:
    from gbstats.models.statistics import SampleMeanStatistic

    cases = []
    for _ in range(count):
        arms = []
        for _ in range(2):
            v = _values(_log_int(5, 3000))
            arms.append([len(v), float(v.sum()), float((v * v).sum())])
        if any(s == 0 for _, s, _ in arms):
            continue
        alpha, tuning = _alpha(), float(RNG.choice([500, 5000, 50000]))
        a, b = (SampleMeanStatistic(n=n, sum=s, sum_squares=ss) for n, s, ss in arms)
        cases.append(
            {
                "input": {"arms": arms, "alpha": alpha, "tuning": tuning},
                "gbstats": _gb_results(a, b, alpha, tuning),
            }
        )
    return cases


def ratios(count: int) -> list[dict]:
    from gbstats.models.statistics import RatioStatistic, SampleMeanStatistic

    cases = []
    for _ in range(count):
        arms = []
        for _ in range(2):
            n = _log_int(5, 3000)
            orders = RNG.poisson(RNG.uniform(0.2, 3.0), n).astype(float)
            revenue = orders * RNG.lognormal(3.5, 0.6, n)
            arms.append(
                [
                    n,
                    float(revenue.sum()),
                    float((revenue**2).sum()),
                    float(orders.sum()),
                    float((orders**2).sum()),
                    float((revenue * orders).sum()),
                ]
            )
        if any(a[3] == 0 or a[1] == 0 for a in arms):
            continue
        alpha, tuning = _alpha(), float(RNG.choice([500, 5000, 50000]))
        a, b = (
            RatioStatistic(
                n=n,
                m_statistic=SampleMeanStatistic(n=n, sum=m, sum_squares=mm),
                d_statistic=SampleMeanStatistic(n=n, sum=d, sum_squares=dd),
                m_d_sum_of_products=md,
            )
            for n, m, mm, d, dd, md in arms
        )
        cases.append(
            {
                "input": {"arms": arms, "alpha": alpha, "tuning": tuning},
                "gbstats": _gb_results(a, b, alpha, tuning),
            }
        )
    return cases


def cuped(count: int) -> list[dict]:
    from gbstats.models.statistics import RegressionAdjustedStatistic, SampleMeanStatistic

    cases = []
    for _ in range(count):
        rho = RNG.uniform(-0.2, 0.95)
        arms = []
        for _ in range(2):
            n = _log_int(5, 3000)
            pre = _values(n)
            noise = _values(n)
            post = np.abs(rho * pre + math.sqrt(1 - rho**2) * noise)
            arms.append(
                [
                    n,
                    float(post.sum()),
                    float((post**2).sum()),
                    float(pre.sum()),
                    float((pre**2).sum()),
                    float((post * pre).sum()),
                ]
            )
        if any(a[1] == 0 for a in arms):
            continue
        alpha, tuning = _alpha(), float(RNG.choice([500, 5000, 50000]))

        def stat(n, s, ss, x, xx, sx):
            return RegressionAdjustedStatistic(
                n=n,
                post_statistic=SampleMeanStatistic(n=n, sum=s, sum_squares=ss),
                pre_statistic=SampleMeanStatistic(n=n, sum=x, sum_squares=xx),
                post_pre_sum_of_products=sx,
                theta=0,
            )

        # gbstats sets theta on the statistics it is given: fresh ones for each test.
        results = {}
        for kind in ("relative", "absolute"):
            from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig
            from gbstats.frequentist.tests import (
                FrequentistConfig,
                SequentialConfig,
                SequentialTwoSidedTTest,
                TwoSidedTTest,
            )

            f = TwoSidedTTest(
                stat(*arms[0]), stat(*arms[1]), FrequentistConfig(alpha=alpha, difference_type=kind)
            ).compute_result()
            s = SequentialTwoSidedTTest(
                stat(*arms[0]),
                stat(*arms[1]),
                SequentialConfig(
                    alpha=alpha, difference_type=kind, sequential_tuning_parameter=tuning
                ),
            ).compute_result()
            a, b = stat(*arms[0]), stat(*arms[1])
            bt = EffectBayesianABTest(a, b, EffectBayesianConfig(alpha=alpha, difference_type=kind))
            br = bt.compute_result()
            results[kind] = {
                "frequentist": {
                    "lift": f.expected,
                    "ci": list(f.ci),
                    "p_value": f.p_value,
                    "error": f.error_message,
                },
                "sequential": {
                    "lift": s.expected,
                    "ci": list(s.ci),
                    "p_value": s.p_value,
                    "error": s.error_message,
                },
                "bayesian": {
                    "lift": br.expected,
                    "ci": list(br.ci),
                    "chance_to_win": br.chance_to_win,
                    "risk": list(br.risk),
                    "error": br.error_message,
                },
            }
        cases.append(
            {"input": {"arms": arms, "alpha": alpha, "tuning": tuning}, "gbstats": results}
        )
    return cases


def srm(count: int) -> list[dict]:
    from gbstats.utils import check_srm

    cases = []
    for _ in range(count):
        k = int(RNG.integers(2, 6))
        weights = RNG.uniform(0.1, 1.0, k)
        if RNG.random() < 0.4:
            weights = np.ones(k)
        total = _log_int(50, 1e6)
        skew = RNG.uniform(0.9, 1.1, k) if RNG.random() < 0.5 else np.ones(k)
        share = weights * skew / (weights * skew).sum()
        users = RNG.multinomial(total, share)
        cases.append(
            {
                "users": users.tolist(),
                "weights": weights.tolist(),
                "p_value": float(check_srm(users.tolist(), weights.tolist())),
            }
        )
    return cases


def power(count: int) -> list[dict]:
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    cases = []
    for _ in range(count):
        baseline = math.exp(RNG.uniform(math.log(0.002), math.log(0.6)))
        mde = RNG.uniform(0.02, 0.6)
        if baseline * (1 + mde) >= 1:
            continue
        alpha, pw = _alpha(), float(RNG.choice([0.7, 0.8, 0.9, 0.95]))
        variants = int(RNG.integers(2, 5))
        a = alpha / (variants - 1)
        h = proportion_effectsize(baseline * (1 + mde), baseline)
        nobs = NormalIndPower().solve_power(effect_size=h, alpha=a, power=pw, ratio=1.0)
        users = _log_int(200, 2e6)
        h_users = NormalIndPower().solve_power(nobs1=users, alpha=a, power=pw, ratio=1.0)
        cases.append(
            {
                "baseline": baseline,
                "mde": mde,
                "alpha": alpha,
                "power": pw,
                "variants": variants,
                "users_per_variant": float(nobs),
                "users": users,
                "effect_size_for_users": float(h_users),
            }
        )
    multi = []
    for _ in range(count):
        p = RNG.uniform(0, 1, int(RNG.integers(1, 12))) ** RNG.uniform(1, 6)
        multi.append(
            {
                "p_values": p.tolist(),
                "holm": multipletests(p, method="holm")[1].tolist(),
                "bh": multipletests(p, method="fdr_bh")[1].tolist(),
            }
        )
    return [{"power": cases, "multipletests": multi}]


def main() -> None:
    HERE.mkdir(exist_ok=True)
    gb = importlib.metadata.version("gbstats")
    sm = importlib.metadata.version("statsmodels")
    files = {
        "gbstats_rates.json": ("gbstats", gb, rates(80)),
        "gbstats_means.json": ("gbstats", gb, means(50)),
        "gbstats_ratios.json": ("gbstats", gb, ratios(40)),
        "gbstats_cuped.json": ("gbstats", gb, cuped(40)),
        "gbstats_srm.json": ("gbstats", gb, srm(40)),
        "statsmodels_power.json": ("statsmodels", sm, power(40)[0]),
    }
    for name, (peer, version, cases) in files.items():
        doc = {"peer": peer, "version": version, "script": "tests/experiment/make_fixtures.py",
               "cases": cases}  # fmt: skip
        (HERE / name).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(name, len(cases) if isinstance(cases, list) else "")


if __name__ == "__main__":
    main()
