"""The bundled UCI "Online Retail" data set: a loader and an order-level view."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from ..errors import DatasetError
from ..schema import RowAccounting

__all__ = ["load_online_retail", "online_retail_orders"]

_PACKAGE = "linkstar_funnel.datasets"
_FILE = "online_retail.parquet"
_COLUMNS = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
#: Stock codes that are charges, fees or adjustments, not products (plus ``gift_*`` vouchers).
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "M", "m", "C2", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"}
)
#: The retailer's zone: ``InvoiceDate`` is a naive wall-clock time in it.
RETAILER_TIME_ZONE = "Europe/London"


def load_online_retail() -> pd.DataFrame:
    """Load the UCI "Online Retail" transactions, unchanged: 541,909 invoice lines.

    All transactions of a UK-based online retailer selling to customers in 37 countries,
    2010-12-01 to 2011-12-09. It is real and messy on purpose: about 25% of rows have no
    ``CustomerID``, invoices starting with ``C`` are cancellations (negative
    ``Quantity``), some ``UnitPrice`` values are 0 or negative, and some ``StockCode``
    values are postage, fees or manual adjustments rather than products. See
    :func:`online_retail_orders` for a cleaned, order-level view.

    Returns
    -------
    pandas.DataFrame
        A fresh frame (safe to modify) with one row per invoice line and the columns
        ``InvoiceNo`` (str), ``StockCode`` (str), ``Description`` (str, may be missing),
        ``Quantity`` (float), ``InvoiceDate`` (naive timestamp, the retailer's local time,
        Europe/London), ``UnitPrice`` (float, pounds sterling), ``CustomerID`` (float,
        missing on about 25% of rows) and ``Country`` (str).

    Raises
    ------
    DatasetError
        The bundled Parquet file is missing or unreadable (a broken installation).

    Notes
    -----
    Source: the UCI Machine Learning Repository, "Online Retail", donated by Daqing Chen;
    described in D. Chen, S. L. Sain and K. Guo, "Data mining for the online retail
    industry: A case study of RFM model-based customer segmentation using data mining",
    *Journal of Database Marketing and Customer Strategy Management* 19(3), 197-208,
    2012. The bundled copy comes from the CRAN package ``onlineretail`` (licence CC0 1.0),
    converted to Parquet with ``InvoiceDate`` parsed to a timestamp and no other change.

    Examples
    --------
    >>> from linkstar_funnel.datasets import load_online_retail
    >>> df = load_online_retail()
    >>> df.shape
    (541909, 8)
    >>> list(df.columns)
    ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']
    >>> round(float(df["CustomerID"].isna().mean()), 3)
    0.249
    """
    resource = resources.files(_PACKAGE).joinpath("data").joinpath(_FILE)
    try:
        with resources.as_file(resource) as path:
            frame = pd.read_parquet(path)
    except FileNotFoundError as exc:
        msg = (
            f"The bundled data file {_FILE!r} is missing from {_PACKAGE}.data.\n"
            "Hint: the installation is incomplete; reinstall linkstar-funnel."
        )
        raise DatasetError(msg) from exc
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid derives from ValueError
        msg = (
            f"The bundled data file {_FILE!r} cannot be read as Parquet: {exc}\n"
            "Hint: the installation is damaged; reinstall linkstar-funnel."
        )
        raise DatasetError(msg) from exc
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        msg = f"The bundled data file {_FILE!r} lacks the columns {missing}; it is damaged."
        raise DatasetError(msg)
    return frame


def online_retail_orders() -> pd.DataFrame:
    """One row per order of the Online Retail data, after documented cleaning rules.

    Invoice lines of :func:`load_online_retail` are dropped by these rules, applied in
    order (counts are for the bundled file, 541,909 lines):

    1. no ``CustomerID`` (orders must belong to a customer): 135,080 lines;
    2. cancellations, ``InvoiceNo`` starting with ``C``: 8,905 lines;
    3. non-product lines, ``StockCode`` in :data:`NON_PRODUCT_CODES` (postage, fees,
       manual adjustments) or starting with ``gift_``: 1,550 lines;
    4. ``Quantity`` ≤ 0 or ``UnitPrice`` ≤ 0 (free samples, stock adjustments): 34 lines.

    The remaining 396,340 lines are summed per invoice into 18,402 orders of 4,334
    customers.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``timestamp`` then ``order_id``, with the columns ``order_id`` (str, the
        invoice number), ``customer_id`` (int64), ``timestamp`` (datetime64[ns,
        Europe/London]: the invoice's earliest line time, read in the retailer's zone),
        ``revenue`` (float, pounds sterling: sum of ``Quantity * UnitPrice``), ``units``
        (int64, sum of ``Quantity``), ``lines`` (int64, invoice lines kept) and
        ``country`` (str).

    Raises
    ------
    DatasetError
        The bundled file is missing or unreadable.

    Examples
    --------
    >>> from linkstar_funnel.datasets import online_retail_orders
    >>> orders = online_retail_orders()
    >>> len(orders), orders["customer_id"].nunique()
    (18402, 4334)
    >>> str(orders["timestamp"].dt.tz)
    'Europe/London'
    """
    orders, _ = _clean_orders(load_online_retail())
    return orders


def _clean_orders(lines: pd.DataFrame) -> tuple[pd.DataFrame, RowAccounting]:
    """Apply the rules of :func:`online_retail_orders`; also return the row accounting."""
    accounting = RowAccounting(rows_in=len(lines))
    keep = lines["CustomerID"].notna().to_numpy(dtype=bool, copy=True)
    accounting = accounting.with_dropped(
        "missing customer", int((~keep).sum()), column="CustomerID"
    )
    rules: tuple[tuple[str, str, np.ndarray[tuple[int], np.dtype[np.bool_]]], ...] = (
        (
            "cancellation",
            "InvoiceNo",
            lines["InvoiceNo"].str.startswith("C").to_numpy(dtype=bool, na_value=False),
        ),
        (
            "non-product line",
            "StockCode",
            (
                lines["StockCode"].isin(NON_PRODUCT_CODES)
                | lines["StockCode"].str.startswith("gift_").fillna(False)
            ).to_numpy(dtype=bool),
        ),
        (
            "non-positive quantity or price",
            "Quantity/UnitPrice",
            ((lines["Quantity"] <= 0) | (lines["UnitPrice"] <= 0)).to_numpy(dtype=bool),
        ),
    )
    for reason, column, bad in rules:
        accounting = accounting.with_dropped(reason, int((bad & keep).sum()), column=column)
        keep &= ~bad
    kept = lines.loc[keep]
    line_revenue = kept["Quantity"] * kept["UnitPrice"]
    grouped = kept.assign(_revenue=line_revenue).groupby("InvoiceNo", sort=False)
    orders = pd.DataFrame(
        {
            "customer_id": grouped["CustomerID"].first().astype(np.int64),
            "timestamp": grouped["InvoiceDate"].min(),
            "revenue": grouped["_revenue"].sum().round(2),
            "units": grouped["Quantity"].sum().astype(np.int64),
            "lines": grouped.size().astype(np.int64),
            "country": grouped["Country"].first(),
        }
    )
    orders["timestamp"] = (
        pd.DatetimeIndex(orders["timestamp"])
        .as_unit("ns")
        .tz_localize(RETAILER_TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward")
    )
    orders = orders.rename_axis("order_id").reset_index()
    orders["order_id"] = orders["order_id"].astype(str)
    orders = orders.sort_values(["timestamp", "order_id"], kind="stable", ignore_index=True)
    return orders, accounting
