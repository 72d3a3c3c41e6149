"""Breakdowns: many segment columns (no overflow of the combined code), missing values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.funnel import Funnel

_T0 = pd.Timestamp("2026-01-01")


def _log(segments: pd.DataFrame, converts: np.ndarray) -> pd.DataFrame:
    """One user per row of ``segments``: a visit, and a cart an hour later if converts."""
    n = len(segments)
    visits = segments.assign(user_id=np.arange(n), timestamp=_T0, event="visit")
    carts = visits.loc[converts].assign(timestamp=_T0 + pd.Timedelta("1h"), event="cart")
    return pd.concat([visits, carts], ignore_index=True)


def _reference(segments: pd.DataFrame, converts: np.ndarray) -> pd.DataFrame:
    """Users per segment and stage, by a plain pandas groupby (missing values kept)."""
    by = list(segments.columns)
    grouped = segments.assign(visit=1, cart=converts.astype(np.int64)).groupby(
        by, dropna=False, sort=False
    )
    wide = grouped[["visit", "cart"]].sum().reset_index()
    return wide.melt(id_vars=by, var_name="stage", value_name="users")


def _as_text(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Segment labels as text, a missing value as "<missing>" (dtypes differ otherwise)."""
    labels = {b: [("<missing>" if pd.isna(v) else str(v)) for v in frame[b]] for b in by}
    return frame.assign(**labels)


def _compare(segments: pd.DataFrame, converts: np.ndarray) -> None:
    by = list(segments.columns)
    got = Funnel(["visit", "cart"]).compute(_log(segments, converts), by=by).to_frame()
    want = _reference(segments, converts)
    key = [*by, "stage"]
    want, got = _as_text(want, by), _as_text(got[[*key, "users"]], by)
    merged = want.merge(got, on=key, how="outer", suffixes=("", "_got"))
    assert len(merged) == len(want) == len(got)
    np.testing.assert_array_equal(merged["users"], merged["users_got"])


def test_ten_columns_of_a_hundred_values_keep_every_segment_apart() -> None:
    # 101**10 > 2**63: the combined code used to overflow and mislabel 92 of 100 segments.
    rng = np.random.default_rng(0)
    segments = pd.DataFrame({f"c{i}": rng.integers(0, 100, 100) for i in range(10)})
    for i in range(10):  # every value present, so each column has 100 labels
        segments.loc[:, f"c{i}"] = rng.permutation(100)
    _compare(segments, rng.random(100) < 0.5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_cols=st.integers(1, 14),
    n_values=st.sampled_from([2, 3, 50, 300]),
    n_users=st.integers(1, 120),
    missing=st.floats(0, 0.5),
    seed=st.integers(0, 2**32 - 1),
)
def test_breakdown_matches_a_plain_groupby(
    n_cols: int, n_values: int, n_users: int, missing: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(n_cols):
        values = np.array([f"v{x}" for x in rng.integers(0, n_values, n_users)], dtype=object)
        values[rng.random(n_users) < missing] = None
        cols[f"c{i}"] = values
    converts = rng.random(n_users) < 0.5
    converts[0] = True  # a cart somewhere: no "stage matches no event" warning
    _compare(pd.DataFrame(cols), converts)


def test_an_all_missing_segment_column_is_one_missing_segment() -> None:
    # Used to raise IndexError ("cannot do a non-empty take from an empty axes").
    segments = pd.DataFrame({"device": [np.nan] * 4, "country": ["US", "DE", "US", None]})
    converts = np.array([True, False, True, True])
    result = Funnel(["visit", "cart"]).compute(_log(segments, converts), by=["device", "country"])
    frame = result.to_frame()
    assert frame["device"].isna().all()
    assert frame.loc[frame["stage"] == "visit", "users"].sum() == 4
    _compare(segments, converts)
    users = result.users()
    assert users["device"].isna().all()
    assert sorted(users["country"].fillna("?")) == ["?", "DE", "US", "US"]


@pytest.mark.parametrize("top_n", [1, 2])
def test_top_n_with_a_missing_segment(top_n: int) -> None:
    segments = pd.DataFrame({"device": [None, None, None, "ios", "web", "web"]})
    converts = np.ones(6, dtype=bool)
    frame = Funnel(["visit", "cart"], top_n=top_n).compute(_log(segments, converts), by="device")
    visits = frame.to_frame().query("stage == 'visit'")
    assert visits["users"].sum() == 6
    assert visits["device"].iloc[0] is None  # the largest segment: the missing values


def test_trends_and_bottleneck_keep_the_missing_segment() -> None:
    # groupby's default dropna=True used to drop the missing segment's rows from trends.
    rng = np.random.default_rng(3)
    segments = pd.DataFrame({"device": rng.choice(np.array(["ios", None], dtype=object), 300)})
    converts = rng.random(300) < 0.3
    events = _log(segments, converts)
    events["timestamp"] += pd.to_timedelta(rng.integers(0, 60, len(events)), unit="D")
    events = events.sort_values("timestamp")
    result = Funnel(["visit", "cart"], window="1h").compute(events, by="device")
    trends = result.trends("W")
    counts = result.to_frame()
    for stage in ("visit", "cart"):
        got = trends.loc[trends["stage"] == stage].groupby("device", dropna=False)["users"].sum()
        want = counts.loc[counts["stage"] == stage].set_index("device")["users"]
        assert got.sort_index().tolist() == want.sort_index().tolist()
    ranked = result.bottleneck(min_entrants=1)
    assert ranked["device"].isna().sum() == 1  # the missing segment has a reference too
    assert ranked["reference_rate"].notna().all()
