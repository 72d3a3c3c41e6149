"""Ad economics: every metric's definition by hand, crediting down, currencies, invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel import ads
from linkstar_funnel.datasets import demo_ad_spend
from linkstar_funnel.results import check_result

SPEND = pd.DataFrame(
    {
        "channel": ["search", "search", "social"],
        "campaign": ["brand", "generic", "video"],
        "cost": [100.0, 300.0, 200.0],
        "impressions": [10_000, 60_000, 100_000],
        "clicks": [500, 900, 400],
    }
)
CONV = pd.DataFrame(
    {"campaign": ["brand", "generic", "video"], "orders": [25, 30, 8], "revenue": [1e3, 12e2, 4e2]}
)


def _econ(**kw: object) -> ads.AdEconomicsResult:
    params: dict[str, object] = {
        "by": ["channel", "campaign"],
        "impressions": "impressions",
        "clicks": "clicks",
        "conversions": CONV,
        "total_revenue": 5_200.0,
    }
    params.update(kw)
    return ads.economics(SPEND, **params)  # type: ignore[arg-type]


def test_every_metric_matches_its_definition_by_hand() -> None:
    t = _econ().to_frame().set_index("campaign")
    brand = t.loc["brand"]
    assert brand["ctr"] == pytest.approx(500 / 10_000)  # clicks / impressions
    assert brand["cpc"] == pytest.approx(100 / 500)  # cost / clicks
    assert brand["cpm"] == pytest.approx(1000 * 100 / 10_000)  # per 1,000 impressions
    assert brand["cvr"] == pytest.approx(25 / 500)  # orders / clicks
    assert brand["cpa"] == pytest.approx(100 / 25)  # cost / orders
    assert brand["roas"] == pytest.approx(1000 / 100)  # revenue / cost
    assert brand["acos"] == pytest.approx(100 / 1000)  # cost / attributed revenue
    assert brand["tacos"] == pytest.approx(100 / 5_200)  # cost / total revenue
    assert brand["mer"] == pytest.approx(5_200 / 600)  # total revenue / total cost
    assert list(t.columns[:7]) == ["channel", "cost", "impressions", "clicks", "orders",
                                   "revenue", "ctr"]  # fmt: skip


def test_published_acos_example() -> None:
    # Sellics' help article on ACoS (help.sellics.com, "ACOS - Advertising Cost of Sales"):
    # a sponsored product with $2 of click costs and $10 of ad revenue has an ACoS of 20%.
    spend = pd.DataFrame({"campaign": ["sp"], "cost": [2.0]})
    conv = pd.DataFrame({"campaign": ["sp"], "orders": [1], "revenue": [10.0]})
    t = ads.economics(spend, by="campaign", conversions=conv, total_revenue=40.0).to_frame()
    assert t.loc[0, "acos"] == pytest.approx(0.20)
    assert t.loc[0, "roas"] == pytest.approx(5.0)  # the inverse
    assert t.loc[0, "tacos"] == pytest.approx(2.0 / 40.0)  # with $40 of total sales
    assert t.loc[0, "mer"] == pytest.approx(20.0)


def test_zero_denominators_are_nan_with_the_reason_never_zero_or_inf() -> None:
    spend = SPEND.assign(cost=[0.0, 300.0, 200.0], clicks=[0, 900, 400])
    conv = CONV.assign(orders=[0, 30, 8], revenue=[0.0, 1200.0, 400.0])
    with pytest.warns(lf.DataQualityWarning, match=r"cpa is NaN in 1 row\(s\): no attributed"):
        econ = ads.economics(spend, by="campaign", clicks="clicks", conversions=conv)
    t = econ.to_frame()
    row = t[t["campaign"] == "brand"].iloc[0]
    for name in ("cpc", "cvr", "cpa", "roas", "acos"):
        assert np.isnan(row[name]), name
    assert not np.isinf(t.select_dtypes("number").to_numpy()).any()
    assert any("roas is NaN in 1 row(s): no cost" in n for n in econ.provenance.notes)


def test_coarse_conversions_are_split_by_clicks_and_unmatched_rows_reported() -> None:
    spend = pd.DataFrame(
        {
            "campaign": ["brand", "brand", "video"],
            "creative": ["a", "b", "v1"],
            "cost": [60.0, 40.0, 200.0],
            "clicks": [300, 100, 400],
        }
    )
    conv = pd.DataFrame(
        {"campaign": ["brand", "video", "newsletter"], "orders": [20, 8, 5], "revenue": [800.0, 400.0, 150.0]}
    )  # fmt: skip
    econ = ads.economics(spend, by=["campaign", "creative"], clicks="clicks", conversions=conv)
    t = econ.to_frame()
    assert t["orders"].tolist() == pytest.approx([15.0, 5.0, 8.0])  # 300:100 clicks
    assert t["revenue"].tolist() == pytest.approx([600.0, 200.0, 400.0])
    assert econ.unmatched.to_dict("records") == [
        {"campaign": "newsletter", "orders": 5.0, "revenue": 150.0}
    ]
    assert t["orders"].sum() + econ.unmatched["orders"].sum() == pytest.approx(conv["orders"].sum())
    acc = econ.provenance.inputs["conversions"]
    assert acc.rows_dropped == 1
    assert "no spend row matches" in str(acc)


def test_without_clicks_credit_follows_cost_and_equal_split_when_both_zero() -> None:
    spend = pd.DataFrame({"campaign": ["c", "c", "d", "d"], "creative": ["x", "y", "z", "w"],
                          "cost": [30.0, 10.0, 0.0, 0.0]})  # fmt: skip
    conv = pd.DataFrame({"campaign": ["c", "d"], "orders": [4, 2], "revenue": [40.0, 20.0]})
    with pytest.warns(lf.DataQualityWarning):
        t = ads.economics(spend, by=["campaign", "creative"], conversions=conv).to_frame()
    assert t["orders"].tolist() == pytest.approx([3.0, 1.0, 1.0, 1.0])


def test_attribution_credit_agrees_with_channel_economics() -> None:
    df = pd.DataFrame({"path": ["ads > email", "ads", "email > ads"], "conv": [2, 2, 1],
                       "rev": [100.0, 60.0, 50.0]})  # fmt: skip
    res = lf.LastTouch().attribute(lf.Journeys.from_paths(df, conversions="conv", value="rev"))
    spend = pd.DataFrame({"channel": ["ads", "ads", "email"], "campaign": ["a1", "a2", "nl"],
                          "cost": [20.0, 10.0, 10.0]})  # fmt: skip
    econ = ads.economics(spend, by=["channel", "campaign"], conversions=res)
    per_channel = econ.to_frame().groupby("channel")[["cost", "orders", "revenue"]].sum()
    ref = res.economics({"ads": 30.0, "email": 10.0}).to_frame().set_index("channel")
    assert per_channel.loc["ads", "orders"] == pytest.approx(ref.loc["ads", "conversions"])
    assert per_channel.loc["email", "revenue"] == pytest.approx(ref.loc["email", "value"])
    tot = per_channel.assign(cpa=lambda d: d["cost"] / d["orders"],
                             roas=lambda d: d["revenue"] / d["cost"])  # fmt: skip
    assert tot["cpa"].to_numpy() == pytest.approx(ref.loc[tot.index, "cpa"].to_numpy())
    assert tot["roas"].to_numpy() == pytest.approx(ref.loc[tot.index, "roas"].to_numpy())


def test_attribution_channel_must_be_a_by_column() -> None:
    df = pd.DataFrame({"path": ["ads"], "conv": [1]})
    res = lf.LastTouch().attribute(lf.Journeys.from_paths(df, conversions="conv"))
    with pytest.raises(lf.ParameterError, match="'channel' parameter"):
        ads.economics(SPEND, by="campaign", conversions=res)


def test_currencies_convert_with_rates_and_refuse_to_mix_without() -> None:
    spend = SPEND.assign(currency=["USD", "EUR", "USD"])
    with pytest.raises(lf.SchemaError, match="mixes currencies"):
        ads.economics(spend, by="campaign")
    with pytest.raises(lf.ParameterError, match="no rate for 'EUR'"):
        ads.economics(spend, by="campaign", rates={"GBP": 1.2}, reporting_currency="USD")
    econ = ads.economics(spend, by="campaign", rates={"EUR": 1.1, "USD": 1.0},
                         reporting_currency="USD")  # fmt: skip
    assert econ.to_frame()["cost"].tolist() == pytest.approx([100.0, 330.0, 200.0])
    assert econ.currency == "USD"
    rates = pd.DataFrame({"currency": ["EUR"], "rate": [1.1]})
    same = ads.economics(spend, by="campaign", rates=rates, reporting_currency="USD")
    assert same.to_frame()["cost"].tolist() == pytest.approx([100.0, 330.0, 200.0])
    one = ads.economics(SPEND.assign(currency="EUR"), by="campaign")
    assert one.currency == "EUR"


def test_negative_spend_is_a_schema_error_and_missing_rows_are_counted() -> None:
    with pytest.raises(lf.SchemaError, match=r"'cost' column of the spend frame must hold"):
        ads.economics(SPEND.assign(cost=[-1.0, 2.0, 3.0]), by="campaign")
    holes = SPEND.assign(cost=[np.nan, 300.0, 200.0])
    econ = ads.economics(holes, by="campaign")
    assert econ.provenance.inputs["spend"].rows_dropped == 1
    assert len(econ.to_frame()) == 2


def test_result_kit_totals_and_plot() -> None:
    econ = _econ()
    check_result(econ)
    tot = econ.totals().iloc[0]
    assert tot["cost"] == pytest.approx(600.0)
    assert tot["roas"] == pytest.approx(2600.0 / 600.0)
    assert "unmatched" not in str(econ.summary())


def _amounts(top: float) -> st.SearchStrategy[float]:
    """0, or an amount of at least a thousandth (no ratio overflows float64)."""
    return st.one_of(st.just(0.0), st.floats(1e-3, top))


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.tuples(_amounts(1e5), st.integers(0, 10_000), _amounts(500), _amounts(1e5)),
        min_size=1,
        max_size=8,
    ),
    total=_amounts(1e6),
)
def test_invariants_acos_times_roas_is_one_and_tacos_sums_to_one_over_mer(
    data: list[tuple[float, int, float, float]], total: float
) -> None:
    n = len(data)
    spend = pd.DataFrame(
        {"campaign": [f"c{i}" for i in range(n)], "cost": [d[0] for d in data],
         "clicks": [d[1] for d in data]}
    )  # fmt: skip
    conv = pd.DataFrame(
        {"campaign": [f"c{i}" for i in range(n)], "orders": [d[2] for d in data],
         "revenue": [d[3] for d in data]}
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        econ = ads.economics(spend, by="campaign", clicks="clicks", conversions=conv,
                             total_revenue=total)  # fmt: skip
    t = econ.to_frame()
    both = t["acos"].notna() & t["roas"].notna()
    assert (t.loc[both, "acos"] * t.loc[both, "roas"]).to_numpy() == pytest.approx(1.0)
    # NaN exactly where the slow reference says the denominator is 0
    for name, den in (("cpa", "orders"), ("roas", "cost"), ("acos", "revenue"), ("cpc", "clicks")):
        assert (t[name].isna() == (t[den] == 0)).all(), name
    if total > 0 and t["cost"].sum() > 0:
        assert t["tacos"].sum() == pytest.approx(1 / t["mer"].iloc[0])


@settings(max_examples=25, deadline=None)
@given(
    weights=st.lists(st.integers(0, 50), min_size=1, max_size=6),
    orders=st.floats(0, 1e4),
)
def test_credit_split_matches_a_slow_reference(weights: list[int], orders: float) -> None:
    spend = pd.DataFrame({"campaign": "c", "creative": [f"k{i}" for i in range(len(weights))],
                          "cost": 1.0, "clicks": weights})  # fmt: skip
    conv = pd.DataFrame({"campaign": ["c"], "orders": [orders], "revenue": [2 * orders]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        t = ads.economics(spend, by=["campaign", "creative"], clicks="clicks",
                          conversions=conv).to_frame()  # fmt: skip
    total = sum(weights)
    expected = [orders * w / total if total else orders / len(weights) for w in weights]
    assert t["orders"].tolist() == pytest.approx(expected)
    assert t["orders"].sum() == pytest.approx(orders)


def test_demo_ad_spend_is_seeded_and_sums_to_the_store_spend() -> None:
    store = lf.datasets.make_demo_store(n_users=1_500, seed=3, days=28)
    a = demo_ad_spend(store.spend, seed=1)
    pd.testing.assert_frame_equal(a, demo_ad_spend(store.spend, seed=1))
    per_day = a.groupby(["date", "campaign"], observed=True)["cost"].sum()
    ref = store.spend.groupby(["date", "campaign"], observed=True)["cost"].sum()
    assert per_day.to_numpy() == pytest.approx(ref.loc[per_day.index].to_numpy(), abs=1e-9)
    assert (a["clicks"] <= a["impressions"]).all()
    econ = ads.economics(a, by=["channel", "campaign", "creative"], impressions="impressions",
                         clicks="clicks")  # fmt: skip
    assert econ.to_frame()["cost"].sum() == pytest.approx(store.spend["cost"].sum())
