"""Column mapping, validation and time handling: the one door from user frames to kernels.

Every computation in the library reads its input frames through :func:`validate`. It

* maps the user's column names to roles (``user``, ``time``, ``event``...) given once;
* checks the columns exist (naming the closest existing ones when they do not);
* reads times of any ``datetime64`` unit (s/ms/us/ns), tz-aware or naive, or strings that
  parse as times, into int64 nanoseconds, refusing to mix aware and naive values;
* factorizes keys and categories by hashing (no sort) into integer codes, in order of
  first appearance: string columns straight from their Arrow buffers, in threads;
* drops rows with a missing id, time or required value, and *counts* them by reason in a
  :class:`RowAccounting` that every result carries as provenance;
* never mutates the caller's frame, and copies nothing but the columns it converts.

Examples
--------
>>> import pandas as pd
>>> import linkstar_funnel as lf
>>> events = pd.DataFrame({
...     "user_id": ["a", "a", None, "b"],
...     "timestamp": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00",
...                                  "2026-01-01 12:00", None]),
...     "event": ["visit", "cart", "visit", "visit"],
... })
>>> table = lf.schema.validate_events(events)
>>> table.n_rows
2
>>> print(table.accounting)
4 rows in, 2 used, 2 dropped: 1 missing user (column 'user_id'), 1 missing time (column 'timestamp')
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ._accounting import DroppedRows, RowAccounting
from ._dense_keys import dense_factorize
from ._deprecation import renamed_params
from ._kernels.keys import first_seen_small
from ._params import ColumnName, Satisfies, validate_params
from ._times import NAT, TimeValues, check_time_zone, read_times
from .errors import ColumnNotFoundError, EmptyFrameError, ParameterError, SchemaError

#: Largest magnitude of a number that a computation squares (variances, second moments):
#: its square stays far from float64's limit (1.8e308), sums of many squares too.
MAX_SQUARABLE = 1e150

#: From this many rows, integer keys too sparse for direct addressing are hashed in threads
#: (below it ``pd.factorize`` is as fast and the kernels need not be loaded).
HASH_MIN_ROWS = 1_000_000

__all__ = [
    "EVENT_COLUMNS",
    "MAX_SQUARABLE",
    "ORDER_COLUMNS",
    "Column",
    "DroppedRows",
    "RowAccounting",
    "Table",
    "TimeValues",
    "as_frame",
    "check_time_zone",
    "key_kind",
    "read_times",
    "validate",
    "validate_events",
    "validate_orders",
]

ColumnKind = Literal["key", "time", "category", "number"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Default column names for event logs, by role.
EVENT_COLUMNS: Mapping[str, str] = {"user": "user_id", "time": "timestamp", "event": "event"}
#: Default column names for order tables, by role.
ORDER_COLUMNS: Mapping[str, str] = {
    "order": "order_id",
    "customer": "customer_id",
    "time": "timestamp",
    "revenue": "revenue",
}

# --------------------------------------------------------------------------- tables


@attrs.frozen
class Column:
    """One column a computation reads: its role, the user's name for it, its kind.

    Parameters
    ----------
    role
        What the column is for (``"user"``, ``"time"``, ``"event"``...).
    name
        The column's name in the user's frame.
    kind
        ``"key"`` (ids: factorized), ``"time"``, ``"category"`` (factorized labels) or
        ``"number"`` (float64).
    required
        Rows where the value is missing are dropped and counted; otherwise a missing key or
        category gets code -1 and a missing number stays NaN.
    max_abs
        For numbers: the largest magnitude the computation can take (e.g.
        :data:`MAX_SQUARABLE` where values are squared); larger values are a
        :class:`~linkstar_funnel.errors.SchemaError` naming the column, not an overflow.
    """

    role: str
    name: str
    kind: ColumnKind
    required: bool = True
    max_abs: float | None = None


@attrs.frozen(eq=False)
class Table:
    """A validated frame: per-role arrays over the rows kept, plus the accounting.

    Attributes
    ----------
    frame
        The caller's frame, untouched (used for stage property filters).
    rows
        Positions (into ``frame``) of the rows kept, or ``None`` when all were kept.
    codes, labels
        Per key/category role: int64 codes over kept rows, and the labels they index.
    times
        Per time role: :class:`TimeValues` over kept rows.
    numbers
        Per number role: float64 values over kept rows.
    columns
        The role → column-name mapping used.
    accounting
        Rows in, used, and dropped by reason.
    """

    frame: pd.DataFrame
    frame_name: str
    rows: npt.NDArray[np.intp] | None
    codes: Mapping[str, IntArray]
    labels: Mapping[str, pd.Index]
    times: Mapping[str, TimeValues]
    numbers: Mapping[str, FloatArray]
    columns: Mapping[str, str]
    accounting: RowAccounting

    @property
    def n_rows(self) -> int:
        """Number of rows kept."""
        return self.accounting.rows_used

    def take(self, values: npt.ArrayLike) -> npt.NDArray[Any]:
        """Subset an array aligned with ``frame`` to the kept rows (a boolean mask, say)."""
        arr = np.asarray(values)
        return arr if self.rows is None else arr[self.rows]

    def column(self, name: str) -> npt.NDArray[Any]:
        """A column of the original frame, as a numpy array over the kept rows."""
        if name not in self.frame.columns:
            raise ColumnNotFoundError(name, self.frame.columns, frame_name=self.frame_name)
        return self.take(self.frame[name].to_numpy())


def as_frame(data: object, *, frame_name: str = "input") -> pd.DataFrame:
    """Accept a pandas DataFrame, or anything with ``to_pandas()`` (Arrow tables, polars).

    The columns must be flat (no MultiIndex) and uniquely named: a column named twice is
    ambiguous, and the library will not guess which one the caller meant.

    Examples
    --------
    >>> frame = pd.DataFrame([[1, 2]], columns=["user_id", "user_id"])
    >>> as_frame(frame, frame_name="events")
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.SchemaError: The events frame has duplicate column names: 'user_id'.
    Hint: rename or drop the duplicates, e.g. df.loc[:, ~df.columns.duplicated()].
    """
    out = data if isinstance(data, pd.DataFrame) else _to_pandas(data)
    if out is None:
        msg = (
            f"The {frame_name} argument must be a pandas DataFrame (or an object with "
            f"to_pandas(), such as a pyarrow Table). Got {type(data).__name__} instead."
        )
        raise SchemaError(msg)
    if isinstance(out.columns, pd.MultiIndex):
        msg = (
            f"The {frame_name} frame has MultiIndex columns ({out.columns.nlevels} levels); "
            "the library reads flat, named columns.\nHint: flatten them, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns]."
        )
        raise SchemaError(msg)
    if not out.columns.is_unique:
        dupes = out.columns[out.columns.duplicated()].unique()
        msg = (
            f"The {frame_name} frame has duplicate column names: "
            f"{', '.join(repr(c) for c in dupes)}.\nHint: rename or drop the duplicates, "
            "e.g. df.loc[:, ~df.columns.duplicated()]."
        )
        raise SchemaError(msg)
    return out


def _to_pandas(data: object) -> pd.DataFrame | None:
    to_pandas = getattr(data, "to_pandas", None)
    if callable(to_pandas):
        out = to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    return None


def validate(
    data: object,
    columns: Sequence[Column],
    *,
    frame_name: str = "input",
) -> Table:
    """Check and convert the named columns of a frame; drop and count unusable rows.

    Parameters
    ----------
    data
        A pandas DataFrame (or Arrow-like object with ``to_pandas()``); never modified.
    columns
        The columns to read, with their roles and kinds.
    frame_name
        How errors refer to this frame (``"events"``, ``"orders"``...).

    Raises
    ------
    ColumnNotFoundError
        A named column is missing (the message suggests close names).
    EmptyFrameError
        The frame has no rows, or none survive the drops.
    TimeColumnError, TimeZoneError, SchemaError
        A column cannot be read as its kind.
    """
    frame = as_frame(data, frame_name=frame_name)
    for col in columns:
        if not isinstance(col.name, Hashable) or isinstance(col.name, tuple):
            msg = (
                f"The {col.role!r} column of the {frame_name} frame must be named by one "
                f"column name. Got {col.name!r} instead."
            )
            raise ParameterError(msg)
        if col.name not in frame.columns:
            raise ColumnNotFoundError(
                col.name,
                frame.columns,
                role=col.role,
                frame_name=frame_name,
                typed_candidates=_typed_candidates(frame, col.kind),
            )
    n = len(frame)
    if n == 0:
        msg = f"The {frame_name} frame is empty: there is nothing to compute on."
        raise EmptyFrameError(msg)

    keep = np.ones(n, dtype=bool)
    accounting = RowAccounting(rows_in=n)
    codes: dict[str, IntArray] = {}
    labels: dict[str, pd.Index] = {}
    times: dict[str, TimeValues] = {}
    numbers: dict[str, FloatArray] = {}

    for col in columns:
        series = frame[col.name]
        if col.kind in ("key", "category"):
            c, u = _factorize(series, first_seen=col.kind == "key")
            codes[col.role], labels[col.role] = c, u
            missing = c < 0
        elif col.kind == "time":
            tv = read_times(series, column=col.name, frame_name=frame_name)
            times[col.role] = tv
            missing = tv.ns == NAT
        elif col.kind == "number":
            values = _numbers(series, column=col.name, frame_name=frame_name)
            _check_magnitude(values, col, frame_name)
            numbers[col.role] = values
            missing = np.isnan(values)
        else:  # pragma: no cover - Column.kind is a Literal
            msg = f"Unknown column kind {col.kind!r} for {col.name!r}."
            raise ParameterError(msg)
        if col.required:
            newly = missing & keep
            accounting = accounting.with_dropped(
                f"missing {col.role}", int(newly.sum()), column=col.name
            )
            keep &= ~missing

    if not keep.all():
        if not keep.any():
            msg = (
                f"No rows of the {frame_name} frame are usable: {accounting}."
                "\nHint: check the column mapping and that ids and times are filled in."
            )
            raise EmptyFrameError(msg)
        rows: npt.NDArray[np.intp] | None = np.flatnonzero(keep)
        codes = {k: v[rows] for k, v in codes.items()}
        times = {k: attrs.evolve(v, ns=v.ns[rows]) for k, v in times.items()}
        numbers = {k: v[rows] for k, v in numbers.items()}
    else:
        rows = None
    return Table(
        frame=frame,
        frame_name=frame_name,
        rows=rows,
        codes=codes,
        labels=labels,
        times=times,
        numbers=numbers,
        columns={c.role: c.name for c in columns},
        accounting=accounting,
    )


def _typed_candidates(frame: pd.DataFrame, kind: ColumnKind) -> list[str]:
    if kind == "time":
        return [str(c) for c, d in frame.dtypes.items() if pd.api.types.is_datetime64_any_dtype(d)]
    if kind == "number":
        return [
            str(c)
            for c, d in frame.dtypes.items()
            if pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)
        ]
    return []


def _factorize(series: pd.Series[Any], *, first_seen: bool = True) -> tuple[IntArray, pd.Index]:
    """Codes (missing values: -1) and the labels they index, as ``pd.factorize`` gives them
    (order of first appearance), without its Python objects where the column allows:
    integers by direct addressing or threaded hashing, strings (Arrow-backed, or objects
    converted to Arrow once) by hashing Arrow's buffers. A categorical keeps its categories'
    order unless ``first_seen`` (ids: then unused categories are dropped too)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cat = series.cat
        if not first_seen:
            return np.asarray(cat.codes, dtype=np.int64), pd.Index(cat.categories)
        codes, used = first_seen_small(np.ascontiguousarray(cat.codes), len(cat.categories))
        return np.asarray(codes, dtype=np.int64), pd.Index(cat.categories.take(used))
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        values = series.to_numpy()
        fast = dense_factorize(values)
        if fast is None and len(values) >= HASH_MIN_ROWS:
            from ._hash_keys import hash_factorize  # only for large columns

            fast = hash_factorize(values)
        if fast is not None:
            labels = fast[1].view(dtype) if dtype.itemsize == 8 else fast[1].astype(dtype)
            return fast[0], pd.Index(labels)
    strings = _arrow_strings(series)
    if strings is not None:
        from ._hash_keys import hash_factorize_strings

        codes, first = hash_factorize_strings(strings)
        return codes, pd.Index(series.array.take(first), dtype=dtype)
    codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


#: How many values of an object column are looked at before converting it to Arrow strings.
_SAMPLE = 1_000


def _arrow_strings(series: pd.Series[Any]) -> pa.Array | pa.ChunkedArray | None:
    """The column as Arrow strings (its own buffers when it is Arrow-backed, a conversion
    when it holds Python strings), or ``None`` when it holds anything else."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, pd.ArrowDtype)
        and (
            pa.types.is_string(dtype.pyarrow_dtype) or pa.types.is_large_string(dtype.pyarrow_dtype)
        )
    ):
        return series.array.__arrow_array__()
    # Objects: worth converting when a sample of them is text (the conversion then checks
    # every value: a column mixing in bytes or numbers is left to pd.factorize).
    if dtype != object or pd.api.types.infer_dtype(series.iloc[:_SAMPLE], skipna=True) != "string":
        return None
    try:
        out = pa.array(series.to_numpy(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # not all text (bytes, numbers, surrogates)
        return None
    return out if pa.types.is_string(out.type) or pa.types.is_large_string(out.type) else None


def _check_magnitude(values: FloatArray, col: Column, frame_name: str) -> None:
    if col.max_abs is None:
        return
    big = np.abs(values) > col.max_abs
    if big.any():
        msg = (
            f"Column {col.name!r} of the {frame_name} frame holds {int(big.sum()):,} value(s) "
            f"beyond ±{col.max_abs:g} (e.g. {values[big][0]:g}): the computation squares or "
            "multiplies them, which would overflow to infinity.\nHint: change the unit "
            "(thousands, millions) or check for sentinel values such as 1e308."
        )
        raise SchemaError(msg)


def _numbers(series: pd.Series[Any], *, column: str, frame_name: str) -> FloatArray:
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        msg = (
            f"Column {column!r} of the {frame_name} frame must hold numbers; "
            f"found dtype {series.dtype}."
        )
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            msg += f"\nHint: pd.to_numeric(df[{column!r}], errors='coerce') converts text."
        raise SchemaError(msg)
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        msg = f"Column {column!r} of the {frame_name} frame holds infinite values."
        raise SchemaError(msg)
    return values


#: Kinds of key value that can equal each other across frames (ints and floats compare by
#: value; text never equals a number).
_KEY_KINDS = {
    "integer": "numbers",
    "floating": "numbers",
    "mixed-integer-float": "numbers",
    "decimal": "numbers",
    "integer-na": "numbers",
    "string": "text",
    "bytes": "bytes",
    "boolean": "booleans",
    "datetime64": "times",
    "datetime": "times",
    "date": "times",
}


@validate_params(
    values=Satisfies(
        lambda v: hasattr(v, "__len__") and not isinstance(v, str | bytes | Mapping),
        "a column, an index or a list of values",
    )
)
def key_kind(values: object) -> str | None:
    """What kind of ids or labels ``values`` holds (``"numbers"``, ``"text"``, ...), or
    ``None`` when it cannot be told (empty, or mixed).

    Two key columns of different kinds can never match: joining them silently matches
    nothing, so callers refuse the pair instead.

    Examples
    --------
    >>> key_kind(pd.Series([1, 2, None])), key_kind(pd.Index(["a", "b"])), key_kind([])
    ('numbers', 'text', None)
    """
    if len(values) == 0:  # type: ignore[arg-type]
        return None
    return _KEY_KINDS.get(pd.api.types.infer_dtype(values, skipna=True))


# --------------------------------------------------------------------------- presets


@validate_params(user=ColumnName(), time=ColumnName(), event=ColumnName())
def validate_events(
    data: object,
    *,
    user: str = EVENT_COLUMNS["user"],
    time: str = EVENT_COLUMNS["time"],
    event: str = EVENT_COLUMNS["event"],
    frame_name: str = "events",
) -> Table:
    """Validate an event log: one row per event with a user, a time and an event name.

    Rows with a missing user, time or event name are dropped and counted. Roles in the
    returned :class:`Table`: ``codes["user"]``, ``codes["event"]``, ``times["time"]``.
    """
    return validate(
        data,
        [
            Column("user", user, "key"),
            Column("time", time, "time"),
            Column("event", event, "category"),
        ],
        frame_name=frame_name,
    )


@renamed_params(revenue="value")
@validate_params(
    order=[None, ColumnName()], customer=ColumnName(), time=ColumnName(), value=ColumnName()
)
def validate_orders(
    data: object,
    *,
    order: str | None = ORDER_COLUMNS["order"],
    customer: str = ORDER_COLUMNS["customer"],
    time: str = ORDER_COLUMNS["time"],
    value: str = ORDER_COLUMNS["revenue"],
    frame_name: str = "orders",
) -> Table:
    """Validate an order table: a customer, a time and a value per row (order id optional).

    ``value`` names the order's value (revenue) column; ``revenue=`` is its deprecated
    name. Rows with a missing customer, time or value are dropped and counted. Negative
    values (refunds) are kept: what to do with them is each analysis's documented rule.
    """
    cols = [
        Column("customer", customer, "key"),
        Column("time", time, "time"),
        # The role keeps its name: Table.numbers["revenue"] is what callers read.
        Column("revenue", value, "number"),
    ]
    if order is not None:
        cols.insert(0, Column("order", order, "key", required=False))
    return validate(data, cols, frame_name=frame_name)
