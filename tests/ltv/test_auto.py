"""AutoLTV: the in-sample backtest, the choice, and per-customer forecasts.

The reference for the backtest is the library's own :func:`backtest` run by hand at each
fold origin (an independent code path: it scores each candidate on the same window).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
import linkstar_funnel.ltv  # binds lf.ltv until the package root exports it
from linkstar_funnel.errors import ConvergenceWarning, ParameterError

pytestmark = [
    pytest.mark.filterwarnings("ignore::linkstar_funnel.errors.ConvergenceWarning"),
    # folds where a channel spent nothing: APE undefined, said by a DataQualityWarning
    pytest.mark.filterwarnings("ignore::linkstar_funnel.errors.DataQualityWarning"),
]

CUT = pd.Timestamp("2026-03-16")
SPEC = lf.ltv.AutoLTV(horizon="90D", window="28D", folds=2, use_prophet=False)


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    return lf.datasets.make_demo_store(n_users=1500, seed=5).orders


@pytest.fixture(scope="module")
def fit(orders: pd.DataFrame) -> lf.ltv.AutoLTVResult:
    return SPEC.fit(orders, by="channel", observation_end=CUT)


def test_keeps_the_ltv_model_contract() -> None:
    lf.ltv.check_ltv_model(lf.ltv.AutoLTV(horizon="120D", window="30D", folds=1, use_prophet=False))


def test_backtest_errors_match_the_backtest_tool_at_each_origin(
    orders: pd.DataFrame, fit: lf.ltv.AutoLTVResult
) -> None:
    origins = fit.errors["origin"].unique()
    assert len(origins) >= 1  # the earliest fold may fall before enough history: skipped
    for origin in origins:
        ref = lf.ltv.backtest(
            {
                "cohort": lf.ltv.CohortLTV(horizon="90D", use_prophet=False),
                "bgnbd": lf.ltv.ProbabilisticLTV(),
            },
            orders,
            cutoff=origin,
            end=origin + SPEC.window,
            by="channel",
        ).cohorts
        ref = ref.groupby(["model", "channel"])[["actual", "predicted"]].sum()
        mine = fit.errors[fit.errors["origin"] == origin].set_index(["model", "segment"])
        for (model, channel), row in ref.iterrows():
            got = mine.loc[(model, channel)]
            np.testing.assert_allclose(got["actual"], row["actual"], rtol=1e-9)
            np.testing.assert_allclose(got["predicted"], row["predicted"], rtol=1e-6)
        pred = mine["predicted"]
        halves = (pred.xs("cohort", level="model") + pred.xs("bgnbd", level="model")) / 2
        blend = pred.xs("blend", level="model")
        np.testing.assert_allclose(blend, halves.reindex(blend.index), rtol=1e-9)


def test_winner_has_the_lowest_mean_fold_ape(fit: lf.ltv.AutoLTVResult) -> None:
    mean = fit.errors.pivot_table(index="segment", columns="model", values="ape")
    for _, row in fit.winners.iterrows():
        if row["segment"] not in mean.index or mean.loc[row["segment"]].isna().all():
            assert row["reason"].startswith("no backtest holdout value")
            continue
        assert row["model"] == mean.loc[row["segment"]].idxmin()
        assert row[f"ape_{row['model']}"] == pytest.approx(mean.loc[row["segment"]].min())
    assert set(fit.choice.columns) >= {"channel", "model", "reason"}
    assert "chosen" in str(fit.summary())


def test_customers_are_ranked_by_bgnbd_and_sum_to_the_winners_totals(
    fit: lf.ltv.AutoLTVResult,
) -> None:
    until = CUT + pd.Timedelta("60D")
    got = fit.expected_customer_revenue(until)
    seg = lf.ltv._auto._segments(fit.cohort)  # reference: the cohort cells' leaf segment
    bg = fit.probabilistic["bgnbd"].expected_customer_revenue(until).reindex(got.index)
    cohort = fit.cohort.expected_customer_revenue(until)
    winner = fit.winners.set_index("segment")["model"]
    cells = fit.cohort.cells.cohort[fit.cohort.customer_cell]
    for (name, _), members in seg.groupby([seg, cells]).groups.items():
        total = {"cohort": cohort, "bgnbd": bg, "blend": (cohort + bg) / 2}[winner[name]]
        assert got[members].sum() == pytest.approx(total[members].sum(), rel=1e-9)
        ranks_got = got[members].rank(method="first")
        horizon_bg = fit.probabilistic["bgnbd"].expected_customer_revenue(CUT + SPEC.horizon)
        ranks_bg = horizon_bg.reindex(members).rank(method="first")
        assert (ranks_got == ranks_bg).all()
    frame = fit.expected_revenue(until)
    assert frame["expected"].sum() == pytest.approx(got.sum(), rel=1e-9)
    assert (frame["lower"] <= frame["expected"] + 1e-9).all()
    assert (frame["expected"] <= frame["upper"] + 1e-9).all()


def test_never_reads_past_observation_end(orders: pd.DataFrame, fit: lf.ltv.AutoLTVResult) -> None:
    later = orders["timestamp"] >= fit.observation_end
    changed = orders.copy()
    changed.loc[later, "revenue"] = changed.loc[later, "revenue"] * 100
    again = SPEC.fit(changed.iloc[::-1], by="channel", observation_end=CUT)
    pd.testing.assert_frame_equal(again.winners, fit.winners)
    until = CUT + pd.Timedelta("30D")
    pd.testing.assert_series_equal(
        again.expected_customer_revenue(until).sort_index(),
        fit.expected_customer_revenue(until).sort_index(),
        rtol=1e-6,
    )


def test_is_accepted_by_the_backtest_tool(orders: pd.DataFrame) -> None:
    res = lf.ltv.backtest(
        {"auto": SPEC}, orders, cutoff="2026-03-02", end="2026-03-30", by="channel"
    )
    assert list(res.metrics["model"]) == ["auto"]
    assert np.isfinite(res.metrics[["predicted", "gini"]].to_numpy()).all()


def test_result_views(fit: lf.ltv.AutoLTVResult) -> None:
    lf.check_result(fit)
    assert list(fit.to_frame().columns) == [
        "origin",
        "segment",
        "model",
        "actual",
        "predicted",
        "ape",
    ]
    assert fit.predict(at="30D").to_frame()["value"].ge(0).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["cohort", "bgnbd", "pareto", "blend", "x", 3]), max_size=4))
def test_candidates_are_checked(items: list[object]) -> None:
    ok = bool(items) and all(i in {"cohort", "bgnbd", "pareto", "blend"} for i in items)
    if ok:
        spec = lf.ltv.AutoLTV(candidates=items)
        assert spec.candidates == tuple(dict.fromkeys(items))
    else:
        with pytest.raises(ParameterError, match="candidates"):
            lf.ltv.AutoLTV(candidates=items)


def test_auto_window_is_half_the_history_capped_at_the_horizon() -> None:
    spec = lf.ltv.AutoLTV(horizon="30D")
    first, cut = pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-02")
    assert spec._resolved_window(first, cut) == pd.Timedelta("30D")
    assert lf.ltv.AutoLTV(horizon="365D")._resolved_window(first, cut) == pd.Timedelta("30D")
    assert lf.ltv.AutoLTV(horizon="365D")._resolved_window(first, first) == pd.Timedelta("1D")
    assert SPEC._resolved_window(first, cut) == pd.Timedelta("28D")


def test_fold_before_any_order_is_skipped_and_said(orders: pd.DataFrame) -> None:
    spec = lf.ltv.AutoLTV(horizon="60D", window="200D", folds=1, use_prophet=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = spec.fit(orders, observation_end=CUT)
    assert res.errors.empty
    assert any("skipped" in n for n in res.provenance.notes)
    assert res.expected_customer_revenue(CUT + pd.Timedelta("10D")).ge(0).all()
