"""Keyword analytics of a store's own search: volume, zero results, clicks, purchases."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._accounting import RowAccounting
from .._params import ColumnName, Columns, Duration, InstanceOf, Real, validate_params
from .._validators import to_timedelta
from ..errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    SchemaError,
    TimeZoneError,
)
from ..results import Provenance
from ..schema import Column, Table, as_frame, key_kind, validate
from ..stats import wilson_interval
from ._normalize import normalize_keywords
from ._result import KeywordsSpec, SearchKeywordsResult
from ._tie import tie_to_searches

__all__ = ["keywords"]

OWNER = "search.keywords"
#: The label of a missing segment value (as every breakdown of the library writes it).
MISSING = "(missing)"
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _as_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    return (by,) if isinstance(by, str) else tuple(by)


def _user_codes(searches: Table, other: Table, frame_name: str, user: str) -> IntArray:
    """The other frame's user codes in the searches' numbering (-1: never searched)."""
    mine, theirs = searches.labels["user"], other.labels["user"]
    a, b = key_kind(mine), key_kind(theirs)
    if a is not None and b is not None and a != b:
        msg = (
            f"Column {user!r} holds {a} in the searches frame but {b} in the {frame_name} "
            f"frame: no user could match.\nHint: give both frames the same kind of user id."
        )
        raise SchemaError(msg)
    position = np.asarray(mine.get_indexer(theirs), dtype=np.int64)
    codes = other.codes["user"]
    return position[codes] if len(position) else codes


def _read_events(data: object, columns: list[Column], frame_name: str) -> Table | None:
    """A validated frame of clicks or orders; ``None`` when it has no rows (no events is a
    valid answer: nothing follows the searches), once its columns are checked."""
    frame = as_frame(data, frame_name=frame_name)
    if len(frame):
        return validate(frame, columns, frame_name=frame_name)
    for col in columns:
        if col.name not in frame.columns:
            raise ColumnNotFoundError(col.name, frame.columns, role=col.role, frame_name=frame_name)
    return None


@attrs.frozen(eq=False)
class _Tied:
    """Events of one frame, each with the row of the search it belongs to (-1: none)."""

    table: Table | None
    search: IntArray
    accounting: RowAccounting

    @property
    def untied(self) -> int:
        return int((self.search < 0).sum())


def _tie(
    searches: Table,
    users_in: IntArray,
    data: object,
    columns: list[Column],
    frame_name: str,
    window_ns: int,
) -> _Tied:
    """Read a frame of clicks or orders and tie each to its search."""
    table = _read_events(data, columns, frame_name)
    if table is None:
        return _Tied(None, np.zeros(0, dtype=np.int64), RowAccounting(rows_in=0))
    _same_clock(searches, table, frame_name, columns[1].name)
    search = tie_to_searches(
        users_in,
        searches.times["time"].ns,
        _user_codes(searches, table, frame_name, columns[0].name),
        table.times["time"].ns,
        window_ns,
    )
    return _Tied(table, search, table.accounting)


def _same_clock(searches: Table, other: Table, frame_name: str, time: str) -> None:
    if (searches.times["time"].tz is None) != (other.times["time"].tz is None):
        msg = (
            f"Column {time!r} is zone-aware in one of the searches and {frame_name} frames "
            "and naive in the other: their times cannot be compared.\nHint: localize the "
            "naive one (Series.dt.tz_localize)."
        )
        raise TimeZoneError(msg)


def _segments(table: Table, by: tuple[str, ...]) -> pd.DataFrame:
    out = {}
    for c in by:
        code = table.codes[f"by:{c}"]
        lab = np.asarray(table.labels[f"by:{c}"].astype(str), dtype=object)
        safe = lab[np.maximum(code, 0)] if len(lab) else np.full(len(code), MISSING, dtype=object)
        out[c] = np.where(code >= 0, safe, MISSING)
    return pd.DataFrame(out)


def _rate(
    frame: pd.DataFrame, name: str, successes: str, trials: str, alpha: float
) -> pd.DataFrame:
    x = frame[successes].to_numpy(np.int64)
    n = frame[trials].to_numpy(np.int64)
    lo, hi = wilson_interval(x, n, alpha=alpha)
    rate = x / n
    frame[name] = rate
    frame[f"{name}_low"], frame[f"{name}_high"] = lo, hi
    return frame


@validate_params(
    user=ColumnName(),
    time=ColumnName(),
    query=ColumnName(),
    results=ColumnName(),
    position=[None, ColumnName()],
    value=ColumnName(),
    window=Duration(),
    by=[None, Columns()],
    synonyms=[None, InstanceOf(Mapping, description="a mapping of search terms to keywords")],
    alpha=Real(0, 1, closed="neither"),
)
def keywords(
    searches: object,
    *,
    clicks: object = None,
    orders: object = None,
    user: str = "user_id",
    time: str = "timestamp",
    query: str = "search_term",
    results: str = "result_count",
    position: str | None = "position",
    value: str = "revenue",
    window: str | pd.Timedelta = "1h",
    by: str | Sequence[str] | None = None,
    synonyms: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> SearchKeywordsResult:
    """What shoppers search for, what they find, click and buy, per keyword.

    Search terms are normalized into keywords (Unicode NFKC, case folded, white space
    collapsed, then ``synonyms``; see :func:`normalize_query`); the raw forms behind each
    keyword are kept (:meth:`SearchKeywordsResult.forms`).

    A click or an order belongs to the **latest search of the same user at or before it,
    within** ``window``: a search and an event at the same instant count as search first;
    of several searches of a user at one instant, the one on the later row of ``searches``
    is the latest. Events belonging to no search are counted in the provenance.

    Parameters
    ----------
    searches
        One row per search: user, time, search term, number of results (and any ``by``
        columns). Never modified, like the other frames.
    clicks
        Optional: one row per click on a search result (user, time, ``position``).
    orders
        Optional: one row per order (user, time, ``value``).
    user, time
        User and time columns, the same names in every frame.
    query, results
        Search term and number-of-results columns of ``searches``.
    position
        Position (1 = first) of the clicked result in ``clicks`` (``None``: not read).
    value
        Order value column of ``orders``.
    window
        Longest time from a search to a click or order it led to (a duration, "1h").
    by
        Segment column(s) of ``searches`` (country, device, language...).
    synonyms
        Optional map of search terms to the keyword they mean.
    alpha
        Rates carry ``1 - alpha`` Wilson intervals.

    Returns
    -------
    SearchKeywordsResult
        ``to_frame()``: per keyword (and segment), ``searches``, ``users``,
        ``zero_result_rate``, ``ctr`` (share of searches with a click), ``clicks``,
        ``mean_click_position``, ``purchase_rate`` (share of searches followed by an order
        within the window), ``revenue``, ``share`` (of the segment's searches), each rate
        with ``_low``/``_high`` bounds. Click columns need ``clicks``, purchase columns
        ``orders``.

    Warns
    -----
    DataQualityWarning
        Some keyword had no click with a position: its ``mean_click_position`` is NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.search as search
    >>> t = pd.Timestamp("2026-03-01 10:00")
    >>> searches = pd.DataFrame({
    ...     "user_id": ["a", "b", "c", "a"],
    ...     "timestamp": [t, t, t, t + pd.Timedelta("2h")],
    ...     "search_term": ["Tea Pot", "teapot", "tea  pot", "mug"],
    ...     "result_count": [12, 0, 12, 30],
    ... })
    >>> clicks = pd.DataFrame({"user_id": ["a", "c", "a"], "position": [1, 3, 2],
    ...     "timestamp": [t + pd.Timedelta("1min"), t + pd.Timedelta("5min"),
    ...                   t + pd.Timedelta("2h 1min")]})
    >>> orders = pd.DataFrame({"user_id": ["c"], "revenue": [40.0],
    ...                        "timestamp": [t + pd.Timedelta("20min")]})
    >>> kw = search.keywords(searches, clicks=clicks, orders=orders,
    ...                      synonyms={"teapot": "tea pot"})
    >>> kw.to_frame()[["keyword", "searches", "zero_result_rate", "ctr", "purchase_rate",
    ...                "revenue"]]
       keyword  searches  zero_result_rate       ctr  purchase_rate  revenue
    0  tea pot         3          0.333333  0.666667       0.333333     40.0
    1      mug         1          0.000000  1.000000       0.000000      0.0
    """
    by_cols = _as_by(by)
    window_td = to_timedelta(window, param="window", owner=OWNER)
    spec = KeywordsSpec(
        user=user,
        time=time,
        query=query,
        results=results,
        position=position if clicks is not None else None,
        value=value if orders is not None else None,
        window=window_td,
        by=by_cols,
        synonyms=tuple(sorted((str(k), str(v)) for k, v in (synonyms or {}).items())),
        alpha=float(alpha),
        clicks=clicks is not None,
        orders=orders is not None,
    )
    s_cols = [
        Column("user", user, "key"),
        Column("time", time, "time"),
        Column("query", query, "category"),
        Column("results", results, "number"),
    ] + [Column(f"by:{c}", c, "category", required=False) for c in by_cols]
    s_table = validate(searches, s_cols, frame_name="searches")
    raw = s_table.labels["query"]
    key_of_raw = normalize_keywords(pd.Series(raw.astype(str), dtype=object), synonyms)
    key_of_row = key_of_raw.to_numpy(dtype=object)[s_table.codes["query"]]
    empty = pd.isna(key_of_row)
    acc_s = s_table.accounting.with_dropped("empty search term", int(empty.sum()), column=query)
    if empty.all():
        msg = f"No search of the searches frame has a search term left: {acc_s}."
        raise EmptyFrameError(msg)
    if (s_table.numbers["results"] < 0).any():
        msg = f"Column {results!r} of the searches frame holds negative result counts."
        raise SchemaError(msg)
    keep = ~empty
    s_user = s_table.codes["user"]
    inputs = {"searches": acc_s}
    notes: list[str] = []
    n_s = len(s_user)
    clicked = np.zeros(n_s, dtype=np.int64)
    pos_sum: FloatArray = np.zeros(n_s)
    pos_n = np.zeros(n_s, dtype=np.int64)
    bought = np.zeros(n_s, dtype=np.int64)
    revenue: FloatArray = np.zeros(n_s)
    users_in = np.where(keep, s_user, -2)  # searches with no keyword take no event
    window_ns = int(window_td.value)
    if clicks is not None:
        c_cols = [Column("user", user, "key"), Column("time", time, "time")]
        if position is not None:
            c_cols.append(Column("position", position, "number", required=False))
        tied = _tie(s_table, users_in, clicks, c_cols, "clicks", window_ns)
        inputs["clicks"] = tied.accounting
        notes.append(f"{tied.untied:,} click(s) follow no search within the window")
        hit = tied.search >= 0
        clicked = np.bincount(tied.search[hit], minlength=n_s)
        if position is not None and tied.table is not None:
            pos = tied.table.numbers["position"]
            known = hit & ~np.isnan(pos)
            pos_sum = np.bincount(tied.search[known], weights=pos[known], minlength=n_s).astype(
                np.float64
            )
            pos_n = np.bincount(tied.search[known], minlength=n_s)
    if orders is not None:
        o_cols = [
            Column("user", user, "key"),
            Column("time", time, "time"),
            Column("value", value, "number"),
        ]
        tied = _tie(s_table, users_in, orders, o_cols, "orders", window_ns)
        inputs["orders"] = tied.accounting
        notes.append(f"{tied.untied:,} order(s) follow no search within the window")
        hit = tied.search >= 0
        bought = np.bincount(tied.search[hit], minlength=n_s)
        if tied.table is not None:
            values = tied.table.numbers["value"][hit]
            revenue = np.bincount(tied.search[hit], weights=values, minlength=n_s).astype(
                np.float64
            )
    per_search = _segments(s_table, by_cols).assign(
        keyword=key_of_row,
        user=s_user,
        zero=(s_table.numbers["results"] == 0).astype(np.int64),
        clicked=(clicked > 0).astype(np.int64),
        clicks=clicked,
        pos_sum=pos_sum,
        pos_n=pos_n,
        bought=(bought > 0).astype(np.int64),
        revenue=revenue,
    )[keep]
    frame = _aggregate(per_search, spec)
    forms = _forms(raw, key_of_raw, s_table.codes["query"][keep])
    return SearchKeywordsResult(
        frame=frame,
        forms_frame=forms,
        baseline_frame=_baseline(per_search, spec),
        spec=spec,
        provenance=Provenance(spec, inputs, notes=tuple(notes)),
    )


def _aggregate(per_search: pd.DataFrame, spec: KeywordsSpec) -> pd.DataFrame:
    keys = [*spec.by, "keyword"]
    g = per_search.groupby(keys, sort=False, dropna=False)
    out = g.agg(
        searches=("zero", "size"),
        users=("user", "nunique"),
        zero=("zero", "sum"),
        clicked=("clicked", "sum"),
        clicks=("clicks", "sum"),
        pos_sum=("pos_sum", "sum"),
        pos_n=("pos_n", "sum"),
        bought=("bought", "sum"),
        revenue=("revenue", "sum"),
    ).reset_index()
    out["searches"] = out["searches"].astype(np.int64)
    out["users"] = out["users"].astype(np.int64)
    out = _rate(out, "zero_result_rate", "zero", "searches", spec.alpha)
    cols = [
        *keys,
        "searches",
        "users",
        "zero_result_rate",
        "zero_result_rate_low",
        "zero_result_rate_high",
    ]
    if spec.clicks:
        out = _rate(out, "ctr", "clicked", "searches", spec.alpha)
        cols += ["ctr", "ctr_low", "ctr_high", "clicks"]
        if spec.position is not None:
            n = out["pos_n"].to_numpy(np.float64)
            none = n == 0
            if none.any():
                warnings.warn(
                    f"{int(none.sum())} keyword(s) had no click with a position: their "
                    "mean_click_position is NaN.",
                    DataQualityWarning,
                    stacklevel=3,
                )
            out["mean_click_position"] = out["pos_sum"].to_numpy() / np.where(none, np.nan, n)
            cols.append("mean_click_position")
    if spec.orders:
        out = _rate(out, "purchase_rate", "bought", "searches", spec.alpha)
        cols += ["purchase_rate", "purchase_rate_low", "purchase_rate_high", "revenue"]
    total = (
        out.groupby(list(spec.by), sort=False)["searches"].transform("sum")
        if spec.by
        else out["searches"].sum()
    )
    out["share"] = out["searches"] / total
    cols.append("share")
    out = out.sort_values(
        [*spec.by, "searches", "keyword"],
        ascending=[True] * len(spec.by) + [False, True],
        kind="stable",
    )
    return out[cols].reset_index(drop=True)


def _baseline(per_search: pd.DataFrame, spec: KeywordsSpec) -> pd.DataFrame:
    """Per segment, over the searches that found something: how many, their CTR and
    revenue per search (what a keyword's searches would be worth if they did as well)."""
    found = per_search[per_search["zero"] == 0]
    if spec.by:
        g = found.groupby(list(spec.by), sort=True)
        out = g.agg(n=("zero", "size"), clicked=("clicked", "sum"), revenue=("revenue", "sum"))
        out = out.reset_index()
        seen = per_search[list(spec.by)].drop_duplicates()
        out = seen.merge(out, on=list(spec.by), how="left").fillna(
            {"n": 0, "clicked": 0, "revenue": 0.0}
        )
    else:
        out = pd.DataFrame(
            {
                "n": [len(found)],
                "clicked": [found["clicked"].sum()],
                "revenue": [found["revenue"].sum()],
            }
        )
    n = out["n"].to_numpy(np.float64)
    safe = np.where(n > 0, n, 1.0)
    return pd.DataFrame(
        {
            **{c: out[c].to_numpy(dtype=object) for c in spec.by},
            "searches_with_results": n.astype(np.int64),
            "ctr": out["clicked"].to_numpy(np.float64) / safe,
            "revenue_per_search": out["revenue"].to_numpy(np.float64) / safe,
        }
    )


def _forms(raw: pd.Index, key_of_raw: pd.Series[Any], codes: IntArray) -> pd.DataFrame:
    counts = np.bincount(codes, minlength=len(raw))
    frame = pd.DataFrame(
        {
            "keyword": key_of_raw.to_numpy(dtype=object),
            "form": pd.Series(raw.astype(str), dtype=object).to_numpy(),
            "searches": counts.astype(np.int64),
        }
    )
    frame = frame[(frame["searches"] > 0) & frame["keyword"].notna()]
    return frame.sort_values(
        ["keyword", "searches", "form"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)
