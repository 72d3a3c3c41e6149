"""Amazon Business Report: samples, header variants, into a funnel and the KPI tree."""

from __future__ import annotations

import io

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.io import funnel_counts, read_amazon_business_report, sample_path


def test_by_date_sample() -> None:
    ab = read_amazon_business_report(sample_path("amazon_by_date"))
    r = ab.report
    assert len(r) == 28
    assert str(r["date"].dtype) == "datetime64[us, UTC]"
    assert r["date"].iloc[0] == pd.Timestamp("2026-03-01", tz="UTC")
    assert r["sessions"].dtype == "Int64"
    ratio = r["units_ordered"].astype(float) / r["sessions"].astype(float)
    assert (ratio - r["unit_session_percentage"]).abs().max() < 5e-5
    lf.check_result(ab)


def test_by_asin_sample_and_kpi_tree() -> None:
    ab = read_amazon_business_report(sample_path("amazon_by_asin"))
    r = ab.report
    assert r["asin"].tolist() == ["B0CHILD00", "B0CHILD01", "B0CHILD02", "B0CHILD03"]
    raw = pd.read_csv(sample_path("amazon_by_asin"), dtype=str)
    assert (
        r["sessions"].tolist() == raw["Sessions - Total"].str.replace(",", "").astype(int).tolist()
    )
    values = lf.KPITree.template("amazon").evaluate(r, by="asin").to_frame()
    sales = values[values["node"] == "sales"].set_index("asin")["value"]
    assert sales.to_dict() == pytest.approx(r.set_index("asin")["ordered_product_sales"].to_dict())
    t = lf.kpi.get_template("amazon")
    assert set(t.tree().leaves) <= set(r.columns)


def test_into_a_funnel_from_counts() -> None:
    r = read_amazon_business_report(sample_path("amazon_by_date")).report
    f = lf.Funnel.from_counts(funnel_counts(r)).to_frame()
    assert f["stage"].tolist() == ["sessions", "units_ordered"]
    assert f["users"].tolist() == [int(r["sessions"].sum()), int(r["units_ordered"].sum())]


def test_older_headers_and_percent_parsing() -> None:
    csv = (
        "(Parent) ASIN,(Child) ASIN,Title,SKU,Sessions,Session Percentage,Page Views,"
        "Buy Box Percentage,Units Ordered,Unit Session Percentage,Ordered Product Sales,"
        "Total Order Items\n"
        'P,C,Tea,T,"2,000",12.5%,"3,000",99%,40,2.00%,"£1,000.00",38\n'
        "Total,,,,,,,,,,,\n"
    )
    ab = read_amazon_business_report(io.StringIO(csv))
    r = ab.report
    assert r[["sessions", "page_views", "units_ordered", "total_order_items"]].iloc[0].tolist() == [
        2000, 3000, 40, 38,
    ]  # fmt: skip
    assert r["session_percentage"].iloc[0] == pytest.approx(0.125)
    assert r["buy_box_percentage"].iloc[0] == pytest.approx(0.99)
    assert r["ordered_product_sales"].iloc[0] == 1000.0
    assert "Ordered Product Sales in £" in ab.provenance.notes
    assert ab.provenance.inputs["rows"].rows_dropped == 1


def test_missing_header_did_you_mean() -> None:
    csv = "Date,Session - Total,Units Ordered,Ordered Product Sales\n"
    with pytest.raises(lf.ColumnNotFoundError, match=r"'Sessions - Total'[\s\S]*'Session - Total'"):
        read_amazon_business_report(io.StringIO(csv))


def test_result_frames_are_named() -> None:
    ab = read_amazon_business_report(sample_path("amazon_by_asin"))
    with pytest.raises(lf.ParameterError, match="no 'orders' frame"):
        _ = ab.orders
    assert ab.to_frame().equals(ab.report)
