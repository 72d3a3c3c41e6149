"""The demo store's injected drop is found; daily bucketing reads days in market zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.datasets import make_demo_store
from linkstar_funnel.errors import ParameterError, SchemaError
from linkstar_funnel.monitor import daily_rate, detect


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    return make_demo_store(
        60_000,
        seed=3,
        days=56,
        drop={"stage": "payment", "start": "2026-02-16", "end": "2026-02-19", "factor": 0.5},
    )


def plain_daily_checkout_rate(events: pd.DataFrame) -> pd.DataFrame:
    """Slow, obvious reference: per UTC day, users with a checkout, and of them with a payment."""
    ev = events.assign(
        date=events["timestamp"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    )
    rows = []
    for date, day in ev.groupby("date"):
        checkout = set(day.loc[day["event"] == "checkout", "user_id"])
        paid = set(day.loc[day["event"] == "payment", "user_id"])
        if checkout:
            rows.append({"date": date, "successes": len(checkout & paid), "trials": len(checkout)})
    return pd.DataFrame(rows)


def test_daily_rate_equals_plain_pandas(store) -> None:  # type: ignore[no-untyped-def]
    ours = daily_rate(store.events, "payment", "checkout")
    ref = plain_daily_checkout_rate(store.events)
    np.testing.assert_array_equal(ours["successes"], ref["successes"])
    np.testing.assert_array_equal(ours["trials"], ref["trials"])
    assert (ours["date"].to_numpy() == ref["date"].to_numpy()).all()
    assert ours["is_weekend"].sum() == 16


@pytest.mark.parametrize("method", ["robust", "pchart", "prophet"])
def test_injected_drop_is_found(store, method: str) -> None:  # type: ignore[no-untyped-def]
    drop = store.truth.drop
    days = set(
        pd.date_range(drop.start.tz_localize(None), drop.end.tz_localize(None), inclusive="left")
    )
    kpis = daily_rate(store.events, "payment", "checkout", metric="checkout_completion")
    alerts = detect(kpis, method=method, direction="drop").to_frame()
    found = set(alerts["date"])
    assert len(found & days) >= 2  # at least two of the three days of the drop
    assert len(found - days) <= 1  # and at most one alarm elsewhere in eight weeks


def test_market_time_zones(store) -> None:  # type: ignore[no-untyped-def]
    zones = dict(zip(store.markets["country"], store.markets["time_zone"], strict=True))
    local = daily_rate(store.events, "payment", "checkout", tz=zones, market="country")
    assert "country" in local.columns
    utc = daily_rate(store.events, "payment", "checkout", by=["country"])
    # Same users, days re-cut at local midnight: totals agree closely, not day by day.
    assert abs(local["trials"].sum() - utc["trials"].sum()) / utc["trials"].sum() < 0.02
    jp_local = local.loc[local["country"] == "JP"].set_index("date")["trials"]
    jp_utc = utc.loc[utc["country"] == "JP"].set_index("date")["trials"]
    assert not jp_local.reindex(jp_utc.index).equals(jp_utc)


def test_daily_rate_errors(store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ParameterError, match="'market' parameter of daily_rate"):
        daily_rate(store.events, "payment", "checkout", tz={"US": "America/New_York"})
    with pytest.raises(SchemaError, match="no time zone for 'country'"):
        daily_rate(store.events, "payment", "checkout", tz={"US": "UTC"}, market="country")
