"""Amazon Seller Central Business Report (Detail Page Sales and Traffic, by date or ASIN)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._accounting import RowAccounting
from ..errors import SchemaError
from ..results import Provenance
from ..schema import Column, validate
from ._common import (
    ExportResult,
    PathOrBuffer,
    parse_count,
    parse_money,
    parse_percent,
    parse_times,
    read_text_csv,
    require_rows,
    text,
    warn_missing,
)

__all__ = ["AMAZON_COLUMNS", "read_amazon_business_report"]

_WHAT = "Amazon Business Report"

#: Output column → the report's headers for it, newest spelling first (older reports say
#: "Sessions", "Page Views", "Buy Box Percentage"; by-date reports add B2B columns).
AMAZON_COLUMNS: dict[str, tuple[str, ...]] = {
    "sessions": ("Sessions - Total", "Sessions"),
    "page_views": ("Page Views - Total", "Page Views"),
    "units_ordered": ("Units Ordered",),
    "ordered_product_sales": ("Ordered Product Sales",),
    "total_order_items": ("Total Order Items",),
    "unit_session_percentage": ("Unit Session Percentage",),
    "session_percentage": ("Session Percentage - Total", "Session Percentage"),
    "buy_box_percentage": (
        "Featured Offer (Buy Box) Percentage",
        "Featured Offer Percentage",
        "Buy Box Percentage",
    ),
}
_REQUIRED = ("sessions", "units_ordered", "ordered_product_sales")
_KEYS: dict[str, tuple[str, ...]] = {
    "date": ("Date",),
    "parent_asin": ("(Parent) ASIN",),
    "asin": ("(Child) ASIN", "ASIN"),
}
_TEXTS: dict[str, tuple[str, ...]] = {"title": ("Title",), "sku": ("SKU",)}
_PERCENT = {"unit_session_percentage", "session_percentage", "buy_box_percentage"}
_MONEY = {"ordered_product_sales"}


def _find(frame: pd.DataFrame, options: tuple[str, ...]) -> str | None:
    return next((h for h in options if h in frame.columns), None)


def read_amazon_business_report(path: PathOrBuffer) -> ExportResult:
    """Read a Business Report CSV (by date or by ASIN) into numbers ready for a funnel and KPI tree.

    Parameters
    ----------
    path
        The CSV as Seller Central downloads it. ``Sessions - Total`` (older reports:
        ``Sessions``), ``Units Ordered`` and ``Ordered Product Sales`` are required; the
        by-date report has ``Date``, the by-ASIN report ``(Parent) ASIN`` / ``(Child) ASIN``,
        ``Title`` and ``SKU``. :data:`AMAZON_COLUMNS` lists every header read.

    Returns
    -------
    ExportResult
        ``.report``: ``date`` (UTC midnight; by-date reports) or ``parent_asin``,
        ``asin``, ``title``, ``sku`` (by-ASIN reports), then ``sessions``,
        ``page_views``, ``units_ordered``, ``total_order_items`` (nullable integers),
        ``ordered_product_sales`` (a float; its currency symbol is noted in the
        provenance), ``unit_session_percentage``, ``session_percentage``,
        ``buy_box_percentage`` (shares: ``"12.5%"`` → 0.125), for the columns present.
        The leaf names of ``KPITree.template("amazon")`` (``sessions``,
        ``units_ordered``, ``ordered_product_sales``), so ``tree.evaluate(report)``
        reads it as is; :func:`funnel_counts` gives ``Funnel.from_counts`` input.

    Notes
    -----
    Dates are read month first (``03/01/2026`` is 1 March), as the US Seller Central
    writes them; ISO dates are read too. Rows without readable sessions are dropped (the
    report's total line, if pasted in, too) and counted.

    Raises
    ------
    EmptyFrameError
        The export has no rows.
    ColumnNotFoundError
        A required header is missing or misspelt (with a did-you-mean).

    Examples
    --------
    >>> import io
    >>> csv = ("(Parent) ASIN,(Child) ASIN,Title,Sessions - Total,Units Ordered,"
    ...        "Unit Session Percentage,Ordered Product Sales\\n"
    ...        "B01,B01,Tea,\\"1,200\\",60,5.00%,\\"$1,499.40\\"\\n")
    >>> ab = read_amazon_business_report(io.StringIO(csv))
    >>> ab.report[["asin", "sessions", "units_ordered", "unit_session_percentage"]]
      asin  sessions  units_ordered  unit_session_percentage
    0  B01      1200             60                     0.05
    """
    from ..errors import ColumnNotFoundError

    raw = read_text_csv(path, what=_WHAT)
    for key in _REQUIRED:
        if _find(raw, AMAZON_COLUMNS[key]) is None:
            raise ColumnNotFoundError(AMAZON_COLUMNS[key][0], raw.columns, frame_name=_WHAT)
    require_rows(len(raw), what=_WHAT)
    acc = RowAccounting(rows_in=len(raw))
    notes: list[str] = []
    out: dict[str, pd.Series] = {}
    date_col = _find(raw, _KEYS["date"])
    if date_col is not None:
        dates, bad = parse_times(text(raw, date_col), formats=("%m/%d/%Y", "%Y-%m-%d"))
        out["date"] = dates.dt.normalize()
        if bad:
            notes.append(f"{bad:,} unreadable Date values")
    for name in ("parent_asin", "asin"):
        col = _find(raw, _KEYS[name])
        if col is not None:
            out[name] = text(raw, col)
    for name, options in _TEXTS.items():
        col = _find(raw, options)
        if col is not None:
            out[name] = text(raw, col)
    bad_numbers = 0
    for name, options in AMAZON_COLUMNS.items():
        col = _find(raw, options)
        if col is None:
            continue
        if name in _PERCENT:
            values, bad = parse_percent(text(raw, col))
        elif name in _MONEY:
            values, bad = parse_money(text(raw, col))
            symbols = set(text(raw, col).dropna().str.replace(r"[\d,.\s\-()]", "", regex=True))
            symbols.discard("")
            if symbols:
                notes.append(f"Ordered Product Sales in {', '.join(sorted(symbols))}")
        else:
            values, bad = parse_count(text(raw, col))
        bad_numbers += bad
        out[name] = values
    report = pd.DataFrame(out)
    no_sessions = report["sessions"].isna()
    acc = acc.with_dropped(
        "rows without readable sessions", int(no_sessions.sum()), column="sessions"
    )
    report = report[~no_sessions].reset_index(drop=True)
    if bad_numbers:
        notes.append(f"{bad_numbers:,} unreadable numbers read as missing")
    warn_missing({"report": report}, what=_WHAT)
    return ExportResult(
        "amazon_business_report",
        {"report": report},
        Provenance(spec="read_amazon_business_report", inputs={"rows": acc}, notes=tuple(notes)),
    )


def funnel_counts(report: object) -> dict[str, int]:
    """``{"sessions": ..., "units_ordered": ...}`` summed over a read report, for ``Funnel.from_counts``.

    Rows with a missing count are left out of both sums.

    Raises
    ------
    ColumnNotFoundError
        ``sessions`` or ``units_ordered`` is missing.
    EmptyFrameError
        No row has both counts.
    SchemaError
        A count is negative, or the sums are not finite.

    Examples
    --------
    >>> funnel_counts(pd.DataFrame({"sessions": [100, 50], "units_ordered": [5, 2]}))
    {'sessions': 150, 'units_ordered': 7}
    """
    table = validate(
        report,
        [
            Column("sessions", "sessions", "number"),
            Column("units_ordered", "units_ordered", "number"),
        ],
        frame_name="report",
    )
    out = {}
    for role in ("sessions", "units_ordered"):
        values = table.numbers[role]
        total = float(np.sum(values, dtype=np.float64)) if (values >= 0).all() else -1.0
        if not np.isfinite(total) or total < 0 or total >= 2.0**63:
            msg = (
                f"The {role!r} column of the report must hold counts (finite, >= 0). "
                f"Got values summing to {total} instead."
            )
            raise SchemaError(msg)
        out[role] = round(total)
    return out
