"""The schema layer: every rule with a failing-input example, and time handling as properties."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.schema import Column, read_times, validate, validate_events, validate_orders

ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
UNITS = ["s", "ms", "us", "ns"]
# Instants between 2000 and 2040, whole seconds so every unit represents them exactly.
SECONDS = st.integers(min_value=946_684_800, max_value=2_208_988_800)


def events_frame(**overrides: object) -> pd.DataFrame:
    data: dict[str, object] = {
        "user_id": ["a", "a", "b", "c"],
        "timestamp": pd.to_datetime(
            ["2026-01-01 10:00", "2026-01-01 11:00", "2026-01-02 09:30", "2026-01-03 23:59"]
        ),
        "event": ["visit", "cart", "visit", "visit"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


# ----------------------------------------------------------------------------- columns


def test_missing_column_names_role_and_close_match() -> None:
    with pytest.raises(lf.ColumnNotFoundError) as info:
        validate_events(events_frame(), user="UserID")
    msg = str(info.value)
    assert "user column 'UserID'" in msg
    assert "'user_id'" in msg
    assert "pass user='user_id'" in msg
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, lf.SchemaError)


def test_missing_time_column_suggests_datetime_columns() -> None:
    with pytest.raises(lf.ColumnNotFoundError, match=r"pass time='timestamp'"):
        validate_events(events_frame(), time="ts")


def test_missing_column_without_any_close_name_lists_columns() -> None:
    with pytest.raises(lf.ColumnNotFoundError) as info:
        validate_events(events_frame(), event="zzz")
    assert "Found columns: 'user_id', 'timestamp', 'event'" in str(info.value)
    assert "Hint" not in str(info.value)


def test_not_a_frame() -> None:
    with pytest.raises(lf.SchemaError, match=r"must be a pandas DataFrame.*Got list"):
        validate_events([1, 2, 3])


def test_arrow_table_is_accepted() -> None:
    pa = pytest.importorskip("pyarrow")
    table = validate_events(pa.Table.from_pandas(events_frame()))
    assert table.n_rows == 4


# ----------------------------------------------------------------------------- empty / drops


def test_empty_frame_is_a_clear_error() -> None:
    with pytest.raises(lf.EmptyFrameError, match="events frame is empty"):
        validate_events(events_frame().iloc[:0])


def test_all_rows_dropped_is_a_clear_error_with_reasons() -> None:
    frame = events_frame(user_id=[None, None, None, None])
    with pytest.raises(lf.EmptyFrameError, match="4 missing user"):
        validate_events(frame)


def test_missing_ids_times_and_events_are_dropped_and_counted() -> None:
    frame = pd.DataFrame(
        {
            "user_id": ["a", None, "b", "c", "d", np.nan],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-01", None, "2026-01-02", "2026-01-03", None]
            ),
            "event": ["visit", "visit", "visit", None, "cart", "visit"],
        }
    )
    table = validate_events(frame)
    acc = table.accounting
    assert acc.rows_in == 6
    assert acc.rows_used == 2
    reasons = {d.reason: d.count for d in acc.dropped}
    # A row missing both user and time counts once, under the first reason checked.
    assert reasons == {"missing user": 2, "missing time": 1, "missing event": 1}
    assert list(table.rows) == [0, 4]
    assert list(table.labels["user"][table.codes["user"]]) == ["a", "d"]
    assert list(table.labels["event"][table.codes["event"]]) == ["visit", "cart"]
    assert str(acc).startswith("6 rows in, 2 used, 4 dropped")


def test_nothing_dropped_keeps_rows_none() -> None:
    table = validate_events(events_frame())
    assert table.rows is None
    assert table.accounting.dropped == ()
    assert "none dropped" in str(table.accounting)


# ----------------------------------------------------------------------------- event columns


@pytest.mark.parametrize("dtype", ["object", "category", "string", "str"])
def test_event_column_dtypes_agree(dtype: str) -> None:
    frame = events_frame()
    frame["event"] = frame["event"].astype(dtype)
    table = validate_events(frame)
    names = table.labels["event"][table.codes["event"]]
    assert list(names) == ["visit", "cart", "visit", "visit"]


def test_categorical_with_missing_and_unused_categories() -> None:
    cat = pd.Categorical(["visit", None, "cart", "visit"], categories=["visit", "cart", "never"])
    table = validate_events(events_frame(event=cat))
    assert table.accounting.rows_used == 3
    assert "never" in list(table.labels["event"])


def test_numeric_user_ids_are_factorized_by_hash_order_of_appearance() -> None:
    table = validate_events(events_frame(user_id=[30, 30, 10, 20]))
    assert list(table.codes["user"]) == [0, 0, 1, 2]
    assert list(table.labels["user"]) == [30, 10, 20]


# ----------------------------------------------------------------------------- numbers


def test_orders_revenue_must_be_numeric() -> None:
    orders = pd.DataFrame(
        {
            "order_id": [1, 2],
            "customer_id": ["x", "y"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "revenue": ["10.0", "oops"],
        }
    )
    with pytest.raises(lf.SchemaError, match=r"(?s)'revenue'.*must hold numbers.*pd.to_numeric"):
        validate_orders(orders)


def test_orders_keep_refunds_and_drop_missing_revenue() -> None:
    orders = pd.DataFrame(
        {
            "order_id": [1, 2, 3, None],
            "customer_id": ["x", "y", "y", "z"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"]),
            "revenue": [10.0, -4.0, np.nan, 7.5],
        }
    )
    table = validate_orders(orders)
    assert table.numbers["revenue"].tolist() == [10.0, -4.0, 7.5]
    assert {d.reason: d.count for d in table.accounting.dropped} == {"missing revenue": 1}
    # A missing order id is allowed (order ids are optional) and coded -1.
    assert table.codes["order"].tolist() == [0, 1, -1]


def test_infinite_numbers_are_refused() -> None:
    frame = pd.DataFrame({"k": [1, 2], "v": [1.0, np.inf]})
    with pytest.raises(lf.SchemaError, match="infinite"):
        validate(frame, [Column("k", "k", "key"), Column("v", "v", "number")])


# ----------------------------------------------------------------------------- times: rules


@pytest.mark.parametrize("unit", UNITS)
def test_datetime_units_all_read_as_nanoseconds(unit: str) -> None:
    frame = events_frame()
    frame["timestamp"] = frame["timestamp"].astype(f"datetime64[{unit}]")
    table = validate_events(frame)
    expected = pd.to_datetime(events_frame()["timestamp"]).astype("datetime64[ns]")
    assert table.times["time"].ns.tolist() == expected.astype("int64").tolist()


def test_numbers_as_times_are_refused_with_a_hint() -> None:
    with pytest.raises(lf.TimeColumnError, match=r"(?s)found numbers.*unit='s'"):
        validate_events(events_frame(timestamp=[1_700_000_000] * 4))


def test_unparseable_strings_name_an_example() -> None:
    frame = events_frame(timestamp=["2026-01-01", "banana", "2026-01-02", "2026-01-03"])
    with pytest.raises(lf.TimeColumnError, match=r"1 value\(s\) do not parse.*'banana'"):
        validate_events(frame)


def test_strings_parse_as_naive_times() -> None:
    frame = events_frame(
        timestamp=["2026-01-01 10:00", "2026-01-01T11:00:00", "2026-01-02", "2026-01-03 23:59:59"]
    )
    tv = validate_events(frame).times["time"]
    assert tv.tz is None
    assert tv.to_index()[1] == pd.Timestamp("2026-01-01 11:00")


def test_strings_with_different_offsets_read_as_utc_instants() -> None:
    frame = events_frame(
        timestamp=[
            "2026-03-28 10:00+01:00",
            "2026-03-30 10:00+02:00",
            "2026-01-02 00:00Z",
            "2026-01-03 12:00+09:00",
        ]
    )
    tv = validate_events(frame).times["time"]
    assert tv.is_aware
    assert tv.to_index()[0] == pd.Timestamp("2026-03-28 09:00", tz="UTC")
    assert tv.to_index()[1] == pd.Timestamp("2026-03-30 08:00", tz="UTC")


@pytest.mark.parametrize(
    "values",
    [
        ["2026-01-01 10:00", "2026-01-01 11:00+01:00", "2026-01-02", "2026-01-03"],
        [
            dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 1, 2),
            dt.datetime(2026, 1, 3),
            dt.datetime(2026, 1, 4),
        ],
    ],
    ids=["strings", "datetimes"],
)
def test_mixing_aware_and_naive_is_an_error(values: list[object]) -> None:
    frame = events_frame(timestamp=pd.Series(values, dtype=object))
    with pytest.raises(lf.TimeZoneError, match=r"(?s)mixes tz-aware and naive.*tz_localize"):
        validate_events(frame)


def test_missing_times_in_strings_are_dropped() -> None:
    frame = events_frame(timestamp=["2026-01-01", None, "2026-01-02", "NaT"])
    table = validate_events(frame)
    assert {d.reason: d.count for d in table.accounting.dropped} == {"missing time": 2}


def test_unknown_time_zone_name() -> None:
    tv = validate_events(events_frame()).times["time"]
    with pytest.raises(lf.TimeZoneError, match=r"IANA time zone.*'Mars/Olympus'"):
        tv.local("Mars/Olympus")


def test_bucketing_reads_days_in_the_market_zone() -> None:
    # 23:30 UTC on Jan 1 is already Jan 2 in Tokyo and still Jan 1 in New York.
    frame = events_frame(
        timestamp=pd.to_datetime(["2026-01-01 23:30"] * 4).tz_localize("UTC"),
    )
    tv = validate_events(frame).times["time"]
    assert tv.bucket("D", "Asia/Tokyo")[0] == pd.Timestamp("2026-01-02")
    assert tv.bucket("D", "America/New_York")[0] == pd.Timestamp("2026-01-01")
    assert tv.bucket("D")[0] == pd.Timestamp("2026-01-01")
    # 2026-01-01 is a Thursday: its week starts Monday 2025-12-29.
    assert tv.bucket("W")[0] == pd.Timestamp("2025-12-29")
    assert tv.bucket("M", "Asia/Tokyo")[0] == pd.Timestamp("2026-01-01")


def test_bucket_rejects_unknown_frequency() -> None:
    tv = validate_events(events_frame()).times["time"]
    with pytest.raises(lf.ParameterError, match="'freq'"):
        tv.bucket("Q")


# ----------------------------------------------------------------------------- times: properties


def reference_local(seconds: list[int], tz: str) -> list[dt.datetime]:
    """Obviously correct: each UTC instant converted by the standard library."""
    zone = zoneinfo.ZoneInfo(tz)
    return [
        dt.datetime.fromtimestamp(s, tz=dt.UTC).astimezone(zone).replace(tzinfo=None)
        for s in seconds
    ]


@settings(max_examples=60, deadline=None)
@given(
    seconds=st.lists(SECONDS, min_size=1, max_size=20),
    unit=st.sampled_from(UNITS),
    source_tz=st.sampled_from([None, *ZONES]),
    target_tz=st.sampled_from(ZONES),
)
def test_any_unit_and_zone_reads_the_same_instants(
    seconds: list[int], unit: str, source_tz: str | None, target_tz: str
) -> None:
    index = pd.to_datetime(seconds, unit="s").as_unit(unit)
    if source_tz is not None:
        index = index.tz_localize("UTC").tz_convert(source_tz)
    tv = read_times(pd.Series(index), column="ts")
    # Instants: whatever the unit or zone, the same nanoseconds since the epoch.
    assert tv.ns.tolist() == [s * 1_000_000_000 for s in seconds]
    assert (tv.tz is None) == (source_tz is None)
    # Local wall clock in the target zone matches the standard library, day by day.
    local = tv.local(target_tz, naive_tz="UTC")
    assert list(local.to_pydatetime()) == reference_local(seconds, target_tz)
    days = tv.bucket("D", target_tz)
    assert [d.date() for d in days] == [x.date() for x in reference_local(seconds, target_tz)]


@settings(max_examples=40, deadline=None)
@given(seconds=st.lists(SECONDS, min_size=1, max_size=10), tz=st.sampled_from(ZONES))
def test_naive_wall_clock_is_localized_in_naive_tz(seconds: list[int], tz: str) -> None:
    # A naive column holding Tokyo wall-clock times, read in Tokyo, is unchanged.
    wall = reference_local(seconds, tz)
    tv = read_times(pd.Series(pd.DatetimeIndex(wall)), column="ts")
    assert tv.tz is None
    assert list(tv.local(tz, naive_tz=tz).to_pydatetime()) == wall


@settings(max_examples=40, deadline=None)
@given(seconds=st.lists(SECONDS, min_size=1, max_size=10), tz=st.sampled_from(ZONES))
def test_iso_strings_with_offsets_equal_the_instants(seconds: list[int], tz: str) -> None:
    zone = zoneinfo.ZoneInfo(tz)
    strings = [dt.datetime.fromtimestamp(s, tz=zone).isoformat() for s in seconds]
    tv = read_times(pd.Series(strings, dtype=object), column="ts")
    assert tv.ns.tolist() == [s * 1_000_000_000 for s in seconds]


# ----------------------------------------------------------------------------- no mutation


@settings(max_examples=30, deadline=None)
@given(
    seconds=st.lists(st.one_of(SECONDS, st.none()), min_size=1, max_size=15),
    unit=st.sampled_from(UNITS),
    tz=st.sampled_from([None, *ZONES]),
    event_dtype=st.sampled_from(["object", "category", "str"]),
)
def test_input_frames_are_never_mutated(
    seconds: list[int | None], unit: str, tz: str | None, event_dtype: str
) -> None:
    n = len(seconds)
    times = pd.to_datetime(pd.Series(seconds, dtype="Int64"), unit="s").astype(
        f"datetime64[{unit}]"
    )
    if tz is not None:
        times = times.dt.tz_localize("UTC").dt.tz_convert(tz)
    frame = pd.DataFrame(
        {
            "user_id": [f"u{i % 3}" if i % 4 else None for i in range(n)],
            "timestamp": times,
            "event": pd.Series(["visit", "cart"] * n, dtype=object)[:n].astype(event_dtype),
        }
    )
    before = frame.copy(deep=True)
    try:
        table = validate_events(frame)
    except lf.EmptyFrameError:
        pass
    else:
        assert table.frame is frame  # no copy of the caller's frame
        assert table.accounting.rows_in == n
    pd.testing.assert_frame_equal(frame, before)


# ------------------------------------------------------------- shapes and number dtypes


def test_multiindex_columns_are_refused() -> None:
    frame = events_frame()
    frame.columns = pd.MultiIndex.from_tuples([("u", "id"), ("t", "ts"), ("e", "name")])
    with pytest.raises(lf.SchemaError, match="MultiIndex columns"):
        validate_events(frame)


def test_duplicate_column_names_are_refused_by_name() -> None:
    frame = pd.concat([events_frame(), events_frame()[["event"]]], axis=1)
    with pytest.raises(lf.SchemaError, match="duplicate column names: 'event'"):
        validate_events(frame)


def test_unhashable_column_name_is_a_parameter_error() -> None:
    with pytest.raises(lf.ParameterError, match="'user' parameter"):
        validate_events(events_frame(), user=["user_id"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "values",
    [
        pd.array([1_767_225_600, 1_767_229_200, None, 1_767_315_000], dtype="Int64"),
        pd.array([1.7e9, 1.7e9, None, 1.8e9], dtype="Float64"),
        pd.Series([1_767_225_600, 1_767_229_200, None, 1.8e9], dtype=object),
        pd.Series([1, 2, 3, 4], dtype="int64[pyarrow]"),
        pd.array([True, False, True, None], dtype="boolean"),
    ],
    ids=["Int64", "Float64", "object-numbers", "arrow-int", "boolean"],
)
def test_numbers_in_any_dtype_are_refused_as_times(values: object) -> None:
    # pandas reads these as nanoseconds since 1970: silently wrong times, not an error.
    with pytest.raises(lf.TimeColumnError, match="found numbers"):
        validate_events(events_frame(timestamp=values))


def test_month_buckets_are_nanoseconds() -> None:
    # pandas 3's to_period().to_timestamp() gives microseconds; callers read .asi8 as ns.
    tv = read_times(pd.Series(pd.to_datetime(["2026-03-15 12:00", "2026-04-01 00:00"])), column="t")
    for freq in ("D", "W", "M"):
        buckets = tv.bucket(freq)
        assert buckets.unit == "ns"
    assert list(tv.bucket("M").asi8) == list(
        pd.to_datetime(["2026-03-01", "2026-04-01"]).as_unit("ns").asi8
    )


def test_numbers_beyond_a_columns_bound_are_refused_by_name() -> None:
    frame = events_frame(revenue=[1.0, 2e150, -3e200, 4.0])
    cols = [Column("user", "user_id", "key"), Column("revenue", "revenue", "number", max_abs=1e150)]
    with pytest.raises(lf.SchemaError, match=r"'revenue'.*2 value\(s\) beyond ±1e\+150"):
        validate(frame, cols)
    unbounded = [Column("user", "user_id", "key"), Column("revenue", "revenue", "number")]
    assert validate(frame, unbounded).numbers["revenue"][2] == -3e200


def test_a_repeated_wall_clock_hour_is_read_as_its_first_occurrence() -> None:
    # 2012-11-04 01:30 happened twice in New York; it was read as NaT (a silently lost day).
    tv = read_times(pd.Series(pd.to_datetime(["2012-11-04 01:30", "2012-03-11 02:30"])), column="t")
    utc = tv.local("UTC", naive_tz="America/New_York")
    assert list(utc.strftime("%Y-%m-%d %H:%M")) == ["2012-11-04 05:30", "2012-03-11 07:00"]
    assert list(tv.bucket("D", "America/New_York", naive_tz="America/New_York").day) == [4, 11]
