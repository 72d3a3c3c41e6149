"""Shopify's "Export orders" CSV: one row per line item, rebuilt into orders and lines."""

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

__all__ = ["SHOPIFY_STATUS", "read_shopify_orders"]

_WHAT = "Shopify orders export"
_REQUIRED = ("Name", "Created at", "Total", "Lineitem quantity", "Lineitem price")
_SHOPIFY_TIME = ("%Y-%m-%d %H:%M:%S %z",)

#: Shopify's Financial Status → the library's order status (anything else: ``"pending"``).
SHOPIFY_STATUS: dict[str, str] = {
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "expired": "voided",
    "pending": "pending",
    "authorized": "pending",
    "partially_paid": "pending",
    "unpaid": "pending",
}


def _repeated_blocks(rows: pd.DataFrame, name: pd.Series) -> pd.Series:
    """Rows of an order block (its first row with order fields, then its line rows) that
    repeat an earlier block of the same order row for row (an export pasted twice)."""
    head = text(rows, "Total").notna() | text(rows, "Financial Status").notna()
    block = head.astype(np.int64).groupby(name.to_numpy(), sort=False).cumsum().to_numpy()
    row_hash = pd.util.hash_pandas_object(rows.fillna(""), index=False).to_numpy(np.uint64)
    group, _ = pd.factorize(pd.MultiIndex.from_arrays([name.to_numpy(), block]))
    pos = pd.Series(group).groupby(group).cumcount().to_numpy().astype(np.uint64)
    # a block's signature: its rows' hashes, each mixed with its position (wrapping sums)
    with np.errstate(over="ignore"):
        mixed = row_hash * (np.uint64(2) * pos + np.uint64(1)) + pos * np.uint64(0x9E3779B97F4A7C15)
    signature = np.zeros(group.max() + 1 if len(group) else 0, dtype=np.uint64)
    np.add.at(signature, group, mixed)
    length = np.bincount(group)
    _, first_row = np.unique(group, return_index=True)  # each block once, rows in any order
    blocks = pd.DataFrame(
        {"name": name.to_numpy()[first_row], "sig": signature, "n": length,
         "group": np.arange(len(signature))}
    ).iloc[np.argsort(first_row, kind="stable")]  # fmt: skip
    repeated_groups = blocks.loc[blocks.duplicated(subset=["name", "sig", "n"]), "group"]
    return pd.Series(np.isin(group, repeated_groups.to_numpy()), index=rows.index, dtype=bool)


def read_shopify_orders(path: PathOrBuffer) -> ExportResult:
    """Read Shopify's "Export orders" CSV into an orders frame and a lines frame.

    The export has one row per line item; order-level fields (Email, Financial Status,
    Paid at, Total...) are filled on an order's first row only. Rows are grouped by
    ``Name`` (the order number, ``#1001``) and each order takes its order-level fields
    from its first row that has them.

    Parameters
    ----------
    path
        The CSV file (a path or an open file). Headers are Shopify's own: ``Name``,
        ``Created at``, ``Total``, ``Lineitem quantity`` and ``Lineitem price`` are
        required; ``Email``, ``Financial Status``, ``Fulfillment Status``, ``Paid at``,
        ``Fulfilled at``, ``Cancelled at``, ``Currency``, ``Subtotal``, ``Shipping``,
        ``Taxes``, ``Discount Code``, ``Discount Amount``, ``Refunded Amount``,
        ``Lineitem name``, ``Lineitem sku``, ``Billing Country``, ``Shipping Country``
        and ``Source`` are read when present.

    Returns
    -------
    ExportResult
        ``.orders``: one row per order with ``order_id``, ``customer_id`` (the e-mail,
        lower-cased), ``timestamp`` (Created at, UTC), ``paid_at``, ``shipped_at``
        (Fulfilled at), ``cancelled_at``, ``revenue`` (Total), ``refunded_amount``,
        ``net_revenue`` (Total - Refunded Amount), ``subtotal``, ``shipping``, ``taxes``,
        ``discount``, ``discount_code``, ``currency``, ``status``, ``financial_status``,
        ``fulfillment_status``, ``country`` (shipping country, else billing), ``source``,
        ``items`` (units) and ``lines``; ``.lines``: ``order_id``, ``line``,
        ``customer_id``, ``timestamp``, ``name``, ``sku``, ``quantity``, ``price``,
        ``revenue`` (quantity * price), ``currency``.

    Notes
    -----
    **Status rule.** ``status`` maps Shopify's Financial Status through
    :data:`SHOPIFY_STATUS`: ``paid``; ``partially_refunded``; ``refunded``; ``voided``
    (also ``expired``); ``pending`` (also ``authorized``, ``partially_paid``, ``unpaid``
    and any status not listed, counted in the provenance notes). An order with a
    ``Cancelled at`` time and nothing paid is ``voided``.

    **Money.** ``"$1,234.56"``, ``"1.234,56"``, ``"12"`` are read; an empty Refunded
    Amount, Shipping, Taxes or Discount is 0; an order without a readable Total is dropped.

    **Dropped rows** (counted in ``provenance``): rows without ``Name``; an order's block of
    rows (its row with order fields and the line rows after it) repeating an earlier block of
    the same order row for row (an export pasted twice; two identical line items inside one
    block are kept), orders without a readable ``Created at`` or
    ``Total``.

    Raises
    ------
    EmptyFrameError
        The export has no rows.
    ColumnNotFoundError
        A required header is missing or misspelt (the message suggests the close ones).
    ParameterError
        The file does not exist or is not CSV.

    Examples
    --------
    >>> import io
    >>> csv = (
    ...     "Name,Email,Financial Status,Created at,Currency,Total,Refunded Amount,"
    ...     "Lineitem quantity,Lineitem name,Lineitem price\\n"
    ...     "#1001,a@x.com,paid,2026-03-01 10:00:00 +0100,EUR,\\"1,050.00\\",0.00,1,Tea,1000.00\\n"
    ...     "#1001,,,2026-03-01 10:00:00 +0100,,,,2,Mug,25.00\\n"
    ... )
    >>> od = read_shopify_orders(io.StringIO(csv))
    >>> od.orders[["order_id", "customer_id", "revenue", "status", "items", "lines"]]
      order_id customer_id  revenue status  items  lines
    0    #1001     a@x.com   1050.0   paid      3      2
    >>> str(od.orders["timestamp"].iloc[0])
    '2026-03-01 09:00:00+00:00'
    """
    raw = read_text_csv(path, what=_WHAT)
    require(raw, _REQUIRED, what=_WHAT)
    acc = RowAccounting(rows_in=len(raw))
    notes: list[str] = []

    name = text(raw, "Name")
    no_name = name.isna()
    acc = acc.with_dropped("rows without an order Name", int(no_name.sum()), column="Name")
    dup = _repeated_blocks(raw[~no_name], name[~no_name]).reindex(raw.index, fill_value=False)
    acc = acc.with_dropped("rows of an order repeated in the file", int(dup.sum()))
    rows = raw[~no_name & ~dup]
    name = name[rows.index]

    # order-level fields: the first non-empty value within each order
    def first(column: str) -> pd.Series:
        return text(rows, column).groupby(name.to_numpy(), sort=False).first()

    order_ids = pd.Index(pd.unique(name.to_numpy()), name="order_id")
    total, bad_total = parse_money(first("Total").reindex(order_ids))
    created, bad_created = parse_times(
        first("Created at").reindex(order_ids), formats=_SHOPIFY_TIME
    )
    money = {}
    bad_money = 0
    for col in ("Subtotal", "Shipping", "Taxes", "Discount Amount", "Refunded Amount"):
        values, bad = parse_money(first(col).reindex(order_ids))
        bad_money += bad
        money[col] = values.fillna(0.0) if col != "Subtotal" else values
    times = {}
    bad_times = 0
    for col in ("Paid at", "Fulfilled at", "Cancelled at"):
        values, bad = parse_times(first(col).reindex(order_ids), formats=_SHOPIFY_TIME)
        bad_times += bad
        times[col] = values

    fin = first("Financial Status").reindex(order_ids).str.lower()
    status = fin.map(SHOPIFY_STATUS).fillna("pending").astype(object)
    unknown = fin.notna() & ~fin.isin(list(SHOPIFY_STATUS))
    if unknown.any():
        notes.append(
            f"{int(unknown.sum()):,} orders with a Financial Status not in SHOPIFY_STATUS "
            f"({', '.join(sorted(set(fin[unknown].dropna())))}) read as pending"
        )
    cancelled_unpaid = times["Cancelled at"].notna().to_numpy() & (status == "pending").to_numpy()
    status[cancelled_unpaid] = "voided"

    # line items
    qty, bad_qty = parse_count(text(rows, "Lineitem quantity"))
    price, bad_price = parse_money(text(rows, "Lineitem price"))
    email = first("Email").reindex(order_ids).str.lower()
    currency = first("Currency").reindex(order_ids).str.upper()
    line_order = name.to_numpy()
    lines = pd.DataFrame(
        {
            "order_id": line_order,
            "line": name.groupby(line_order, sort=False).cumcount().to_numpy() + 1,
            "customer_id": email.reindex(line_order).to_numpy(),
            "timestamp": created.reindex(line_order).to_numpy(),
            "name": text(rows, "Lineitem name").to_numpy(),
            "sku": text(rows, "Lineitem sku").to_numpy(),
            "quantity": qty.to_numpy(),
            "price": price.to_numpy(),
            "revenue": (qty.astype("float64") * price).to_numpy(),
            "currency": currency.reindex(line_order).to_numpy(),
        }
    )
    lines["timestamp"] = pd.to_datetime(lines["timestamp"], utc=True)
    items = lines.groupby("order_id", sort=False)["quantity"].sum().reindex(order_ids)
    line_sum = lines.groupby("order_id", sort=False)["revenue"].sum(min_count=1).reindex(order_ids)
    money["Subtotal"] = money["Subtotal"].fillna(line_sum)
    n_lines = lines.groupby("order_id", sort=False).size().reindex(order_ids)

    shipping_country = first("Shipping Country").reindex(order_ids)
    country = shipping_country.fillna(first("Billing Country").reindex(order_ids))
    orders = pd.DataFrame(
        {
            "order_id": order_ids.to_numpy(),
            "customer_id": email.to_numpy(),
            "timestamp": created.to_numpy(),
            "paid_at": times["Paid at"].to_numpy(),
            "shipped_at": times["Fulfilled at"].to_numpy(),
            "cancelled_at": times["Cancelled at"].to_numpy(),
            "revenue": total.to_numpy(),
            "refunded_amount": money["Refunded Amount"].to_numpy(),
            "net_revenue": (total - money["Refunded Amount"]).to_numpy(),
            "subtotal": money["Subtotal"].to_numpy(),
            "shipping": money["Shipping"].to_numpy(),
            "taxes": money["Taxes"].to_numpy(),
            "discount": money["Discount Amount"].to_numpy(),
            "discount_code": first("Discount Code").reindex(order_ids).to_numpy(),
            "currency": currency.to_numpy(),
            "status": status.to_numpy(),
            "financial_status": fin.to_numpy(),
            "fulfillment_status": first("Fulfillment Status")
            .reindex(order_ids)
            .str.lower()
            .to_numpy(),
            "country": country.to_numpy(),
            "source": first("Source").reindex(order_ids).to_numpy(),
            "items": items.to_numpy(),
            "lines": n_lines.to_numpy(dtype=np.int64),
        }
    )
    for col in ("timestamp", "paid_at", "shipped_at", "cancelled_at"):
        orders[col] = pd.to_datetime(orders[col], utc=True)

    order_acc = RowAccounting(rows_in=len(orders))
    keep = orders["timestamp"].notna() & orders["revenue"].notna()
    order_acc = order_acc.with_dropped(
        "orders without a readable Created at", int(orders["timestamp"].isna().sum()),
        column="Created at",
    ).with_dropped(
        "orders without a readable Total",
        int((orders["timestamp"].notna() & orders["revenue"].isna()).sum()),
        column="Total",
    )  # fmt: skip
    dropped_ids = set(orders.loc[~keep, "order_id"])
    orders = orders[keep].reset_index(drop=True)
    lines = lines[~lines["order_id"].isin(dropped_ids)].reset_index(drop=True)
    if bad_total + bad_created:
        notes.append(f"{bad_total + bad_created:,} unreadable Total / Created at values")
    if bad_money + bad_price + bad_qty:
        notes.append(
            f"{bad_money + bad_price + bad_qty:,} unreadable money or quantity values read as missing"
        )
    if bad_times:
        notes.append(
            f"{bad_times:,} unreadable Paid at / Fulfilled at / Cancelled at values read as missing"
        )
    no_email = int(orders["customer_id"].isna().sum())
    if no_email:
        notes.append(f"{no_email:,} orders without Email: customer_id is missing")
    currencies = sorted(set(orders["currency"].dropna()))
    if len(currencies) > 1:
        notes.append(f"several currencies in one export: {', '.join(currencies)}")
    notes.append("status from Financial Status (rule: linkstar_funnel.io.SHOPIFY_STATUS)")
    provenance = Provenance(
        spec="read_shopify_orders",
        inputs={"rows": acc, "orders": order_acc},
        notes=tuple(notes),
    )
    warn_missing({"orders": orders, "lines": lines}, what=_WHAT)
    return ExportResult("shopify", {"orders": orders, "lines": lines}, provenance)
