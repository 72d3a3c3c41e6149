"""Journeys from touchpoints: the rules, a plain-Python reference, and the demo store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel.attribution as la
from linkstar_funnel.attribution._touchpoints import journeys_from_arrays
from linkstar_funnel.engines._journeys import JourneyArrays, JourneyQuery
from linkstar_funnel.errors import DataQualityWarning, SchemaError, TimeZoneError
from linkstar_funnel.schema import RowAccounting

T0 = pd.Timestamp("2026-03-01", tz="UTC")
DAY = pd.Timedelta(days=1)


def frames(touches: list[tuple[str, float, str]], convs: list[tuple[str, float, float]]):
    t = pd.DataFrame(touches, columns=["user_id", "day", "channel"])
    t["timestamp"] = T0 + pd.to_timedelta(t["day"], unit="D")
    c = pd.DataFrame(convs, columns=["user_id", "day", "revenue"])
    c["timestamp"] = T0 + pd.to_timedelta(c["day"], unit="D")
    return t.drop(columns="day"), c.drop(columns="day")


def reference(touches, convs, lookback_days: float):
    """Journeys as sorted (path, conversions, value, nulls) tuples, by the written rules."""
    out = []
    users = {u for u, *_ in touches} | {u for u, *_ in convs}
    for u in sorted(users):
        ts = sorted((d, ch) for uu, d, ch in touches if uu == u)
        cs = sorted((d, v) for uu, d, v in convs if uu == u)
        prev = -np.inf
        for d, v in cs:
            path = [ch for td, ch in ts if prev < td <= d and d - td <= lookback_days]
            out.append((tuple(path) or ("(direct/none)",), 1.0, v, 0.0))
            prev = d
        rest = [(td, ch) for td, ch in ts if td > prev]
        if rest:
            last = rest[-1][0]
            path = [ch for td, ch in rest if last - td <= lookback_days]
            out.append((tuple(path), 0.0, 0.0, 1.0))
    return sorted(out)


def ours(j: la.Journeys):
    names = j.channels
    rows = []
    for i in range(j.n_journeys):
        path = tuple(names[c] for c in j.touches[j.offsets[i] : j.offsets[i + 1]])
        rows.append((path, j.conversions[i], j.value[i], j.nulls[i]))
    return sorted(rows)


@st.composite
def touch_data(draw: st.DrawFn):
    users = ["u1", "u2", "u3"]
    touches = draw(
        st.lists(
            st.tuples(
                st.sampled_from(users),
                st.integers(0, 60).map(float),
                st.sampled_from(["a", "b", "c"]),
            ),
            max_size=15,
        )
    )
    convs = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*users, "u4"]),
                st.integers(0, 60).map(float),
                st.integers(1, 99).map(float),
            ),
            min_size=1,
            max_size=5,
            unique_by=lambda x: (x[0], x[1]),
        )
    )
    return touches, convs


@settings(max_examples=60, deadline=None)
@given(data=touch_data(), lookback=st.sampled_from([1, 7, 30]))
def test_matches_reference(data, lookback) -> None:
    touches, convs = data
    if not touches:
        touches = [("u9", 0.0, "a")]
    t, c = frames(touches, convs)
    j = la.Journeys.from_touchpoints(t, c, value="revenue", lookback=f"{lookback}D")
    assert ours(j) == reference(touches, convs, lookback)
    # Every conversion is kept: totals equal the conversions frame.
    assert j.total_conversions == len(convs)
    assert j.total_value == pytest.approx(sum(v for *_, v in convs))


@settings(max_examples=30, deadline=None)
@given(data=touch_data(), seed=st.integers(0, 2**32 - 1))
def test_row_order_does_not_matter(data, seed) -> None:
    touches, convs = data
    touches = [*touches, ("u1", 3.0, "b"), ("u1", 3.0, "a")]  # a tie
    t, c = frames(touches, convs)
    rng = np.random.default_rng(seed)
    j1 = la.Journeys.from_touchpoints(t, c, value="revenue")
    j2 = la.Journeys.from_touchpoints(
        t.sample(frac=1.0, random_state=rng), c.sample(frac=1.0, random_state=rng), value="revenue"
    )
    assert ours(j1) == ours(j2)


def test_rules_by_hand() -> None:
    t, c = frames(
        [
            ("u1", 0, "seo"),
            ("u1", 40, "email"),
            ("u1", 45, "ads"),
            ("u1", 45, "ads"),
            ("u1", 50, "social"),
            ("u1", 51, "ads"),
        ],
        [("u1", 45, 100.0), ("u1", 60, 30.0), ("u2", 1, 10.0)],
    )
    before = t.copy(deep=True)
    j = la.Journeys.from_touchpoints(t, c, value="revenue", lookback="30D")
    pd.testing.assert_frame_equal(t, before)
    frame = j.to_frame()
    assert frame["path"].tolist() == ["email > ads > ads", "social > ads", "(direct/none)"]
    assert frame["conversions"].tolist() == [1.0, 1.0, 1.0]
    # The seo touch is 45 days before the first conversion: dropped and counted.
    acc = j.inputs["touchpoints"]
    assert acc.rows_dropped == 1
    assert "lookback" in acc.dropped[0].reason
    res = la.TimeDecay(half_life="5D").attribute(j)
    assert res.conversions.sum() == pytest.approx(3.0)
    assert res.credit()["ads"] > res.credit()["email"]


def test_ages_drive_time_decay() -> None:
    t, c = frames([("u", 0, "a"), ("u", 7, "b")], [("u", 7, 1.0)])
    j = la.Journeys.from_touchpoints(t, c, value="revenue")
    assert j.ages is not None
    assert j.ages.tolist() == [7 * 86400.0, 0.0]
    credit = la.TimeDecay(half_life="7D").attribute(j).credit()
    assert credit["a"] == pytest.approx(1 / 3)
    assert credit["b"] == pytest.approx(2 / 3)


def test_channel_map_groups_campaigns() -> None:
    t, c = frames(
        [("u", 0, "fb_summer"), ("u", 1, "fb_winter"), ("u", 2, "google_brand")], [("u", 3, 9.0)]
    )
    j = la.Journeys.from_touchpoints(
        t, c, value="revenue", channel_map={"fb_summer": "paid social", "fb_winter": "paid social"}
    )
    assert set(j.channels) == {"paid social", "google_brand"}
    assert la.Linear().attribute(j).credit()["paid social"] == pytest.approx(2 / 3)


def test_separator_in_channel_name_is_refused() -> None:
    t, c = frames([("u", 0, "a > b")], [("u", 1, 1.0)])
    with pytest.raises(SchemaError, match=r"separator '>'.*'a > b'"):
        la.Journeys.from_touchpoints(t, c)


def test_mixed_time_zones_refused() -> None:
    t, c = frames([("u", 0, "a")], [("u", 1, 1.0)])
    c["timestamp"] = c["timestamp"].dt.tz_localize(None)
    with pytest.raises(TimeZoneError):
        la.Journeys.from_touchpoints(t, c)


def test_negative_value_refused() -> None:
    t, c = frames([("u", 0, "a")], [("u", 1, -5.0)])
    with pytest.raises(SchemaError, match=r"'revenue'.*≥ 0.*-5.0"):
        la.Journeys.from_touchpoints(t, c, value="revenue")


def test_missing_rows_dropped_and_counted() -> None:
    t, c = frames([("u", 0, "a"), ("u", 1, "b")], [("u", 2, 1.0)])
    t.loc[1, "channel"] = None
    j = la.Journeys.from_touchpoints(t, c)
    assert j.inputs["touchpoints"].rows_dropped == 1
    res = la.LastTouch().attribute(j)
    assert "touchpoints: 2 rows in, 1 used" in res.provenance.lines()[0]


def test_demo_store() -> None:
    datasets = pytest.importorskip("linkstar_funnel.datasets")
    make = getattr(datasets, "make_demo_store", None)
    if make is None:
        pytest.skip("make_demo_store not available yet")
    store = make(seed=7)
    j = la.Journeys.from_touchpoints(
        store.touchpoints, store.orders, conversion_user="customer_id", value="revenue"
    )
    assert j.total_conversions == len(
        store.orders.dropna(subset=["customer_id", "timestamp", "revenue"])
    )
    cmp = la.compare_attribution([la.LastTouch(), la.Linear(), la.Markov(), la.Shapley()], j)
    wide = cmp.wide()
    assert wide.sum().to_numpy() == pytest.approx(j.total_conversions)
    with pytest.warns(DataQualityWarning, match=r"no spend \(no CAC\): organic, direct"):
        econ = cmp.economics(store.spend)
    assert {"cpa", "roas"} <= set(econ.to_frame().columns)


def _arrays(**changes: object) -> JourneyArrays:
    acc = RowAccounting(rows_in=2)
    base: dict[str, object] = {
        "channels": ("seo", "ads"),
        "offsets": [0, 2, 2, 3],  # the second conversion had no touch
        "touches": [1, 0, 1],
        "ages": [60.0, 0.0, 0.0],
        "conversions": [1.0, 1.0, 0.0],
        "value": [5.0, 7.0, 0.0],
        "nulls": [0.0, 0.0, 1.0],
        "touch_accounting": acc,
        "conversion_accounting": acc,
        "unseen_conversions": 1,
        "notes": ("computed by a test engine",),
    }
    base.update(changes)
    return JourneyArrays(**base)  # type: ignore[arg-type]


_QUERY = JourneyQuery(pd.DataFrame(), "u", "t", "source", "u", "t", "revenue", pd.Timedelta("30D"))


def test_journeys_are_built_once_from_any_engines_arrays() -> None:
    j = journeys_from_arrays(_arrays(), _QUERY, sep=">")
    assert j.path_strings() == ["ads > seo", "(direct/none)", "ads"]
    assert j.channels == ("seo", "ads", "(direct/none)")
    assert j.ages is not None
    assert j.ages.tolist() == [60.0, 0.0, 0.0, 0.0]
    assert j.value.tolist() == [5.0, 7.0, 0.0]
    assert "1 conversions without a touch credited to '(direct/none)'" in j.notes
    assert "1 conversions by users with no touchpoint at all" in j.notes
    assert j.notes[-1] == "computed by a test engine"


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"channels": ("seo", "a > b")}, r"'source' of the touchpoints.*separator '>'.*'a > b'"),
        ({"channels": ("seo", " ")}, r"non-empty channel names"),
        ({"value": [5.0, -7.0, 0.0]}, r"'revenue' of the conversions.*≥ 0.*-7.0 \(1 negative"),
        ({"value": [np.inf, 7.0, 0.0]}, r"'revenue'.*infinite"),
        ({"value": [1e308, 1e308, 0.0]}, r"'revenue'.*largest float64"),
    ],
)
def test_checks_on_engine_output_live_once_above_the_dispatch(
    changes: dict[str, object], match: str
) -> None:
    with pytest.raises(SchemaError, match=match):
        journeys_from_arrays(_arrays(**changes), _QUERY, sep=">")
