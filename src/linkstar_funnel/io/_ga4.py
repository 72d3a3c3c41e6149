"""GA4's BigQuery export (``events_YYYYMMDD`` rows) flattened into the library's event frame."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._accounting import RowAccounting
from .._params import Options, Satisfies, validate_params
from ..errors import ColumnNotFoundError, ParameterError
from ..results import Provenance
from ._common import ExportResult, PathOrBuffer, read_text_csv, require_rows, warn_missing

__all__ = ["GA4_PARAMS", "read_ga4"]

_WHAT = "GA4 export"
_REQUIRED = ("event_timestamp", "event_name", "user_pseudo_id")

#: ``event_params`` keys flattened into columns of their own, and their type.
GA4_PARAMS: dict[str, str] = {
    "ga_session_id": "int",
    "ga_session_number": "int",
    "page_location": "str",
    "page_referrer": "str",
    "page_title": "str",
    "source": "str",
    "medium": "str",
    "campaign": "str",
    "transaction_id": "str",
    "value": "float",
    "currency": "str",
}

_KEYS = Satisfies(
    lambda v: (
        not isinstance(v, str)
        and isinstance(v, Sequence)
        and all(isinstance(k, str) and k for k in v)
    ),
    "a list of event_params keys",
)


def _value(v: object) -> object:
    """The one typed value of an event_params entry (string, int, double or float)."""
    if not isinstance(v, Mapping):
        return v
    for field in ("string_value", "int_value", "double_value", "float_value"):
        got = v.get(field)
        if got is not None:
            return got
    return None


def _jsonl_text(path: object) -> str:
    if isinstance(path, str | Path):
        return Path(path).read_text(encoding="utf-8-sig")
    data = path.read()  # type: ignore[attr-defined]
    if isinstance(data, bytes):
        return data.decode("utf-8-sig")
    return str(data).lstrip("\ufeff")


def _rows_jsonl(path: object) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(_jsonl_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            msg = f"Line {n} of the {_WHAT} is not JSON: {exc}"
            raise ParameterError(msg) from exc
        if not isinstance(row, dict):
            msg = f"Line {n} of the {_WHAT} is not a JSON object (one event per line)."
            raise ParameterError(msg)
        rows.append(row)
    return rows


def _rows_csv(path: PathOrBuffer) -> list[dict[str, Any]]:
    """A CSV of the export: dotted headers (``device.category``) nest; JSON cells are parsed."""
    frame = read_text_csv(path, what=_WHAT)
    rows = []
    for record in frame.to_dict("records"):
        row: dict[str, Any] = {}
        for key, cell in record.items():
            value: object = None if isinstance(cell, float) and np.isnan(cell) else cell
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            parts = str(key).split(".")
            node = row
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        rows.append(row)
    return rows


#: The nested fields read, per top-level record (a Parquet file is cut to them first).
_NESTED: dict[str, tuple[str, ...]] = {
    "device": ("category",),
    "geo": ("country",),
    "traffic_source": ("source", "medium", "name"),
    "collected_traffic_source": ("manual_source", "manual_medium", "manual_campaign_name"),
    "ecommerce": ("purchase_revenue", "transaction_id"),
}
_FLAT = ("event_date", "event_timestamp", "event_name", "event_params", "user_id", "user_pseudo_id")


def _slim(table: Any) -> Any:
    """The Parquet table cut to the fields read (``items`` to its length), for speed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = set(table.column_names)
    out = table.select([c for c in _FLAT if c in names])
    for record, fields in _NESTED.items():
        if record not in names:
            continue
        column = table.column(record).combine_chunks()
        have = [
            f
            for f in fields
            if pa.types.is_struct(column.type) and column.type.get_field_index(f) >= 0
        ]
        if len(have) != len(fields):
            out = out.append_column(record, column)
            continue
        parts = [pc.struct_field(column, f) for f in fields]
        mask = column.is_null() if column.null_count else None
        out = out.append_column(
            record, pa.StructArray.from_arrays(parts, names=list(fields), mask=mask)
        )
    if "items" in names and pa.types.is_list(table.column("items").type):
        out = out.append_column(
            "items", pc.fill_null(pc.list_value_length(table.column("items")), 0)
        )
    elif "items" in names:
        out = out.append_column("items", table.column("items"))
    return out


def _read_rows(path: object) -> list[dict[str, Any]]:
    if isinstance(path, str | Path):
        if not Path(path).is_file():
            msg = f"The {_WHAT} file {str(path)!r} does not exist (or is not a file)."
            raise ParameterError(msg)
        suffix = Path(path).suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            rows: list[dict[str, Any]] = _slim(pq.read_table(path)).to_pylist()
            return rows
        if suffix == ".csv":
            return _rows_csv(path)
        return _rows_jsonl(path)
    if hasattr(path, "read"):
        return _rows_jsonl(path)
    msg = f"The {_WHAT} must be a file path or an open file. Got {type(path).__name__}."
    raise ParameterError(msg)


def _get(row: Mapping[str, Any], dotted: str) -> object:
    node: object = row
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


@validate_params(user=Options("auto", "user_id", "user_pseudo_id"), params=_KEYS)
def read_ga4(path: PathOrBuffer, *, user: str = "auto", params: Sequence[str] = ()) -> ExportResult:
    """Read a GA4 BigQuery export into one row per event.

    Parameters
    ----------
    path
        The export's rows, in the nested schema Google documents for the
        ``events_YYYYMMDD`` tables: newline-delimited JSON as ``bq extract`` writes it
        (a ``.jsonl``/``.json`` path or an open file; INT64 written as strings is fine), a
        ``.parquet`` file, or a ``.csv`` of a query over it whose headers are the field
        names, nested ones dotted (``device.category``, ``geo.country``) and repeated ones
        (``event_params``, ``items``) as JSON cells. ``event_timestamp``, ``event_name``
        and ``user_pseudo_id`` are required.
    user
        Which identity goes into ``user_id``: ``"auto"`` (GA4's ``user_id`` where the
        site set one, else ``user_pseudo_id``, the browser's id), ``"user_id"`` (events
        without one are dropped) or ``"user_pseudo_id"``.
    params
        More ``event_params`` keys to flatten into columns of their own (their value as
        GA4 typed it), beside :data:`GA4_PARAMS`.

    Returns
    -------
    ExportResult
        ``.events``, sorted by time: ``user_id`` (the chosen identity), ``timestamp``
        (``event_timestamp``, microseconds, as tz-aware UTC), ``event``
        (``event_name``), ``user_pseudo_id``, ``ga_user_id`` (GA4's own ``user_id``),
        ``event_date``, the :data:`GA4_PARAMS` (``ga_session_id``, ``page_location``,
        ``source``, ``medium``, ``campaign``, ``transaction_id``, ``value``, ``currency``...),
        ``device`` (``device.category``), ``country`` (``geo.country``),
        ``first_source`` / ``first_medium`` / ``first_campaign`` (``traffic_source``: the
        user's first visit), ``revenue`` (``ecommerce.purchase_revenue``), ``items``
        (number of entries in ``items``), then your ``params``. Columns ready for
        ``Funnel(stage_template("ga4_ecommerce"))``.

    Notes
    -----
    ``source``, ``medium`` and ``campaign`` are the event's own parameters (GA4 sets
    them on the events that start a visit) and, where absent, the event's
    ``collected_traffic_source.manual_source`` / ``manual_medium`` /
    ``manual_campaign_name``. ``transaction_id`` falls back on
    ``ecommerce.transaction_id``. Events without a timestamp, a name or the chosen user
    id are dropped and counted in ``provenance``.

    Raises
    ------
    EmptyFrameError
        The export has no rows.
    ColumnNotFoundError
        A required field is missing or misspelt (with a did-you-mean).
    ParameterError
        The file does not exist, or a line is not a JSON object.

    Examples
    --------
    >>> from linkstar_funnel.io import sample_path
    >>> ev = read_ga4(sample_path("ga4_jsonl"))
    >>> ev.events[["timestamp", "event", "ga_session_id", "source"]].head(3)
                             timestamp          event  ga_session_id    source
    0 2026-03-01 00:36:23.883494+00:00  session_start     1772325383  (direct)
    1 2026-03-01 00:40:00.878364+00:00      page_view     1772325383  (direct)
    2 2026-03-01 00:42:33.233987+00:00      view_item     1772325383      <NA>
    """
    rows = _read_rows(path)
    require_rows(len(rows), what=_WHAT)
    extra = [k for k in params if k not in GA4_PARAMS]
    fields: set[str] = set()
    for row in rows[:1000]:
        fields.update(row)
    if rows:  # always: require_rows above
        for name in _REQUIRED:
            if name not in fields:
                raise ColumnNotFoundError(name, sorted(fields), frame_name=_WHAT)
    n = len(rows)
    wanted = {**GA4_PARAMS, **dict.fromkeys(extra, "any")}
    flat: dict[str, list[object]] = {k: [None] * n for k in wanted}
    ts: list[object] = [None] * n
    event: list[object] = [None] * n
    pseudo: list[object] = [None] * n
    login: list[object] = [None] * n
    date: list[object] = [None] * n
    device: list[object] = [None] * n
    country: list[object] = [None] * n
    first: dict[str, list[object]] = {k: [None] * n for k in ("source", "medium", "name")}
    revenue: list[object] = [None] * n
    items = np.zeros(n, dtype=np.int64)
    for i, row in enumerate(rows):
        ts[i] = row.get("event_timestamp")
        event[i] = row.get("event_name")
        pseudo[i] = row.get("user_pseudo_id")
        login[i] = row.get("user_id")
        date[i] = row.get("event_date")
        device[i] = _get(row, "device.category")
        country[i] = _get(row, "geo.country")
        for k, column in first.items():
            column[i] = _get(row, f"traffic_source.{k}")
        revenue[i] = _get(row, "ecommerce.purchase_revenue")
        its = row.get("items")
        items[i] = len(its) if isinstance(its, list) else its if isinstance(its, int) else 0
        for entry in row.get("event_params") or ():
            if isinstance(entry, Mapping) and entry.get("key") in flat:
                flat[str(entry["key"])][i] = _value(entry.get("value"))
        collected = row.get("collected_traffic_source")
        if isinstance(collected, Mapping):
            for key, field in (("source", "manual_source"), ("medium", "manual_medium"),
                               ("campaign", "manual_campaign_name")):  # fmt: skip
                if flat[key][i] is None:
                    flat[key][i] = collected.get(field)
        if flat["transaction_id"][i] is None:
            flat["transaction_id"][i] = _get(row, "ecommerce.transaction_id")

    micros = pd.to_numeric(pd.Series(ts, dtype=object), errors="coerce")
    timestamp = pd.to_datetime(micros, unit="us", utc=True)
    pseudo_s = _strings(pseudo)
    login_s = _strings(login)
    chosen = {"auto": login_s.fillna(pseudo_s), "user_id": login_s, "user_pseudo_id": pseudo_s}[
        user
    ]
    events = pd.DataFrame(
        {
            "user_id": chosen,
            "timestamp": timestamp,
            "event": _strings(event),
            "user_pseudo_id": pseudo_s,
            "ga_user_id": login_s,
            "event_date": _strings(date),
        }
    )
    for key, kind in wanted.items():
        values = pd.Series(flat[key], dtype=object)
        if kind == "int":
            events[key] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif kind == "float":
            events[key] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "str":
            events[key] = _strings(flat[key])
        else:
            events[key] = values
    events["device"] = _strings(device)
    events["country"] = _strings(country)
    events["first_source"] = _strings(first["source"])
    events["first_medium"] = _strings(first["medium"])
    events["first_campaign"] = _strings(first["name"])
    events["revenue"] = pd.to_numeric(pd.Series(revenue, dtype=object), errors="coerce").astype(
        "float64"
    )
    events["items"] = items

    acc = RowAccounting(rows_in=n)
    no_time = events["timestamp"].isna()
    no_event = events["event"].isna() & ~no_time
    no_user = events["user_id"].isna() & ~no_time & ~no_event
    acc = acc.with_dropped("events without a readable event_timestamp", int(no_time.sum()),
                           column="event_timestamp")  # fmt: skip
    acc = acc.with_dropped("events without an event_name", int(no_event.sum()), column="event_name")
    who = "user_id" if user == "user_id" else "user_pseudo_id"
    acc = acc.with_dropped(f"events without a {who}", int(no_user.sum()), column=who)
    events = events[~(no_time | no_event | no_user)]
    events = events.sort_values("timestamp", kind="stable").reset_index(drop=True)
    notes = [f"user_id is {'user_id, else user_pseudo_id' if user == 'auto' else user}"]
    if user == "auto":
        signed = int(events["ga_user_id"].notna().sum())
        notes.append(f"{signed:,} of {len(events):,} events carry GA4's own user_id")
    # value, revenue: missing on events that carry none (page_view...), by design
    numeric_optional = {"value", "revenue"}
    warn_missing(
        {"events": events.drop(columns=[c for c in numeric_optional if c in events])}, what=_WHAT
    )
    return ExportResult(
        "ga4",
        {"events": events},
        Provenance(spec="read_ga4", inputs={"events": acc}, notes=tuple(notes)),
    )


def _strings(values: list[object]) -> pd.Series:
    s = pd.Series(values, dtype=object)
    s = s.where(s.notna(), None).map(lambda v: v if v is None else str(v))
    out = s.astype("string")
    return out.mask(out == "")
