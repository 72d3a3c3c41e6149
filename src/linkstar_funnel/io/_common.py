"""What every export reader shares: reading the CSV, checking headers, parsing money and times."""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Union

import attrs
import numpy as np
import pandas as pd

from ..errors import ColumnNotFoundError, DataQualityWarning, EmptyFrameError, ParameterError
from ..results import Provenance, ResultMixin, Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ExportResult", "PathOrBuffer"]

#: A file path, or an open text/binary file (``io.StringIO`` of a CSV works too).
PathOrBuffer = Union[str, "os.PathLike[str]", IO[str], IO[bytes]]


def _frames(value: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return dict(value)


@attrs.frozen
class ExportResult(ResultMixin):
    """The frames read from one platform export, and how its rows were accounted for.

    Parameters
    ----------
    source
        Which export was read (``"ga4"``, ``"shopify"``, ``"amazon_business_report"``,
        ``"tiktok_shop"``).
    frames
        The frames read, by name: ``"events"`` (GA4), ``"orders"`` and ``"lines"``
        (Shopify, TikTok Shop), ``"report"`` (Amazon). The first is the main one.
    provenance
        Rows in, used and dropped per input, and notes on what was converted or assumed.

    Examples
    --------
    >>> import io
    >>> from linkstar_funnel.io import read_amazon_business_report
    >>> csv = "Date,Sessions - Total,Units Ordered,Ordered Product Sales\\n01/02/2026,100,7,$70.00\\n"
    >>> read_amazon_business_report(io.StringIO(csv)).report[["sessions", "units_ordered"]]
       sessions  units_ordered
    0       100              7
    """

    source: str
    frames: Mapping[str, pd.DataFrame] = attrs.field(converter=_frames)
    provenance: Provenance

    def _get(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            msg = (
                f"A {self.source} export has no {name!r} frame; it has "
                f"{', '.join(map(repr, self.frames))}."
            )
            raise ParameterError(msg)
        return self.frames[name]

    @property
    def events(self) -> pd.DataFrame:
        """The event frame (GA4): ``user``, ``time``, ``event`` and the flattened fields."""
        return self._get("events")

    @property
    def orders(self) -> pd.DataFrame:
        """One row per order (Shopify, TikTok Shop), in the library's orders vocabulary."""
        return self._get("orders")

    @property
    def lines(self) -> pd.DataFrame:
        """One row per order line (Shopify, TikTok Shop)."""
        return self._get("lines")

    @property
    def report(self) -> pd.DataFrame:
        """The Amazon Business Report, one row per date or ASIN, numbers parsed."""
        return self._get("report")

    def to_frame(self) -> pd.DataFrame:
        """A copy of the main frame (events, orders or report)."""
        return next(iter(self.frames.values())).copy(deep=True)

    def summary(self) -> Summary:
        """Rows read per frame, and the rows dropped or converted on the way."""
        facts = tuple((name, f"{len(frame):,} rows") for name, frame in self.frames.items())
        table = self.provenance.dropped_frame()
        return Summary(
            f"{self.source} export",
            facts=facts,
            table=table if len(table) else None,
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bar chart of the rows read, used and dropped per input."""
        from ..plotting import get_axes, style_axes

        ax = get_axes(ax)
        names = list(self.provenance.inputs)
        used = [acc.rows_used for acc in self.provenance.inputs.values()]
        dropped = [acc.rows_dropped for acc in self.provenance.inputs.values()]
        x = np.arange(len(names))
        ax.bar(x, used, label="used", **kwargs)
        ax.bar(x, dropped, bottom=used, label="dropped")
        ax.set_xticks(x, names)
        ax.legend()
        return style_axes(ax, title=f"{self.source} export: rows read")


# --------------------------------------------------------------------------- reading


def read_text_csv(path: object, *, what: str) -> pd.DataFrame:
    """Every cell as a string (empty cells as missing); a UTF-8 byte-order mark is dropped."""
    if isinstance(path, str | os.PathLike):
        if not Path(path).is_file():
            msg = f"The {what} file {os.fspath(path)!r} does not exist (or is not a file)."
            raise ParameterError(msg)
        source: object = path
    elif isinstance(path, io.IOBase) or hasattr(path, "read"):
        source = path
    else:
        msg = f"The {what} must be a file path or an open file. Got {type(path).__name__}."
        raise ParameterError(msg)
    try:
        frame: pd.DataFrame = pd.read_csv(
            source,  # type: ignore[call-overload]
            dtype=str,
            encoding="utf-8-sig",
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=False,
        )
    except pd.errors.EmptyDataError as exc:
        msg = f"The {what} is empty: no header row and no rows."
        raise EmptyFrameError(msg) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"The {what} could not be read as CSV: {exc}"
        raise ParameterError(msg) from exc
    frame.columns = [str(c).lstrip("\ufeff").strip() for c in frame.columns]
    return frame


def require(frame: pd.DataFrame, headers: Sequence[str], *, what: str) -> None:
    """Raise :class:`ColumnNotFoundError` (with a did-you-mean) for the first missing header,
    and :class:`EmptyFrameError` for an export with headers but no rows."""
    for header in headers:
        if header not in frame.columns:
            raise ColumnNotFoundError(header, frame.columns, frame_name=what)
    require_rows(len(frame), what=what)


def require_rows(n: int, *, what: str) -> None:
    """Raise :class:`EmptyFrameError` if the export has no rows."""
    if n == 0:
        msg = f"The {what} has no rows (only its header, or nothing)."
        raise EmptyFrameError(msg)


def pick(frame: pd.DataFrame, options: Sequence[str], *, what: str) -> str:
    """The first of ``options`` (one header and its older spellings) present in ``frame``."""
    for header in options:
        if header in frame.columns:
            return header
    raise ColumnNotFoundError(options[0], frame.columns, frame_name=what)


def text(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """A column as stripped strings (missing stays missing); all-missing if absent."""
    if column is None or column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    out = frame[column].astype("string").str.strip()
    return out.mask(out == "")


_MONEY_JUNK = re.compile(r"[^\d,.\-()]")


def _money_one(raw: str) -> float:
    s = raw.strip()
    negative = (s.startswith("(") and s.endswith(")")) or "-" in s
    s = _MONEY_JUNK.sub("", s).strip("()-")
    if not s or not any(ch.isdigit() for ch in s):
        raise ValueError(raw)
    if "," in s and "." in s:
        # the separator written last is the decimal one: 1,234.56 and 1.234,56
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = (
            f"{head.replace(',', '')}.{tail}"
            if len(tail) in (1, 2) and s.count(",") == 1
            else s.replace(",", "")
        )
    value = float(s)
    return -value if negative else value


def parse_money(values: pd.Series) -> tuple[pd.Series, int]:
    """Money strings as floats, and how many non-empty cells could not be read.

    ``"$1,234.56"``, ``"1.234,56 €"``, ``"USD 12"``, ``"(5.00)"`` (negative) are read;
    empty cells stay missing; unreadable ones become missing and are counted. Each
    distinct string is parsed once.
    """
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    parsed = np.full(len(uniques) + 1, np.nan)  # the last slot: missing cells (code -1)
    bad_unique = np.zeros(len(uniques) + 1, dtype=bool)
    for i, raw in enumerate(uniques):
        if raw is pd.NA or not str(raw).strip():
            continue
        try:
            parsed[i] = _money_one(str(raw))
        except ValueError:
            bad_unique[i] = True
    out = parsed[codes]
    bad = int(bad_unique[codes].sum())
    return pd.Series(out, index=values.index), bad


def parse_percent(values: pd.Series) -> tuple[pd.Series, int]:
    """``"12.5%"`` as 0.125 (a share), and how many non-empty cells could not be read."""
    number, bad = parse_money(values)
    return number / 100.0, bad


def parse_count(values: pd.Series) -> tuple[pd.Series, int]:
    """Counts such as ``"1,234"`` as integers (missing stays missing, as a nullable Int64)."""
    number, bad = parse_money(values)
    return number.round().astype("Int64"), bad


def parse_times(values: pd.Series, *, formats: Sequence[str] = ()) -> tuple[pd.Series, int]:
    """Times as tz-aware UTC (naive times are taken as UTC), and how many could not be read."""
    s = values.astype("string").str.strip()
    s = s.mask(s == "")
    present = s.notna()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    rest = present.copy()
    for fmt in formats:
        if not rest.any():
            break
        got = pd.to_datetime(s[rest], format=fmt, errors="coerce", utc=True)
        ok = got.notna()
        out.loc[ok[ok].index] = got[ok].dt.as_unit("us")
        rest.loc[ok[ok].index] = False
    if rest.any():
        got = pd.to_datetime(s[rest], format="mixed", errors="coerce", utc=True)
        ok = got.notna()
        out.loc[ok[ok].index] = got[ok].dt.as_unit("us")
        rest.loc[ok[ok].index] = False
    return out, int(rest.sum())


def warn_missing(frames: Mapping[str, pd.DataFrame], *, what: str) -> None:
    """One :class:`DataQualityWarning` naming the number columns left with missing values."""
    parts = []
    for name, frame in frames.items():
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
                values.dtype
            ):
                n = int(values.isna().sum())
                if n:
                    parts.append(f"{name}.{col} ({n:,})")
    if parts:
        msg = (
            f"The {what} has empty or unreadable cells, left missing (NaN) in: {', '.join(parts)}."
        )
        warnings.warn(msg, DataQualityWarning, stacklevel=3)


def note_counts(label: str, counts: Mapping[str, int]) -> str:
    """``"label: 3 'x', 1 'y'"`` for the non-zero counts."""
    parts = [f"{n:,} {k}" for k, n in counts.items() if n]
    return f"{label}: " + ", ".join(parts) if parts else ""
