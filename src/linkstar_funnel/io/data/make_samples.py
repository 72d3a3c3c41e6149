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


if __name__ == "__main__":
    rng = random.Random(SEED)
    shopify(rng)
    tiktok(rng)
    amazon(rng)
