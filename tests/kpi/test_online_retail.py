"""The bundled Online Retail data: revenue = customers * orders per customer * AOV by country.

Month over month (October → November 2011), per country, with every method; the totals
are checked against the raw invoice lines, independently of the library's evaluation.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.kpi import KPITree, KPIValuesResult

mpl.use("Agg")

TREE = KPITree.from_formula(
    """
    revenue = customers * orders_per_customer * aov
    orders_per_customer = orders / customers
    aov = sales / orders
    """,
    owners={"customers": "Marketing", "orders_per_customer": "CRM", "aov": "Merchandising"},
    units={"revenue": "GBP", "aov": "GBP"},
)


@pytest.fixture(scope="module")
def lines() -> pd.DataFrame:
    try:
        from linkstar_funnel.datasets import load_online_retail
    except ImportError:  # pragma: no cover - the loader lands separately
        from importlib import resources

        path = resources.files("linkstar_funnel.datasets") / "data" / "online_retail.parquet"
        return pd.read_parquet(str(path))
    return load_online_retail()


@pytest.fixture(scope="module")
def monthly(lines: pd.DataFrame) -> pd.DataFrame:
    """Customers, orders and sales per month and country, from clean invoice lines."""
    keep = (
        lines["CustomerID"].notna()
        & ~lines["InvoiceNo"].str.startswith("C")
        & (lines["Quantity"] > 0)
        & (lines["UnitPrice"] > 0)
    )
    clean = lines.loc[keep]
    return (
        clean.assign(
            month=clean["InvoiceDate"].dt.to_period("M").astype(str),
            line=clean["Quantity"] * clean["UnitPrice"],
        )
        .groupby(["month", "Country"], as_index=False)
        .agg(
            customers=("CustomerID", "nunique"),
            orders=("InvoiceNo", "nunique"),
            sales=("line", "sum"),
        )
        .rename(columns={"Country": "country"})
    )


@pytest.fixture(scope="module")
def values(monthly: pd.DataFrame) -> KPIValuesResult:
    return TREE.evaluate(monthly, period="month", by="country")


def test_revenue_by_month_equals_the_raw_lines(
    values: KPIValuesResult, monthly: pd.DataFrame
) -> None:
    wide = values.wide()
    by_month = wide.groupby("month")["revenue"].sum()
    raw = monthly.groupby("month")["sales"].sum()
    pd.testing.assert_series_equal(by_month, raw, check_names=False, rtol=1e-12)
    assert len(by_month) == 13  # 2010-12 .. 2011-12


@pytest.mark.parametrize("method", ["lmdi", "shapley"])
def test_month_over_month_by_driver_and_country(
    values: KPIValuesResult, monthly: pd.DataFrame, method: str
) -> None:
    d = values.decompose("2011-10", "2011-11", method=method)
    raw = monthly.groupby("month")["sales"].sum()
    assert d.total == pytest.approx(raw["2011-11"] - raw["2011-10"], rel=1e-12)
    assert math.fsum(d.contributions.values()) == pytest.approx(d.total, rel=1e-9)
    # more customers and more orders each, but a lower basket value
    c = d.contributions
    assert c["customers"] > 0
    assert c["orders_per_customer"] > 0
    assert c["aov"] < 0
    frame = d.to_frame()
    for parent in ("orders_per_customer", "aov"):
        kids = frame.loc[frame["parent"] == parent, "contribution"].sum()
        assert kids == pytest.approx(c[parent], rel=1e-9)
    # by country: each country's effects sum to its own revenue change
    seg = d.to_frame(by_segment=True)
    top = seg[seg["level"] == 1].groupby("country")["contribution"].sum()
    own = seg[seg["level"] == 0].set_index("country")["change"]
    pd.testing.assert_series_equal(top.sort_index(), own.sort_index(), check_names=False)
    assert top.abs().idxmax() == "United Kingdom"


def test_lmdi_and_shapley_agree_closely_on_real_data(values: KPIValuesResult) -> None:
    lmdi = values.decompose("2011-10", "2011-11", method="lmdi").contributions
    shap = values.decompose("2011-10", "2011-11", method="shapley").contributions
    for k in lmdi:
        assert lmdi[k] == pytest.approx(shap[k], rel=0.05)


def test_countries_in_one_month_only_are_flagged(values: KPIValuesResult) -> None:
    d = values.decompose("2011-10", "2011-11")
    oct_ = set(values.period_frame("2011-10")["country"])
    nov = set(values.period_frame("2011-11")["country"])
    assert oct_ - nov
    assert nov - oct_
    notes = " ".join(d.notes)
    for country in sorted(nov - oct_):
        assert country in notes


def test_structure_by_country(values: KPIValuesResult) -> None:
    d = TREE.decompose_structure(
        values.period_frame("2011-10"),
        values.period_frame("2011-11"),
        by="country",
        activity="customers",
    )
    effects = d.to_frame().query("level == 1").set_index("node")["effect"].to_dict()
    assert effects == {
        "customers_total": "activity",
        "customers_share": "structure",
        "orders_per_customer": "intensity",
        "aov": "intensity",
    }
    assert math.fsum(d.contributions.values()) == pytest.approx(d.total, rel=1e-9)


def test_report_ready_summary_and_plots(values: KPIValuesResult, monthly: pd.DataFrame) -> None:
    d = values.decompose("2011-10", "2011-11")
    text = str(d.summary())
    raw = monthly.groupby("month")["sales"].sum()
    assert f"revenue: {raw['2011-10']:,.0f} → {raw['2011-11']:,.0f} GBP" in text
    assert "Marketing" in text
    html = d.summary().to_html()
    assert "<table" in html
    for kind in ("waterfall", "tree"):
        ax = d.plot(kind=kind)
        assert ax.get_title(loc="left").startswith("Change in revenue")
        mpl.pyplot.close("all")
    assert np.isfinite(d.to_frame()["contribution"]).all()
