"""daily_rate and add_day_type: bad arguments, rows without a date, user, event or market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.monitor import add_day_type, daily_rate


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3],
            "timestamp": pd.to_datetime(
                ["2026-03-02 03:00", "2026-03-02 03:05", "2026-03-02 04:00", "2026-03-02 12:00"],
                utc=True,
            ),
            "event": ["checkout", "payment", "checkout", "checkout"],
            "country": ["US", "US", None, "DE"],
        }
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"numerator": 5}, "'numerator' parameter of daily_rate"),
        ({"numerator": []}, "'numerator' parameter of daily_rate"),
        ({"denominator": ["checkout", 3]}, "'denominator' parameter of daily_rate"),
        ({"tz": 5}, "'tz' parameter of daily_rate"),
        ({"by": 5}, "'by' parameter of daily_rate"),
        ({"metric": 1}, "'metric' parameter of daily_rate"),
        ({"user": None}, "'user' parameter of daily_rate"),
        ({"tz": {"US": "UTC"}}, "'market' parameter of daily_rate"),
        ({"by": "date"}, "names column 'date'"),
        ({"by": ["country", "trials"]}, "names column 'trials'"),
    ],
)
def test_daily_rate_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args = {"numerator": "payment", "denominator": "checkout", **kwargs}
    with pytest.raises(ParameterError, match=match):
        daily_rate(_events(), **args)  # type: ignore[arg-type]


def test_daily_rate_by_one_name_and_missing_columns() -> None:
    events = _events()
    one = daily_rate(events, "payment", "checkout", by="country")
    assert one.equals(daily_rate(events, "payment", "checkout", by=["country"]))
    assert one["trials"].sum() == 3  # the user without a country is a segment of its own
    with pytest.raises(ColumnNotFoundError, match="market column 'zz'"):
        daily_rate(events, "payment", "checkout", tz={"US": "UTC"}, market="zz")
    with pytest.raises(SchemaError, match="no time zone"):
        daily_rate(events.fillna("FR"), "payment", "checkout", tz={"US": "UTC"}, market="country")


def test_daily_rate_counts_rows_it_drops() -> None:
    events = _events()
    before = events.copy(deep=True)
    zones = {"US": "America/New_York", "DE": "Europe/Berlin"}
    with pytest.warns(DataQualityWarning, match="1 missing market"):
        out = daily_rate(events, "payment", "checkout", tz=zones, market="country")
    assert out["trials"].sum() == 2
    events.loc[0, "timestamp"] = pd.NaT
    with pytest.warns(DataQualityWarning, match="1 missing time"):
        daily_rate(events, "payment", "checkout")
    pd.testing.assert_frame_equal(events.drop(index=0), before.drop(index=0))


def test_add_day_type_rows_without_a_date_are_missing_not_garbage() -> None:
    frame = pd.DataFrame({"date": [pd.Timestamp("2026-03-07"), pd.NaT]})
    with pytest.warns(DataQualityWarning, match="1 rows of column 'date' have no date"):
        out = add_day_type(frame)
    assert out["weekday"].tolist() == [5, pd.NA]
    assert out["is_weekend"].tolist() == [True, pd.NA]
    assert list(frame.columns) == ["date"]


def test_add_day_type_reads_the_column_through_the_schema_layer() -> None:
    aware = pd.DataFrame({"date": pd.to_datetime(["2026-03-06 23:00"]).tz_localize("US/Eastern")})
    assert add_day_type(aware)["weekday"].tolist() == [4]  # the local day, not UTC's
    assert add_day_type(pd.DataFrame({"date": ["2026-03-07"]}))["is_weekend"].tolist() == [True]
    with pytest.raises(ColumnNotFoundError):
        add_day_type(pd.DataFrame({"day": ["2026-03-07"]}))
    with pytest.raises(SchemaError):
        add_day_type([1])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'date' parameter of add_day_type"):
        add_day_type(aware, date=1)  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        add_day_type(pd.DataFrame({"date": np.arange(3)}))
