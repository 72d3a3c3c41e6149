"""Read the inputs of :func:`~linkstar_funnel.ads.economics`: spend, conversions, total
revenue and currency rates, each through :func:`linkstar_funnel.schema.validate`.

Spend is summed to the ``by`` grain. Conversions (an attribution result, or a frame keyed
by some of the ``by`` columns) are credited down to that grain in proportion to clicks
(to cost without clicks; equally where both are 0); conversion rows no spend row matches
are kept aside and reported, never spread elsewhere.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ParameterError, SchemaError
from ..schema import Column, RowAccounting, Table, key_kind, validate

__all__ = ["Credit", "Rates", "credit_down", "read_rates", "read_spend", "total_revenue_of"]

FloatArray = npt.NDArray[np.float64]
OWNER = "ads.economics"


@attrs.frozen(eq=False)
class Rates:
    """Currency -> rate into the reporting currency (one unit of it is worth ``rate``)."""

    table: Mapping[str, float]
    reporting: str | None


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def read_rates(rates: object, reporting: str | None) -> Rates | None:
    """Check a rates mapping ``{currency: rate}`` or frame (``currency``, ``rate``)."""
    if rates is None:
        return None
    if isinstance(rates, pd.DataFrame):
        table = validate(
            rates,
            [Column("currency", "currency", "category"), Column("rate", "rate", "number")],
            frame_name="rates",
        )
        labels = [str(x) for x in table.labels["currency"].take(table.codes["currency"])]
        if len(set(labels)) != len(labels):
            msg = "The rates frame has several rates for one currency; give one rate each."
            raise SchemaError(msg)
        values = dict(zip(labels, table.numbers["rate"].tolist(), strict=True))
    elif isinstance(rates, Mapping):
        bad = [(k, v) for k, v in rates.items() if not isinstance(k, str) or not _is_number(v)]
        if bad:
            msg = (
                f"The 'rates' parameter of {OWNER} must map currency codes to numbers. Got "
                f"{bad[0][1]!r} for {bad[0][0]!r} instead."
            )
            raise ParameterError(msg)
        values = {str(k): float(v) for k, v in rates.items()}
    else:
        msg = (
            f"The 'rates' parameter of {OWNER} must be a mapping {{currency: rate}} or a frame "
            f"with 'currency' and 'rate' columns. Got {type(rates).__name__} instead."
        )
        raise ParameterError(msg)
    for cur, rate in values.items():
        if not (np.isfinite(rate) and rate > 0):
            msg = f"The rate of {cur!r} must be a finite number > 0. Got {rate!r} instead."
            raise ParameterError(msg)
    if not values:
        msg = f"The 'rates' parameter of {OWNER} holds no rate."
        raise ParameterError(msg)
    if reporting is not None and reporting in values and values[reporting] != 1.0:
        msg = (
            f"The rate of the reporting currency {reporting!r} must be 1. Got "
            f"{values[reporting]!r} instead."
        )
        raise ParameterError(msg)
    return Rates(values, reporting)


def _currency_column(frame: object, currency: str | None) -> str | None:
    """The currency column to read: the one named, else a column called 'currency'."""
    if currency is not None:
        return currency
    if isinstance(frame, pd.DataFrame) and "currency" in frame.columns:
        return "currency"
    return None


def convert(
    table: Table, amounts: Sequence[str], rates: Rates | None, frame_name: str
) -> tuple[dict[str, FloatArray], str | None]:
    """Amount columns in one currency: converted with ``rates``, or refused when mixed."""
    out = {a: table.numbers[a] for a in amounts}
    if "currency" not in table.codes:
        return out, None if rates is None else rates.reporting
    labels = [str(x) for x in table.labels["currency"]]
    codes = table.codes["currency"]
    if rates is None:
        if len(labels) > 1:
            msg = (
                f"The {frame_name} frame mixes currencies ({', '.join(map(repr, labels))}) "
                "in its column "
                f"{table.columns['currency']!r}: amounts in different currencies cannot be "
                "added.\nHint: pass rates={currency: rate into the reporting currency} and "
                "reporting_currency=..."
            )
            raise SchemaError(msg)
        return out, labels[0]
    missing = [c for c in labels if c not in rates.table and c != rates.reporting]
    if missing:
        msg = (
            f"The 'rates' parameter of {OWNER} has no rate for {', '.join(map(repr, missing))} "
            f"(found in the {frame_name} frame). Rates given: {sorted(rates.table)}."
        )
        raise ParameterError(msg)
    factor = np.array([rates.table.get(c, 1.0) for c in labels], dtype=np.float64)[codes]
    with np.errstate(over="ignore"):
        return {a: v * factor for a, v in out.items()}, rates.reporting


def _nonnegative(values: FloatArray, column: str, frame_name: str) -> None:
    bad = values < 0
    if bad.any():
        msg = (
            f"The {column!r} column of the {frame_name} frame must hold values >= 0. Got "
            f"{float(values[bad][0])!r} in {int(bad.sum()):,} row(s).\nHint: refunds and "
            "credits belong in their own column, not as negative spend."
        )
        raise SchemaError(msg)


def _keys(table: Table, by: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: np.asarray(table.labels[c].take(table.codes[c]), dtype=object) for c in by}
    )


def read_spend(
    spend: object,
    *,
    by: Sequence[str],
    amounts: Mapping[str, str],
    currency: str | None,
    rates: Rates | None,
) -> tuple[pd.DataFrame, RowAccounting, str | None]:
    """Spend summed per ``by`` key: key columns, then ``cost``, ``impressions``, ``clicks``.

    ``amounts`` maps each role (``cost``, ``impressions``, ``clicks``) to its column.
    """
    cols = [Column(c, c, "category") for c in by]
    cols += [Column(role, name, "number") for role, name in amounts.items()]
    cur = _currency_column(spend, currency)
    if cur is not None:
        cols.append(Column("currency", cur, "category"))
    table = validate(spend, cols, frame_name="spend")
    for role, name in amounts.items():
        _nonnegative(table.numbers[role], name, "spend")
    money, unit = convert(table, ["cost"], rates, "spend")
    data = pd.DataFrame({c: table.codes[c] for c in by})  # group on integer codes: fast
    for role in amounts:
        data[role] = money["cost"] if role == "cost" else table.numbers[role]
    with np.errstate(over="ignore"):
        grouped = data.groupby(list(by), sort=False).sum().reset_index()
    out = pd.DataFrame(
        {c: np.asarray(table.labels[c].take(grouped[c].to_numpy()), dtype=object) for c in by}
    )
    for role in amounts:
        out[role] = grouped[role].to_numpy(dtype=np.float64)
    with contextlib.suppress(TypeError):  # labels of mixed types keep their first order
        out = out.sort_values(list(by), kind="stable").reset_index(drop=True)
    for role in amounts:
        if not np.isfinite(out[role].to_numpy(dtype=np.float64)).all():
            msg = (
                f"The {amounts[role]!r} column of the spend frame sums beyond the largest "
                "float64 number (about 1.8e308).\nHint: rescale it (e.g. to thousands)."
            )
            raise SchemaError(msg)
    return out, table.accounting, unit


@attrs.frozen(eq=False)
class Credit:
    """Conversions credited to the spend rows, and what could not be matched."""

    orders: FloatArray
    revenue: FloatArray
    unmatched: pd.DataFrame
    accounting: RowAccounting
    notes: tuple[str, ...]


def _conversion_table(
    conversions: object,
    by: Sequence[str],
    channel: str,
    channel_map: Mapping[str, str] | None,
    currency: str | None,
    rates: Rates | None,
) -> tuple[pd.DataFrame, list[str], RowAccounting, list[str]]:
    """Conversions as a frame: key columns (some of ``by``), ``orders``, ``revenue``."""
    notes: list[str] = []
    credit_fn = getattr(conversions, "credit", None)
    if not isinstance(conversions, pd.DataFrame) and callable(credit_fn):
        if channel not in by:
            msg = (
                f"The 'channel' parameter of {OWNER} must be one of the 'by' columns {list(by)}: "
                f"it names the column the attribution's channel labels match. Got {channel!r}."
            )
            raise ParameterError(msg)
        orders = credit_fn("conversions")
        revenue = credit_fn("value")
        labels = [str(c) for c in orders.index]
        if channel_map:
            labels = [str(channel_map.get(c, c)) for c in labels]
        frame = pd.DataFrame(
            {
                channel: np.asarray(labels, dtype=object),
                "orders": orders.to_numpy(dtype=np.float64),
                "revenue": revenue.to_numpy(dtype=np.float64),
            }
        )
        frame = frame.groupby(channel, sort=False).sum().reset_index()
        name = getattr(conversions, "name", type(conversions).__name__)
        notes.append(
            f"conversions from the {name} attribution, matched on {channel!r}; its value is "
            "taken as in the reporting currency"
        )
        return frame, [channel], RowAccounting(rows_in=len(frame)), notes
    if not isinstance(conversions, pd.DataFrame) and not hasattr(conversions, "to_pandas"):
        msg = (
            f"The 'conversions' parameter of {OWNER} must be an AttributionResult or a frame "
            f"with some of the 'by' columns, 'orders' and 'revenue'. Got "
            f"{type(conversions).__name__} instead."
        )
        raise ParameterError(msg)
    columns = getattr(conversions, "columns", ())
    keys = [c for c in by if c in columns]
    if not keys:
        msg = (
            f"The conversions frame of {OWNER} has none of the 'by' columns {list(by)}; it "
            "needs at least one to be matched with spend."
        )
        raise SchemaError(msg)
    cols = [Column(c, c, "category") for c in keys]
    cols += [Column("orders", "orders", "number"), Column("revenue", "revenue", "number")]
    cur = _currency_column(conversions, currency)
    if cur is not None:
        cols.append(Column("currency", cur, "category"))
    table = validate(conversions, cols, frame_name="conversions")
    for role in ("orders", "revenue"):
        _nonnegative(table.numbers[role], role, "conversions")
    money, _ = convert(table, ["revenue"], rates, "conversions")
    frame = _keys(table, keys)
    frame["orders"] = table.numbers["orders"]
    frame["revenue"] = money["revenue"]
    frame = frame.groupby(keys, sort=False, observed=True, dropna=False).sum().reset_index()
    return frame, keys, table.accounting, notes


def _check_kinds(spend: pd.DataFrame, conv: pd.DataFrame, keys: Sequence[str]) -> None:
    for col in keys:
        a, b = key_kind(spend[col]), key_kind(conv[col])
        if a is not None and b is not None and a != b:
            msg = (
                f"The column {col!r} holds {a} in the spend frame and {b} in the conversions: "
                f"no row could match.\nHint: cast one side, e.g. df[{col!r}].astype(str)."
            )
            raise SchemaError(msg)


def credit_down(
    spend: pd.DataFrame,
    conversions: object,
    *,
    by: Sequence[str],
    channel: str,
    channel_map: Mapping[str, str] | None,
    currency: str | None,
    rates: Rates | None,
) -> Credit:
    """Orders and revenue per spend row; unmatched conversion rows reported apart."""
    conv, keys, accounting, notes = _conversion_table(
        conversions, by, channel, channel_map, currency, rates
    )
    _check_kinds(spend, conv, keys)
    weight_col = "clicks" if "clicks" in spend else "cost"
    left = spend[list(keys)].copy()
    left["_w"] = spend[weight_col].to_numpy(dtype=np.float64)
    left["_pos"] = np.arange(len(spend))
    group = left.groupby(list(keys), sort=False, observed=True, dropna=False)
    left["_wsum"] = group["_w"].transform("sum")
    left["_n"] = group["_w"].transform("size")
    merged = left.merge(conv, on=list(keys), how="inner", sort=False)
    wsum = merged["_wsum"].to_numpy(dtype=np.float64)
    w = merged["_w"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(wsum > 0, w / np.where(wsum > 0, wsum, 1.0), 1.0 / merged["_n"])
    pos = merged["_pos"].to_numpy(dtype=np.intp)
    n = len(spend)
    orders = np.bincount(pos, merged["orders"].to_numpy() * share, minlength=n).astype(np.float64)
    revenue = np.bincount(pos, merged["revenue"].to_numpy() * share, minlength=n).astype(np.float64)
    matched = conv.merge(left[list(keys)].drop_duplicates(), on=list(keys), how="left",
                         indicator=True)  # fmt: skip
    unmatched = matched.loc[matched["_merge"] == "left_only", [*keys, "orders", "revenue"]]
    unmatched = unmatched.reset_index(drop=True)
    accounting = accounting.with_dropped("no spend row matches", len(unmatched))
    if keys != list(by) and (merged["_n"] > 1).any():
        notes.append(
            f"conversions matched on {', '.join(keys)} and split across "
            f"{', '.join(c for c in by if c not in keys)} in proportion to {weight_col}"
        )
    if len(unmatched):
        shown = ", ".join(
            "/".join(map(str, r)) for r in unmatched[list(keys)].itertuples(index=False)
        )
        notes.append(
            f"{len(unmatched):,} conversion row(s) match no spend row "
            f"({unmatched['orders'].sum():,.2f} orders, {unmatched['revenue'].sum():,.2f} "
            f"revenue left out): {shown[:300]}"
        )
    return Credit(orders, revenue, unmatched, accounting, tuple(notes))


def total_revenue_of(
    total: object, *, currency: str | None, rates: Rates | None
) -> tuple[float, RowAccounting | None]:
    """The shop's total revenue: a number, or the sum of a frame's ``revenue`` column."""
    if _is_number(total):
        value = float(total)  # type: ignore[arg-type]
        if not (np.isfinite(value) and value >= 0):
            msg = (
                f"The 'total_revenue' parameter of {OWNER} must be a finite number >= 0 or "
                f"an orders frame. Got {total!r} instead."
            )
            raise ParameterError(msg)
        return value, None
    if not isinstance(total, pd.DataFrame) and not hasattr(total, "to_pandas"):
        msg = (
            f"The 'total_revenue' parameter of {OWNER} must be a number or a frame with a "
            f"'revenue' column. Got {type(total).__name__} instead."
        )
        raise ParameterError(msg)
    cols = [Column("revenue", "revenue", "number")]
    cur = _currency_column(total, currency)
    if cur is not None:
        cols.append(Column("currency", cur, "category"))
    table = validate(total, cols, frame_name="total_revenue")
    money, _ = convert(table, ["revenue"], rates, "total_revenue")
    with np.errstate(over="ignore"):
        value = float(money["revenue"].sum())
    if not np.isfinite(value):
        msg = "The total revenue sums beyond the largest float64 number (about 1.8e308)."
        raise SchemaError(msg)
    return value, table.accounting


def as_list(by: Any) -> list[str]:
    """``by=`` as a list of column names."""
    return [by] if isinstance(by, str) else list(by)
