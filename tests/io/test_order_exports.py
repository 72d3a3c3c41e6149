"""Shopify and TikTok Shop order exports: the shipped samples, edge cases, round trips."""

from __future__ import annotations

import io
import warnings

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.io import read_shopify_orders, read_tiktok_shop_orders, sample_path
from linkstar_funnel.io._common import parse_money

SHOP_HEAD = (
    "Name,Email,Financial Status,Paid at,Fulfilled at,Created at,Currency,Subtotal,Total,"
    "Refunded Amount,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,"
    "Shipping Country,Billing Country\n"
)


def _shop(body: str, head: str = SHOP_HEAD) -> lf.io.ExportResult:
    return read_shopify_orders(io.StringIO(head + body))


def test_shopify_sample_rebuilds_orders_from_line_rows() -> None:
    od = read_shopify_orders(sample_path("shopify"))
    raw = pd.read_csv(sample_path("shopify"), dtype=str)
    assert len(od.lines) == len(raw)
    assert od.orders["order_id"].is_unique
    assert set(od.orders["order_id"]) == set(raw["Name"])
    assert od.orders["lines"].sum() == len(raw)
    # order-level fields from the first row of each order
    firsts = raw.dropna(subset=["Financial Status"]).set_index("Name")
    got = od.orders.set_index("order_id")
    assert got["customer_id"].to_dict() == firsts["Email"].str.lower().to_dict()
    assert got["revenue"].to_dict() == firsts["Total"].str.replace(",", "").astype(float).to_dict()
    assert str(od.orders["timestamp"].dtype) == "datetime64[us, UTC]"
    assert set(od.orders["status"]) <= {
        "paid",
        "partially_refunded",
        "refunded",
        "voided",
        "pending",
    }
    assert od.provenance.rows_dropped == 0
    lf.check_result(od)


def test_shopify_status_rule() -> None:
    rows = [
        ("#1", "paid", ""),
        ("#2", "partially_refunded", ""),
        ("#3", "refunded", ""),
        ("#4", "voided", ""),
        ("#5", "expired", ""),
        ("#6", "authorized", ""),
        ("#7", "pending", "2026-03-02 00:00:00 +0000"),
        ("#8", "Paid", ""),
    ]
    head = "Name,Financial Status,Cancelled at,Created at,Total,Lineitem quantity,Lineitem price\n"
    body = "".join(f"{n},{s},{c},2026-03-01 00:00:00 +0000,10,1,10\n" for n, s, c in rows)
    od = read_shopify_orders(io.StringIO(head + body))
    assert od.orders["status"].tolist() == [
        "paid", "partially_refunded", "refunded", "voided", "voided", "pending", "voided", "paid",
    ]  # fmt: skip


def test_shopify_unknown_status_is_pending_and_noted() -> None:
    head = "Name,Financial Status,Created at,Total,Lineitem quantity,Lineitem price\n"
    od = read_shopify_orders(io.StringIO(head + "#1,on_hold,2026-03-01 00:00:00 +0000,1,1,1\n"))
    assert od.orders["status"].tolist() == ["pending"]
    assert any("on_hold" in n for n in od.provenance.notes)


def test_shopify_bom_thousands_currency_and_empty_money() -> None:
    body = (
        '#1001,a@x.com,paid,2026-03-01 10:00:00 +0100,,2026-03-01 09:59:00 +0100,EUR,"1.050,00",'
        '"1.050,00",,1,Tea,"1.050,00",T,,DE\n'
        "#1002,b@x.com,partially_refunded,,,2026-03-02 09:59:00 +0100,USD,$20.00,$20.00,$5.00,"
        "2,Mug,$10.00,M,US,US\n"
    )
    od = read_shopify_orders(io.StringIO("\ufeff" + SHOP_HEAD + body))
    o = od.orders.set_index("order_id")
    assert o.loc["#1001", "revenue"] == 1050.0
    assert o.loc["#1001", "refunded_amount"] == 0.0  # empty money is 0 for a refund
    assert o.loc["#1002", "net_revenue"] == 15.0
    assert o.loc["#1001", "country"] == "DE"  # billing country when no shipping one
    assert o.loc["#1001", "paid_at"] == pd.Timestamp("2026-03-01 09:00", tz="UTC")
    assert any("several currencies" in n for n in od.provenance.notes)


def test_shopify_duplicated_rows_and_rows_without_name_are_dropped_and_counted() -> None:
    line = "#1,a@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,10,10,0,1,Tea,10,T,DE,DE\n"
    extra = "#1,,,,,2026-03-01 00:00:00 +0000,,,,,2,Mug,5,M,,\n"
    od = _shop(line + extra + line + extra + ",x@x.com,paid,,,,EUR,1,1,0,1,Tea,1,T,DE,DE\n")
    assert od.orders["items"].tolist() == [3]
    assert len(od.lines) == 2
    dropped = od.provenance.dropped_frame().set_index("reason")["rows"].to_dict()
    assert dropped == {"rows without an order Name": 1, "rows of an order repeated in the file": 2}


def test_shopify_orders_without_a_total_are_dropped_with_a_warning_free_result() -> None:
    body = "#1,a@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,10,,0,1,Tea,10,T,DE,DE\n"
    body += "#2,a@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,10,10,0,1,Tea,10,T,DE,DE\n"
    od = _shop(body)
    assert od.orders["order_id"].tolist() == ["#2"]
    assert od.lines["order_id"].tolist() == ["#2"]
    assert od.provenance.inputs["orders"].rows_dropped == 1


def test_shopify_missing_cells_are_named_in_a_warning() -> None:
    body = "#1,a@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,10,10,0,1,Tea,,T,DE,DE\n"
    with pytest.warns(lf.DataQualityWarning, match=r"lines\.price \(1\)"):
        _shop(body)


def test_shopify_misspelt_header_gets_a_did_you_mean() -> None:
    head = SHOP_HEAD.replace("Lineitem quantity", "Lineitem qty")
    with pytest.raises(lf.ColumnNotFoundError, match=r"'Lineitem quantity'[\s\S]*'Lineitem qty'"):
        _shop("", head)


def test_shopify_file_errors() -> None:
    with pytest.raises(lf.ParameterError, match="does not exist"):
        read_shopify_orders("/no/such/orders.csv")
    with pytest.raises(lf.ParameterError, match="file path or an open file"):
        read_shopify_orders(3)  # type: ignore[arg-type]


def test_shopify_orders_into_a_timeline_and_rfm() -> None:
    od = read_shopify_orders(sample_path("shopify"))
    tl = lf.orders.Timeline.from_columns(
        od.orders, steps={"paid": "paid_at", "shipped": "shipped_at"}, cancelled="cancelled_at"
    )
    assert tl.events()["order_id"].nunique() <= len(od.orders)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        lead = tl.lead_times().to_frame()
    paid = od.orders["paid_at"].notna()
    assert int(lead.loc[0, "orders"]) == int(paid.sum())
    assert int(lead.loc[0, "completed"]) == int((paid & od.orders["shipped_at"].notna()).sum())


def test_tiktok_sample() -> None:
    tt = read_tiktok_shop_orders(sample_path("tiktok_shop"))
    raw = pd.read_csv(sample_path("tiktok_shop"), dtype=str, encoding="utf-8-sig")
    assert len(tt.lines) == len(raw) - 1  # the row of column descriptions
    assert tt.provenance.dropped_frame()["reason"].tolist() == ["column-description rows"]
    assert not tt.orders["order_id"].str.contains("\t").any()
    assert set(tt.orders["currency"]) == {"USD"}
    amounts = raw.iloc[1:].groupby(raw["Order ID"].str.strip())["Order Amount"].first()
    got = tt.orders.set_index("order_id")["revenue"]
    assert got.to_dict() == amounts.str.removeprefix("USD ").astype(float).to_dict()
    done = tt.orders["order_status"] == "Completed"
    assert tt.orders.loc[done, "delivered_at"].notna().all()
    lf.check_result(tt)


def test_tiktok_status_rule() -> None:
    head = "Order ID,Order Status,Created Time,Quantity,Order Amount,Order Refund Amount,SKU Subtotal After Discount\n"
    rows = [("1", "Unpaid", "0"), ("2", "Awaiting shipment", "0"), ("3", "Completed", "30"),
            ("4", "Completed", "5"), ("5", "Cancelled", "0"), ("6", "In transit", "")]  # fmt: skip
    body = "".join(f"{i},{s},2026-03-01 10:00:00,1,30,{r},30\n" for i, s, r in rows)
    tt = read_tiktok_shop_orders(io.StringIO(head + body))
    assert tt.orders["status"].tolist() == [
        "pending", "paid", "refunded", "partially_refunded", "voided", "paid",
    ]  # fmt: skip


def test_tiktok_missing_header_gets_a_did_you_mean() -> None:
    head = "Order ID,Order status,Created Time,Quantity,Order Amount\n"
    with pytest.raises(lf.ColumnNotFoundError, match=r"'Order Status'[\s\S]*'Order status'"):
        read_tiktok_shop_orders(io.StringIO(head))


def test_tiktok_orders_into_a_timeline() -> None:
    tt = read_tiktok_shop_orders(sample_path("tiktok_shop"))
    tl = lf.orders.Timeline.from_columns(
        tt.orders,
        steps={"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"},
        cancelled="cancelled_at",
    )
    rates = tl.rates().to_frame().set_index("outcome")
    paid_and_cancelled = tt.orders["paid_at"].notna() & tt.orders["cancelled_at"].notna()
    assert int(rates.loc["cancelled", "successes"]) == int(paid_and_cancelled.sum())


@pytest.mark.parametrize(
    ("raw", "value"),
    [("$1,234.56", 1234.56), ("1.234,56 €", 1234.56), ("USD 12", 12.0), ("(5.00)", -5.0),
     ("-3.5", -3.5), ("£0.99", 0.99), ("1,5", 1.5), ("1,234", 1234.0), ("12", 12.0)],
)  # fmt: skip
def test_money_strings(raw: str, value: float) -> None:
    got, bad = parse_money(pd.Series([raw]))
    assert bad == 0
    assert got.iloc[0] == pytest.approx(value)


def test_money_unreadable_and_empty() -> None:
    got, bad = parse_money(pd.Series(["abc", None, "", "7"]))
    assert bad == 1
    assert got.isna().tolist() == [True, True, True, False]


@pytest.mark.parametrize(
    ("read", "text"),
    [
        (read_shopify_orders, SHOP_HEAD),
        (read_tiktok_shop_orders, "Order ID,Order Status,Created Time,Quantity,Order Amount\n"),
        (lf.io.read_amazon_business_report, "Sessions,Units Ordered,Ordered Product Sales\n"),
        (lf.io.read_ga4, ""),
        (read_shopify_orders, ""),
    ],
)
def test_an_export_without_rows_is_an_empty_frame_error(read: object, text: str) -> None:
    with pytest.raises(lf.EmptyFrameError, match=r"no rows|is empty"):
        read(io.StringIO(text))  # type: ignore[operator]


def test_shopify_identical_lines_of_one_order_are_kept_and_interleaved_orders_read() -> None:
    a1 = "#1,a@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,20,20,0,1,Tea,10,T,DE,DE\n"
    a2 = "#1,,,,,2026-03-01 00:00:00 +0000,,,,,1,Tea,10,T,,\n"
    b1 = "#2,b@x.com,paid,,,2026-03-01 00:00:00 +0000,EUR,5,5,0,1,Mug,5,M,DE,DE\n"
    od = _shop(a1 + b1 + a2 + a2.replace("1,Tea,10", "2,Tea,10"))
    assert od.orders["items"].tolist() == [4, 1]
    assert od.provenance.rows_dropped == 0
