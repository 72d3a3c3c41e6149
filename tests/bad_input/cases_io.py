"""Bad-input cases of the export readers (``linkstar_funnel.io``).

A reader takes a file, not a frame: each case holds the shipped sample export as a frame
of its cells, and its call writes that frame back out (CSV, or JSON lines for GA4) and reads
it. Corrupting a column of the frame is corrupting that column of the file.
"""

from __future__ import annotations

import functools
import io
import json

import pandas as pd

import linkstar_funnel as lf
import linkstar_funnel.io as lio

from .cases import Case, Frames

#: Public callables of the area not driven here, with the reason (only once ``lf.io`` is
#: exported at the top level, where the entry-point walk finds them).
EXEMPT: dict[str, str] = (
    {"io.ExportResult": "result record: built by the readers from the files they read"}
    if "io" in lf.__all__
    else {}
)


def _csv(frame: pd.DataFrame) -> io.StringIO:
    return io.StringIO(frame.to_csv(index=False))


@functools.cache
def _sample(name: str) -> pd.DataFrame:
    return pd.read_csv(lio.sample_path(name), dtype=str, encoding="utf-8-sig")


def shopify() -> Frames:
    return {"export": _sample("shopify").copy()}


def tiktok() -> Frames:
    return {"export": _sample("tiktok_shop").copy()}


def amazon() -> Frames:
    return {"export": _sample("amazon_by_date").copy()}


def amazon_report() -> Frames:
    return {"report": lio.read_amazon_business_report(lio.sample_path("amazon_by_asin")).report}


@functools.cache
def _ga4_rows() -> tuple[str, ...]:
    return tuple(lio.sample_path("ga4_jsonl").read_text(encoding="utf-8").splitlines()[:60])


def ga4() -> Frames:
    return {"export": pd.DataFrame([json.loads(line) for line in _ga4_rows()])}


def _read_ga4(export: pd.DataFrame, **params: object) -> lio.ExportResult:
    text = export.to_json(orient="records", lines=True, date_format="iso")
    return lio.read_ga4(io.StringIO(text), **params)  # type: ignore[arg-type]


class _GA4Events:
    """What the GA4 case checks: the columns the reader computes (event parameters absent
    from an event, such as ``value`` on a page view, pass through as missing by design)."""

    def __init__(self, result: lio.ExportResult) -> None:
        self.result = result

    def to_frame(self) -> pd.DataFrame:
        return self.result.events.drop(columns=["value", "revenue"])


CASES: list[Case] = [
    Case(
        "io_shopify_orders",
        lambda export: lio.read_shopify_orders(_csv(export)),
        (lio.read_shopify_orders,),
        frames=shopify,
        columns={
            "export": (
                "Name",
                "Email",
                "Financial Status",
                "Paid at",
                "Created at",
                "Total",
                "Refunded Amount",
                "Lineitem quantity",
                "Lineitem price",
                "Currency",
                "Shipping Country",
            )
        },
    ),
    Case(
        "io_tiktok_shop_orders",
        lambda export: lio.read_tiktok_shop_orders(_csv(export)),
        (lio.read_tiktok_shop_orders,),
        frames=tiktok,
        columns={
            "export": (
                "Order ID",
                "Order Status",
                "Created Time",
                "Paid Time",
                "Quantity",
                "Order Amount",
                "Order Refund Amount",
                "SKU Subtotal After Discount",
                "Buyer Username",
            )
        },
    ),
    Case(
        "io_amazon_business_report",
        lambda export: lio.read_amazon_business_report(_csv(export)),
        (lio.read_amazon_business_report,),
        frames=amazon,
        columns={
            "export": (
                "Date",
                "Sessions - Total",
                "Units Ordered",
                "Ordered Product Sales",
                "Unit Session Percentage",
                "Page Views - Total",
            )
        },
    ),
    Case(
        "io_ga4",
        lambda export, **params: _GA4Events(_read_ga4(export, **params)),
        (lio.read_ga4,),
        frames=ga4,
        params={"user": "auto", "params": ["engagement_time_msec"]},
        columns={
            "export": (
                "event_timestamp",
                "event_name",
                "user_pseudo_id",
                "user_id",
                "event_params",
                "device",
                "geo",
                "ecommerce",
            )
        },
    ),
    Case(
        "io_ga4_path",
        lambda path, **params: _GA4Events(lio.read_ga4(path, **params)),
        (lio.read_ga4,),
        params={"path": lio.sample_path("ga4_parquet"), "user": "user_pseudo_id"},
        fixed=("user",),
    ),
    Case(
        "io_reader_paths",
        lio.read_shopify_orders,
        (lio.read_shopify_orders,),
        params={"path": lio.sample_path("shopify")},
    ),
    Case("io_sample_path", lio.sample_path, (lio.sample_path,), params={"name": "shopify"}),
    Case(
        "io_funnel_counts",
        lio.funnel_counts,
        (lio.funnel_counts,),
        frames=amazon_report,
        columns={"report": ("sessions", "units_ordered")},
    ),
]
