"""TikTok Shop's order export CSV: one row per SKU of an order, rebuilt into orders and lines."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._accounting import RowAccounting
from ..results import Provenance
from ._common import (
    ExportResult,
    PathOrBuffer,
    parse_count,
    parse_money,
    parse_times,
    read_text_csv,
    require,
    text,
    warn_missing,
)

__all__ = ["TIKTOK_STATUS", "read_tiktok_shop_orders"]

_WHAT = "TikTok Shop orders export"
_REQUIRED = ("Order ID", "Order Status", "Created Time", "Quantity", "Order Amount")
_TIKTOK_TIME = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S")

#: TikTok's Order Status (lower-cased) → the library's order status, before refunds.
TIKTOK_STATUS: dict[str, str] = {
    "unpaid": "pending",
    "on hold": "pending",
    "awaiting shipment": "paid",
    "to ship": "paid",
    "awaiting collection": "paid",
    "partially shipping": "paid",
    "shipped": "paid",
    "in transit": "paid",
    "delivered": "paid",
    "completed": "paid",
    "cancelled": "voided",
    "canceled": "voided",
}


def read_tiktok_shop_orders(path: PathOrBuffer) -> ExportResult:
    """Read TikTok Shop's order export (Seller Center → Orders → Export) into orders and lines.

    Parameters
    ----------
    path
        The CSV. ``Order ID``, ``Order Status``, ``Created Time``, ``Quantity`` and
        ``Order Amount`` are required; ``Order Substatus``, ``Cancelation/Return Type``,
        ``SKU ID``, ``Seller SKU``, ``Product Name``, ``Variation``,
        ``SKU Subtotal After Discount``, ``Shipping Fee After Discount``, ``Taxes``,
        ``Order Refund Amount``, ``Paid Time``, ``Shipped Time``, ``Delivered Time``,
        ``Cancelled Time``, ``Buyer Username``, ``Country`` and ``Currency`` are read when
        present (without ``Currency``, the code amounts are written with, ``USD 12.00``).

    Returns
    -------
    ExportResult
        ``.orders``: ``order_id``, ``customer_id`` (Buyer Username), ``timestamp``
        (Created Time), ``paid_at``, ``shipped_at``, ``delivered_at``, ``cancelled_at``,
        ``revenue`` (Order Amount), ``refunded_amount``, ``net_revenue``, ``currency``,
        ``status``, ``order_status``, ``order_substatus``, ``country``, ``items``,
        ``lines``; ``.lines``: ``order_id``, ``line``, ``customer_id``, ``timestamp``,
        ``sku_id``, ``sku``, ``name``, ``variation``, ``quantity``, ``revenue``
        (SKU Subtotal After Discount, else Quantity * SKU Unit Original Price), ``currency``.

    Notes
    -----
    **What this relies on.** Headers as TikTok Shop's US/UK/SEA Seller Center writes them
    (one row per SKU; Order Amount, Order Refund Amount and the times repeated on every row
    of an order; the first value of an order is used). Times are written without a zone
    (``03/01/2026 10:15:30 AM``, month first, or ISO) and are read as UTC. A second
    header-like line of column descriptions, which some exports carry, is dropped (any row
    whose Order ID has no digit). Order IDs are stripped of the tab some exports append.

    **Status rule.** :data:`TIKTOK_STATUS` maps Order Status (``Unpaid`` → ``pending``;
    awaiting shipment to ``Completed`` → ``paid``; ``Cancelled`` → ``voided``; anything
    else → ``pending``, noted); then a paid order with Order Refund Amount ≥ Order Amount
    is ``refunded`` and one with a smaller positive refund ``partially_refunded``.

    Raises
    ------
    EmptyFrameError
        The export has no rows.
    ColumnNotFoundError
        A required header is missing or misspelt (with a did-you-mean).

    Examples
    --------
    >>> import io
    >>> csv = (
    ...     "Order ID,Order Status,Created Time,Quantity,SKU Subtotal After Discount,"
    ...     "Order Amount,Order Refund Amount\\n"
    ...     "576001\\t,Completed,03/01/2026 10:15:30 AM,2,$26.00,$30.00,$10.00\\n"
    ... )
    >>> tt = read_tiktok_shop_orders(io.StringIO(csv))
    >>> tt.orders[["order_id", "revenue", "refunded_amount", "status"]]
      order_id  revenue  refunded_amount              status
    0   576001     30.0             10.0  partially_refunded
    """
    raw = read_text_csv(path, what=_WHAT)
    require(raw, _REQUIRED, what=_WHAT)
    acc = RowAccounting(rows_in=len(raw))
    notes: list[str] = []
    oid = text(raw, "Order ID")
    describe = oid.notna() & ~oid.fillna("").str.contains(r"\d", regex=True)
    acc = acc.with_dropped("column-description rows", int(describe.sum()), column="Order ID")
    no_id = oid.isna()
    acc = acc.with_dropped("rows without an Order ID", int(no_id.sum()), column="Order ID")
    dup = raw.duplicated() & ~no_id & ~describe
    acc = acc.with_dropped("rows identical to an earlier row", int(dup.sum()))
    rows = raw[~describe & ~no_id & ~dup]
    oid = oid[rows.index]
    key = oid.to_numpy()

    def first(column: str) -> pd.Series:
        return text(rows, column).groupby(key, sort=False).first().reindex(order_ids)

    order_ids = pd.Index(pd.unique(key), name="order_id")
    amount, bad_amount = parse_money(first("Order Amount"))
    refund, bad_refund = parse_money(first("Order Refund Amount"))
    refund = refund.fillna(0.0)
    times = {}
    bad_times = 0
    for col in ("Created Time", "Paid Time", "Shipped Time", "Delivered Time", "Cancelled Time"):
        values, bad = parse_times(first(col), formats=_TIKTOK_TIME)
        bad_times += bad
        times[col] = values
    raw_status = first("Order Status")
    status_key = raw_status.str.lower()
    status = status_key.map(TIKTOK_STATUS).fillna("pending").astype(object)
    unknown = status_key.notna() & ~status_key.isin(list(TIKTOK_STATUS))
    if unknown.any():
        notes.append(
            f"{int(unknown.sum()):,} orders with an Order Status not in TIKTOK_STATUS "
            f"({', '.join(sorted(set(raw_status[unknown].dropna())))}) read as pending"
        )
    paid = (status == "paid").to_numpy()
    full = paid & (refund.to_numpy() > 0) & (refund.to_numpy() >= amount.to_numpy())
    part = paid & (refund.to_numpy() > 0) & ~full
    status[full] = "refunded"
    status[part] = "partially_refunded"

    qty, bad_qty = parse_count(text(rows, "Quantity"))
    line_rev, bad_line = parse_money(text(rows, "SKU Subtotal After Discount"))
    unit, bad_unit = parse_money(text(rows, "SKU Unit Original Price"))
    line_rev = line_rev.fillna(qty.astype("float64") * unit)
    bad_line += bad_unit
    buyer = first("Buyer Username")
    code = first("Order Amount").str.extract(r"([A-Za-z]{3})", expand=False).str.upper()
    currency = first("Currency").str.upper().fillna(code)
    lines = pd.DataFrame(
        {
            "order_id": key,
            "line": oid.groupby(key, sort=False).cumcount().to_numpy() + 1,
            "customer_id": buyer.reindex(key).to_numpy(),
            "timestamp": times["Created Time"].reindex(key).to_numpy(),
            "sku_id": text(rows, "SKU ID").to_numpy(),
            "sku": text(rows, "Seller SKU").to_numpy(),
            "name": text(rows, "Product Name").to_numpy(),
            "variation": text(rows, "Variation").to_numpy(),
            "quantity": qty.to_numpy(),
            "revenue": line_rev.to_numpy(),
            "currency": currency.reindex(key).to_numpy(),
        }
    )
    lines["timestamp"] = pd.to_datetime(lines["timestamp"], utc=True)
    orders = pd.DataFrame(
        {
            "order_id": order_ids.to_numpy(),
            "customer_id": buyer.to_numpy(),
            "timestamp": times["Created Time"].to_numpy(),
            "paid_at": times["Paid Time"].to_numpy(),
            "shipped_at": times["Shipped Time"].to_numpy(),
            "delivered_at": times["Delivered Time"].to_numpy(),
            "cancelled_at": times["Cancelled Time"].to_numpy(),
            "revenue": amount.to_numpy(),
            "refunded_amount": refund.to_numpy(),
            "net_revenue": (amount - refund).to_numpy(),
            "currency": currency.to_numpy(),
            "status": status.to_numpy(),
            "order_status": raw_status.to_numpy(),
            "order_substatus": first("Order Substatus").to_numpy(),
            "country": first("Country").to_numpy(),
            "items": lines.groupby("order_id", sort=False)["quantity"]
            .sum()
            .reindex(order_ids)
            .to_numpy(),
            "lines": lines.groupby("order_id", sort=False)
            .size()
            .reindex(order_ids)
            .to_numpy(dtype=np.int64),
        }
    )
    for col in ("timestamp", "paid_at", "shipped_at", "delivered_at", "cancelled_at"):
        orders[col] = pd.to_datetime(orders[col], utc=True)
    order_acc = RowAccounting(rows_in=len(orders))
    no_time = orders["timestamp"].isna()
    no_amount = orders["revenue"].isna() & ~no_time
    order_acc = order_acc.with_dropped(
        "orders without a readable Created Time", int(no_time.sum()), column="Created Time"
    ).with_dropped(
        "orders without a readable Order Amount", int(no_amount.sum()), column="Order Amount"
    )
    keep = ~no_time & ~no_amount
    dropped_ids = set(orders.loc[~keep, "order_id"])
    orders = orders[keep].reset_index(drop=True)
    lines = lines[~lines["order_id"].isin(dropped_ids)].reset_index(drop=True)
    bad = bad_amount + bad_refund + bad_qty + bad_line
    if bad:
        notes.append(f"{bad:,} unreadable money or quantity values read as missing")
    if bad_times:
        notes.append(f"{bad_times:,} unreadable times read as missing")
    notes.append("times read as UTC (the export writes them without a zone)")
    notes.append("status from Order Status and refunds (rule: linkstar_funnel.io.TIKTOK_STATUS)")
    warn_missing({"orders": orders, "lines": lines}, what=_WHAT)
    return ExportResult(
        "tiktok_shop",
        {"orders": orders, "lines": lines},
        Provenance(
            spec="read_tiktok_shop_orders",
            inputs={"rows": acc, "orders": order_acc},
            notes=tuple(notes),
        ),
    )
