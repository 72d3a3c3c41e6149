"""Reading a daily KPI frame through the schema layer into one daily series per metric."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import pandas as pd

from ..errors import ColumnNotFoundError, SchemaError
from ..schema import MAX_SQUARABLE, Column, RowAccounting, as_frame, check_time_zone, validate
from ._kernels import DailySeries

__all__ = ["DailyKpis", "read_daily_kpis", "to_series"]

_FRAME = "daily_kpis"


@attrs.frozen(eq=False)
class DailyKpis:
    """The usable rows of a daily KPI frame, one per (day, metric, segment)."""

    long: pd.DataFrame
    keys: tuple[str, ...]
    has_counts: bool
    accounting: RowAccounting
    columns: pd.Index


def read_daily_kpis(
    data: object,
    *,
    date: str,
    value: str,
    metric: str,
    by: Sequence[str],
    successes: str,
    trials: str,
    tz: str | None,
) -> DailyKpis:
    """Validate ``data`` (rows without a date, value, metric or count are dropped and counted)
    and bucket its dates into days in ``tz``, summing counts per day."""
    frame = as_frame(data, frame_name=_FRAME)
    columns = frame.columns
    for k in by:  # checked here to name the role in the user's words
        if k not in columns:
            raise ColumnNotFoundError(k, columns, role="segment", frame_name=_FRAME)
    has_counts = successes in columns and trials in columns
    has_metric = metric in columns
    roles = [Column("date", date, "time")]
    if has_counts:
        roles += [Column("successes", successes, "number"), Column("trials", trials, "number")]
    else:
        roles.append(Column("value", value, "number", max_abs=MAX_SQUARABLE))
    if has_metric:
        roles.append(Column("metric", metric, "category"))
    roles += [Column(f"by:{k}", k, "category", required=False) for k in by]
    table = validate(frame, roles, frame_name=_FRAME)
    days = table.times["date"].bucket("D", check_time_zone(tz))
    out = pd.DataFrame({"date": days.to_numpy()})
    if has_metric:
        out["metric"] = table.labels["metric"].astype(str).to_numpy()[table.codes["metric"]]
    else:
        out["metric"] = "rate" if has_counts and value not in columns else value
    for k in by:
        out[k] = table.column(k)
    keys = ["date", "metric", *by]
    if has_counts:
        s, n = table.numbers["successes"], table.numbers["trials"]
        if ((s < 0) | (n < 0) | (s > n)).any():
            msg = (
                f"Columns {successes!r} and {trials!r} of the {_FRAME} frame must satisfy "
                f"0 <= {successes} <= {trials}."
            )
            raise SchemaError(msg)
        out["successes"], out["trials"] = s, n
        grouped = out.groupby(keys, observed=True, dropna=False, sort=True)
        out = grouped[["successes", "trials"]].sum().reset_index()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = out["successes"] / out["trials"].where(out["trials"] > 0)
    else:
        out["value"] = table.numbers["value"]
        dup = out.duplicated(keys)
        if dup.any():
            row = out.loc[dup].iloc[0]
            msg = (
                f"The {_FRAME} frame has several {value!r} values for day {row['date'].date()} "
                f"of metric {row['metric']!r}.\nHint: one row per day, metric and segment "
                f"(pass by=[...] for segment columns), or give {successes!r}/{trials!r} counts, "
                "which are summed."
            )
            raise SchemaError(msg)
    return DailyKpis(out, tuple(by), has_counts, table.accounting, columns)


def to_series(
    part: pd.DataFrame, has_counts: bool, *, min_trials: int, seasonality: str
) -> DailySeries:
    """One metric's (and segment's) rows as a gap-filled daily series."""
    part = part.sort_values("date")
    days = pd.date_range(part["date"].min(), part["date"].max(), freq="D")
    pos = days.get_indexer(pd.DatetimeIndex(part["date"]))
    y = np.full(len(days), np.nan)
    y[pos] = part["value"].to_numpy(dtype=np.float64)
    usable = np.isfinite(y)
    s = n = None
    if has_counts:
        s = np.full(len(days), np.nan)
        n = np.zeros(len(days))
        s[pos] = part["successes"].to_numpy(dtype=np.float64)
        n[pos] = part["trials"].to_numpy(dtype=np.float64)
        usable &= n >= min_trials
    weekday = np.asarray(days.day_of_week, dtype=np.int64)
    key = {
        "weekend": (weekday >= 5).astype(np.int64),
        "weekday": weekday,
        "none": np.zeros(len(days), dtype=np.int64),
    }[seasonality]
    return DailySeries(days.to_numpy(), y, s, n, usable, key)
