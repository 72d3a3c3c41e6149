"""Write the small synthetic exports shipped beside this script (seeded, no network).

Run ``python make_samples.py`` in this folder to rebuild them. Each file follows its
platform's own layout: Shopify's "Export orders" CSV (one row per line item, order-level
fields on the first row only), TikTok Shop's order export (with its row of column
descriptions), Amazon's Business Report by date and by ASIN, and GA4's BigQuery export
(nested JSON lines as ``bq extract --destination_format=NEWLINE_DELIMITED_JSON`` writes
them, and the same rows as Parquet).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 21
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
PRODUCTS = [("SKU-TEA", "Green tea 100g", 12.5), ("SKU-MUG", "Stoneware mug", 18.0),
            ("SKU-POT", "Cast iron teapot", 64.0), ("SKU-SET", "Tasting set", 29.9)]  # fmt: skip
COUNTRIES = ["DE", "FR", "GB", "US", "NL"]

SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
    "Discount Code", "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity",
    "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku",
    "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status",
    "Billing Name", "Billing Country", "Shipping Name", "Shipping Country", "Notes",
    "Cancelled at", "Payment Method", "Refunded Amount", "Vendor", "Id", "Tags",
    "Risk Level", "Source",
]  # fmt: skip

TIKTOK_HEADER = [
    "Order ID", "Order Status", "Order Substatus", "Cancelation/Return Type", "SKU ID",
    "Seller SKU", "Product Name", "Variation", "Quantity", "SKU Unit Original Price",
    "SKU Subtotal Before Discount", "SKU Platform Discount", "SKU Seller Discount",
    "SKU Subtotal After Discount", "Shipping Fee After Discount", "Taxes", "Order Amount",
    "Order Refund Amount", "Created Time", "Paid Time", "RTS Time", "Shipped Time",
    "Delivered Time", "Cancelled Time", "Buyer Username", "Country", "Payment Method",
]  # fmt: skip


def _shopify_time(t: dt.datetime | None) -> str:
    return (
        ""
        if t is None
        else t.astimezone(dt.timezone(dt.timedelta(hours=1))).strftime("%Y-%m-%d %H:%M:%S %z")
    )


def _tiktok_time(t: dt.datetime | None) -> str:
    return "" if t is None else t.strftime("%m/%d/%Y %I:%M:%S %p")


def _money(x: float) -> str:
    return f"{x:,.2f}"


def shopify(rng: random.Random, n: int = 40) -> None:
    rows = []
    for i in range(n):
        created = START + dt.timedelta(hours=rng.uniform(0, 24 * 28))
        lines = rng.sample(PRODUCTS, rng.choice([1, 1, 2, 3]))
        qty = [rng.choice([1, 1, 2]) for _ in lines]
        subtotal = sum(q * p for q, (_, _, p) in zip(qty, lines, strict=True))
        shipping = 0.0 if subtotal > 50 else 4.9
        code, disc = ("WELCOME10", round(subtotal * 0.1, 2)) if rng.random() < 0.2 else ("", 0.0)
        total = round(subtotal - disc + shipping, 2)
        taxes = round(total * 0.19 / 1.19, 2)
        fin = rng.choices(
            ["paid", "partially_refunded", "refunded", "pending", "voided"], [30, 3, 3, 2, 2]
        )[0]
        paid = (
            created + dt.timedelta(minutes=1)
            if fin in {"paid", "partially_refunded", "refunded"}
            else None
        )
        shipped = (
            paid + dt.timedelta(hours=rng.uniform(6, 72)) if paid and rng.random() < 0.8 else None
        )
        refunded = {"refunded": total, "partially_refunded": round(total / 3, 2)}.get(fin, 0.0)
        cancelled = created + dt.timedelta(hours=2) if fin == "voided" else None
        country = rng.choice(COUNTRIES)
        customer = f"customer{rng.randint(1, 25)}@example.com"
        for j, ((sku, name, price), q) in enumerate(zip(lines, qty, strict=True)):
            row = dict.fromkeys(SHOPIFY_HEADER, "")
            row.update({"Name": f"#{1001 + i}", "Created at": _shopify_time(created),
                        "Lineitem quantity": str(q), "Lineitem name": name,
                        "Lineitem price": f"{price:.2f}", "Lineitem sku": sku,
                        "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                        "Lineitem fulfillment status": "fulfilled" if shipped else "pending",
                        "Vendor": "Linkstar Tea"})  # fmt: skip
            if j == 0:
                row.update({"Email": customer, "Financial Status": fin, "Paid at": _shopify_time(paid),
                            "Fulfillment Status": "fulfilled" if shipped else "unfulfilled",
                            "Fulfilled at": _shopify_time(shipped), "Accepts Marketing": "no",
                            "Currency": "EUR", "Subtotal": _money(subtotal),
                            "Shipping": _money(shipping), "Taxes": _money(taxes),
                            "Total": _money(total), "Discount Code": code,
                            "Discount Amount": _money(disc), "Shipping Method": "Standard",
                            "Billing Name": "A. Customer", "Billing Country": country,
                            "Shipping Name": "A. Customer", "Shipping Country": country,
                            "Cancelled at": _shopify_time(cancelled),
                            "Payment Method": "Shopify Payments", "Refunded Amount": _money(refunded),
                            "Id": str(5_000_000_000 + i), "Risk Level": "Low",
                            "Source": rng.choice(["web", "web", "shopify_draft_order", "pos"])})  # fmt: skip
            rows.append(row)
    with (HERE / "shopify_orders_export.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, SHOPIFY_HEADER)
        w.writeheader()
        w.writerows(rows)


def tiktok(rng: random.Random, n: int = 30) -> None:
    rows = [
        dict(
            zip(
                TIKTOK_HEADER,
                ["Platform unique order ID."] + ["Description"] * (len(TIKTOK_HEADER) - 1),
                strict=True,
            )
        )
    ]
    for i in range(n):
        created = START + dt.timedelta(hours=rng.uniform(0, 24 * 28))
        status = rng.choices(
            ["Completed", "Shipped", "To ship", "Unpaid", "Cancelled"], [20, 5, 3, 1, 2]
        )[0]
        lines = rng.sample(PRODUCTS, rng.choice([1, 1, 2]))
        qty = [rng.choice([1, 2]) for _ in lines]
        amount = round(sum(q * p for q, (_, _, p) in zip(qty, lines, strict=True)) + 3.99, 2)
        paid = created + dt.timedelta(minutes=2) if status not in {"Unpaid"} else None
        shipped = (
            paid + dt.timedelta(hours=rng.uniform(12, 60))
            if status in {"Completed", "Shipped"} and paid
            else None
        )
        delivered = (
            shipped + dt.timedelta(days=rng.uniform(2, 6))
            if status == "Completed" and shipped
            else None
        )
        cancelled = created + dt.timedelta(hours=5) if status == "Cancelled" else None
        refund = round(amount / 2, 2) if status == "Completed" and rng.random() < 0.15 else 0.0
        buyer = f"buyer_{rng.randint(1, 20)}"
        for (sku, name, price), q in zip(lines, qty, strict=True):
            row = dict.fromkeys(TIKTOK_HEADER, "")
            row.update({"Order ID": f"{576_460_000_000_000_000 + i * 7919}\t", "Order Status": status,
                        "Order Substatus": status, "SKU ID": str(1_729_000 + PRODUCTS.index((sku, name, price))),
                        "Seller SKU": sku, "Product Name": name, "Variation": "Default", "Quantity": str(q),
                        "SKU Unit Original Price": f"USD {price:.2f}",
                        "SKU Subtotal Before Discount": f"USD {q * price:.2f}", "SKU Platform Discount": "USD 0.00",
                        "SKU Seller Discount": "USD 0.00", "SKU Subtotal After Discount": f"USD {q * price:.2f}",
                        "Shipping Fee After Discount": "USD 3.99", "Taxes": "USD 0.00",
                        "Order Amount": f"USD {amount:.2f}", "Order Refund Amount": f"USD {refund:.2f}",
                        "Cancelation/Return Type": "Return/Refund" if refund else ("Cancel" if cancelled else ""),
                        "Created Time": _tiktok_time(created), "Paid Time": _tiktok_time(paid),
                        "Shipped Time": _tiktok_time(shipped), "Delivered Time": _tiktok_time(delivered),
                        "Cancelled Time": _tiktok_time(cancelled), "Buyer Username": buyer,
                        "Country": "United States", "Payment Method": "Credit card"})  # fmt: skip
            rows.append(row)
    with (HERE / "tiktok_shop_orders_export.csv").open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.DictWriter(f, TIKTOK_HEADER)
        w.writeheader()
        w.writerows(rows)


def amazon(rng: random.Random, days: int = 28) -> None:
    header = ["Date", "Ordered Product Sales", "Ordered Product Sales - B2B", "Units Ordered",
              "Units Ordered - B2B", "Total Order Items", "Total Order Items - B2B",
              "Average Sales per Order Item", "Average Units per Order Item",
              "Average Selling Price", "Sessions - Total", "Sessions - Total - B2B",
              "Page Views - Total", "Page Views - Total - B2B", "Unit Session Percentage",
              "Unit Session Percentage - B2B"]  # fmt: skip
    with (HERE / "amazon_business_report_by_date.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for d in range(days):
            day = START + dt.timedelta(days=d)
            sessions = rng.randint(900, 1500)
            units = rng.randint(60, 130)
            items = units - rng.randint(0, 8)
            sales = round(units * rng.uniform(18, 24), 2)
            views = int(sessions * rng.uniform(1.3, 1.7))
            w.writerow([day.strftime("%m/%d/%Y"), f"${sales:,.2f}", "$0.00", units, 0, items, 0,
                        f"${sales / items:,.2f}", f"{units / items:.2f}", f"${sales / units:,.2f}",
                        f"{sessions:,}", 0, f"{views:,}", 0, f"{100 * units / sessions:.2f}%", "0.00%"])  # fmt: skip
    header = ["(Parent) ASIN", "(Child) ASIN", "Title", "SKU", "Sessions - Mobile App",
              "Sessions - Browser", "Sessions - Total", "Session Percentage - Total",
              "Page Views - Total", "Page Views Percentage - Total",
              "Featured Offer (Buy Box) Percentage", "Units Ordered", "Unit Session Percentage",
              "Ordered Product Sales", "Total Order Items"]  # fmt: skip
    with (HERE / "amazon_business_report_by_asin.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for k, (sku, name, price) in enumerate(PRODUCTS):
            mobile, browser = rng.randint(3000, 9000), rng.randint(1000, 4000)
            sessions = mobile + browser
            units = int(sessions * rng.uniform(0.04, 0.12))
            views = int(sessions * 1.5)
            w.writerow([f"B0PARENT{k}", f"B0CHILD0{k}", name, sku, f"{mobile:,}", f"{browser:,}",
                        f"{sessions:,}", f"{100 * sessions / 40000:.2f}%", f"{views:,}", "3.10%",
                        f"{rng.uniform(85, 100):.2f}%", units, f"{100 * units / sessions:.2f}%",
                        f"${units * price:,.2f}", units - 2])  # fmt: skip


GA4_FUNNEL = ["view_item", "add_to_cart", "begin_checkout", "add_shipping_info",
             "add_payment_info", "purchase"]  # fmt: skip
GA4_SOURCES = [("google", "organic", "(organic)"), ("google", "cpc", "spring_sale"),
               ("newsletter", "email", "march_news"), ("(direct)", "(none)", "(direct)")]  # fmt: skip


def _param(key: str, value: object) -> dict[str, object]:
    """One event_params entry, typed as GA4 types it (BigQuery writes INT64 as a string)."""
    v: dict[str, object] = {"string_value": None, "int_value": None, "float_value": None,
                            "double_value": None}  # fmt: skip
    if isinstance(value, bool | int):
        v["int_value"] = str(int(value))
    elif isinstance(value, float):
        v["double_value"] = value
    else:
        v["string_value"] = str(value)
    return {"key": key, "value": v}


def ga4(rng: random.Random, n_users: int = 24) -> None:
    """GA4's BigQuery export rows (the documented nested schema, a subset of its fields)."""
    rows: list[dict[str, object]] = []
    for u in range(n_users):
        pseudo = f"{rng.randint(10**8, 10**9 - 1)}.{rng.randint(10**9, 2 * 10**9)}"
        login = f"cust-{u:03d}" if rng.random() < 0.3 else None
        device = rng.choice(["desktop", "mobile", "mobile", "tablet"])
        country = rng.choice(["Germany", "France", "United Kingdom", "United States"])
        first = START + dt.timedelta(hours=rng.uniform(0, 24 * 20))
        for s in range(rng.choice([1, 1, 2])):
            session = int(first.timestamp()) + s * 86_400
            t = first + dt.timedelta(days=s)
            src, med, camp = rng.choice(GA4_SOURCES)
            sku, name, price = rng.choice(PRODUCTS)
            depth = rng.choices(range(1, 7), [40, 20, 12, 8, 6, 14])[0]
            names = ["session_start", "page_view", *GA4_FUNNEL[:depth]]
            txn = f"T{u:03d}{s}" if depth == 6 else None
            for k, event in enumerate(names):
                t = t + dt.timedelta(seconds=rng.randint(5, 240) if k else 0)
                params = [_param("ga_session_id", session), _param("ga_session_number", s + 1),
                          _param("page_location", f"https://shop.example/{'checkout' if k > 3 else 'p/' + sku.lower()}"),
                          _param("engagement_time_msec", rng.randint(100, 9000))]  # fmt: skip
                if event in {"session_start", "page_view"} and src != "(direct)":
                    params += [
                        _param("source", src),
                        _param("medium", med),
                        _param("campaign", camp),
                    ]
                ecommerce = None
                items = []
                if event in GA4_FUNNEL:
                    params += [_param("currency", "EUR"), _param("value", float(price))]
                    items = [{"item_id": sku, "item_name": name, "item_brand": "Linkstar Tea",
                              "item_variant": None, "item_category": "Tea", "price_in_usd": price * 1.08,
                              "price": price, "quantity": "1", "item_revenue_in_usd": None,
                              "item_revenue": price if event == "purchase" else None,
                              "coupon": None, "affiliation": None, "item_list_name": None}]  # fmt: skip
                if event == "purchase":
                    params += [_param("transaction_id", txn)]
                    ecommerce = {"total_item_quantity": "1", "purchase_revenue_in_usd": price * 1.08,
                                 "purchase_revenue": price, "refund_value_in_usd": None,
                                 "refund_value": None, "shipping_value_in_usd": None,
                                 "shipping_value": None, "tax_value_in_usd": None, "tax_value": None,
                                 "unique_items": "1", "transaction_id": txn}  # fmt: skip
                ts = int(t.timestamp() * 1_000_000) + rng.randint(0, 999_999)
                rows.append({
                    "event_date": t.strftime("%Y%m%d"),
                    "event_timestamp": str(ts),
                    "event_name": event,
                    "event_params": params,
                    "event_previous_timestamp": None,
                    "event_value_in_usd": price * 1.08 if event == "purchase" else None,
                    "event_bundle_sequence_id": str(rng.randint(1, 10**6)),
                    "event_server_timestamp_offset": str(rng.randint(100, 900_000)),
                    "user_id": login,
                    "user_pseudo_id": pseudo,
                    "privacy_info": {"analytics_storage": "Yes", "ads_storage": "Yes", "uses_transient_token": "No"},
                    "user_properties": [],
                    "user_first_touch_timestamp": str(int(first.timestamp() * 1_000_000)),
                    "user_ltv": {"revenue": 0.0, "currency": "EUR"},
                    "device": {"category": device, "mobile_brand_name": None, "mobile_model_name": None,
                               "operating_system": "Android" if device == "mobile" else "Windows",
                               "language": "en-gb", "is_limited_ad_tracking": "No",
                               "web_info": {"browser": "Chrome", "browser_version": "122.0", "hostname": "shop.example"}},
                    "geo": {"city": "", "country": country, "continent": "Europe", "region": "",
                            "sub_continent": "", "metro": "(not set)"},
                    "app_info": None,
                    "traffic_source": {"name": GA4_SOURCES[u % 4][2], "medium": GA4_SOURCES[u % 4][1],
                                       "source": GA4_SOURCES[u % 4][0]},
                    "stream_id": "1234567890",
                    "platform": "WEB",
                    "event_dimensions": None,
                    "ecommerce": ecommerce,
                    "items": items,
                    "collected_traffic_source": {"manual_campaign_id": None, "manual_campaign_name": camp,
                                                 "manual_source": src, "manual_medium": med,
                                                 "manual_term": None, "manual_content": None,
                                                 "gclid": None, "dclid": None, "srsltid": None}
                    if k < 2 else None,
                    "is_active_user": True,
                })  # fmt: skip
    rows.sort(key=lambda r: int(str(r["event_timestamp"])))
    with (HERE / "ga4_events_export.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
    _ga4_parquet(rows)


def _ga4_parquet(rows: list[dict[str, object]]) -> None:
    """The same rows as Parquet, with the export's column types (INT64 as integers)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def ints(obj: object, key: str = "") -> object:
        if isinstance(obj, dict):
            return {k: ints(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [ints(v) for v in obj]
        int_keys = {"event_timestamp", "event_bundle_sequence_id", "event_server_timestamp_offset",
                    "user_first_touch_timestamp", "int_value", "quantity", "total_item_quantity",
                    "unique_items"}  # fmt: skip
        if key in int_keys and isinstance(obj, str):
            return int(obj)
        return obj

    value = pa.struct([("string_value", pa.string()), ("int_value", pa.int64()),
                       ("float_value", pa.float64()), ("double_value", pa.float64())])  # fmt: skip
    params = pa.list_(pa.struct([("key", pa.string()), ("value", value)]))
    table = pa.Table.from_pylist([ints(r) for r in rows])
    table = table.set_column(
        table.schema.get_field_index("event_params"), "event_params",
        pa.array([ints(r["event_params"]) for r in rows], type=params),
    )  # fmt: skip
    for name in ("user_properties", "app_info", "event_dimensions", "event_previous_timestamp"):
        table = table.drop_columns(name)
    pq.write_table(table, HERE / "ga4_events_export.parquet", compression="zstd")


if __name__ == "__main__":
    rng = random.Random(SEED)
    shopify(rng)
    tiktok(rng)
    amazon(rng)
    ga4(rng)
