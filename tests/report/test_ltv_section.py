"""The report's LTV section: cohort curves, BG/NBD + Gamma-Gamma and backtest, as the library."""

from __future__ import annotations

import warnings

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel.report._ltv_section as ltv_section  # registers the section
from linkstar_funnel import ltv
from linkstar_funnel.datasets import online_retail_orders
from linkstar_funnel.errors import ConvergenceWarning
from linkstar_funnel.report import REGISTRY, ReportContext, ReportData
from linkstar_funnel.report._kpi_section import RETAIL_EXTRA
from linkstar_funnel.report._ltv_cohorts import (
    ALPHA,
    BACKTEST_MODELS,
    DISCOUNT_RATE,
    LTVView,
    ltv_view,
    segment_labels,
    weighted,
)

from .conftest import HOSTILE, make_events

COLS = {"customer": "customer_id", "time": "timestamp", "value": "revenue"}


def _render(data: ReportData) -> str | None:
    return REGISTRY.get("ltv").render(ReportContext(data))


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    return online_retail_orders()


@pytest.fixture(scope="module")
def view(retail: pd.DataFrame) -> LTVView:
    return ltv_view(retail, segment="country", use_prophet=False, **COLS)


@pytest.fixture(scope="module")
def labelled(retail: pd.DataFrame) -> pd.DataFrame:
    """Online Retail with the section's country segments, worked out in plain pandas."""
    first = retail.sort_values("timestamp", kind="stable").groupby("customer_id")["country"].first()
    top = first.value_counts().index[:3]
    n_rest = first.nunique() - 3
    return retail.assign(
        country=retail["country"].where(retail["country"].isin(top), f"other ({n_rest} countries)")
    )


def test_segments_are_the_top_countries_and_the_pooled_rest(
    retail: pd.DataFrame, labelled: pd.DataFrame, view: LTVView
) -> None:
    labels, pooled, other = segment_labels(
        retail, customer="customer_id", time="timestamp", segment="country"
    )
    assert labels.tolist() == labelled["country"].tolist()
    assert other == "other (34 countries)"
    assert len(pooled) == 34
    assert "United Kingdom" not in pooled
    assert set(view.at_12m.frame["country"]) == {"United Kingdom", "Germany", "France", other}


def test_cohort_numbers_are_the_librarys(labelled: pd.DataFrame, view: LTVView) -> None:
    fit = ltv.CohortLTV(horizon="365D", period="M", use_prophet=False).fit(
        labelled, by="country", **COLS
    )
    direct = fit.predict(at="365D", alpha=ALPHA)
    pd.testing.assert_frame_equal(view.at_12m.to_frame(), direct.to_frame())
    # Per country, customer-weighted: the section's helper is CohortForecastResult.ltv().
    mine = weighted(view.at_12m.frame, ["country", "age"]).drop(columns="observed")
    pd.testing.assert_frame_equal(mine, direct.ltv(), check_exact=False, rtol=1e-12)
    # The headline: customers acquired in 2011, as the library's ltv() on those cohorts.
    frame = direct.to_frame()
    in_2011 = frame[frame["cohort"].dt.year == 2011].assign(country="all")
    sub = ltv.CohortForecastResult(
        in_2011, ("country",), ALPHA, direct.observation_end, fit.provenance
    )
    row = sub.ltv().iloc[0]
    html = ltv_section.render_ltv(view, money=ltv_section.Money("GBP", "£"))
    assert f"A customer acquired in 2011 is worth £{row['value']:,.0f} over" in html
    assert f"interval £{row['lower']:,.0f}\u2013£{row['upper']:,.0f}" in html


def test_bgnbd_view_is_the_librarys(retail: pd.DataFrame, view: LTVView) -> None:
    rfm = ltv.rfm_summary(retail, period="W", **COLS)
    bg, gg = ltv.BetaGeo().fit(rfm), ltv.GammaGamma().fit(rfm)
    assert view.bg.params == pytest.approx(bg.params, rel=1e-12)
    assert view.gg.params == pytest.approx(gg.params, rel=1e-12)
    clv = ltv.customer_lifetime_value(
        bg, gg, rfm, horizon="12M", annual_discount_rate=DISCOUNT_RATE
    )
    pd.testing.assert_series_equal(view.clv, clv)
    pd.testing.assert_series_equal(view.p_alive, bg.p_alive())
    html = ltv_section.render_ltv(view, money=ltv_section.Money("GBP", "£"))
    assert f"£{clv.mean():,.0f}" in html
    assert f"{bg.p_alive().mean():.1%}" in html


def test_backtest_is_the_librarys(labelled: pd.DataFrame, view: LTVView) -> None:
    assert view.backtest is not None
    assert (str(view.backtest.cutoff.date()), str(view.backtest.end.date())) == (
        "2011-07-01",
        "2011-12-10",
    )
    with pytest.warns(ConvergenceWarning, match="NBD limit"):
        direct = ltv.backtest(
            dict(zip(BACKTEST_MODELS, (view.fit.spec, ltv.ProbabilisticLTV()), strict=True)),
            labelled,
            cutoff="2011-07-01",
            end="2011-12-10",
            by="country",
            **COLS,
        )
    pd.testing.assert_frame_equal(view.backtest.metrics, direct.metrics)
    # The calibration fit is BG/NBD's NBD limit: the page says so, the warning is not raised.
    assert any("NBD limit" in n for n in view.notes)


def test_cumulative_curves_never_decrease(view: LTVView) -> None:
    f = view.curves.to_frame().sort_values(["country", "cohort", "age"])
    for col in ("value", "lower", "upper"):
        steps = f.groupby(["country", "cohort"])[col].diff().dropna()
        assert (steps >= -1e-9).all(), col
    assert (f["lower"] <= f["value"] + 1e-9).all()
    assert (f["value"] <= f["upper"] + 1e-9).all()
    for keys in (["cohort", "age"], ["country", "age"]):
        w = weighted(f, keys)
        assert (w.groupby(keys[0])["value"].diff().dropna() >= -1e-9).all()


def test_demo_section_with_prophet(retail: pd.DataFrame) -> None:
    html = _render(ReportData(extras={RETAIL_EXTRA: retail}))
    assert html is not None
    assert "A customer acquired in 2011 is worth £" in html
    for label in ("(GBP)", "days since first purchase", "(weeks)", "next 12 months"):
        assert label in html
    assert html.count("<img") == 2  # cohort curves, backtest
    assert "with prophet" in html


def test_left_out_without_orders() -> None:
    assert _render(ReportData(events=make_events())) is None


def _user_orders() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 2_500
    cust = rng.integers(0, 500, n)
    countries = np.where(cust % 2 == 0, HOSTILE, np.array(["US", "DE", "JP", "FR$ $"])[cust % 4])
    return pd.DataFrame(
        {
            "buyer": cust,
            "at": pd.Timestamp("2025-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 200 * 86_400, n), unit="s"),
            "amount": rng.gamma(2.0, 30.0, n).round(2),
            "country": countries,
        }
    )


def test_user_orders_hostile_country_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ltv_section, "USE_PROPHET", False)
    data = ReportData(orders=_user_orders(), customer="buyer", order_time="at", revenue="amount")
    html = _render(data)
    assert html is not None
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "(revenue units)" in html  # no currency known: the unit says so
    assert "A customer acquired in 2025 is worth " in html


def test_too_short_says_so(orders: pd.DataFrame) -> None:
    html = _render(ReportData(orders=orders))  # 20 days of orders
    assert html is not None
    assert "needs at least 56 days of orders" in html
    assert "<img" not in html


def test_csv_times_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ltv_section, "USE_PROPHET", False)
    orders = _user_orders()
    orders["at"] = orders["at"].astype(str)  # as read back from a CSV file
    data = ReportData(orders=orders, customer="buyer", order_time="at", revenue="amount")
    html = _render(data)
    assert html is not None
    assert "A customer acquired in 2025 is worth " in html


def test_parameter_table_names_the_nbd_limit_and_leaves_out_b(
    retail: pd.DataFrame, view: LTVView
) -> None:
    from linkstar_funnel.report._ltv_tables import params_frame

    early = ltv.rfm_summary(retail, observation_end="2011-06-30", **COLS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        nbd = ltv.BetaGeo().fit(early)
    assert nbd.at_boundary
    table = params_frame(attrs.evolve(view, bg=nbd), "£")
    purchase = table[table["model"] == nbd.model]
    assert list(purchase["parameter"]) == ["r", "alpha", "a"]
    assert table["estimate"].notna().all()
    assert "BG/NBD" not in set(table["model"])
