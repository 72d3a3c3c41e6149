"""search.keywords against a plain loop; normalization, ties, segments, opportunities."""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel import search
from linkstar_funnel.results import check_result

T0 = pd.Timestamp("2026-03-01 09:00")
TERMS = ["Tea", " tea", "MUG", "mug ", "jam", "\uff4a\uff41\uff4d", "nothing"]  # full-width "jam"


def reference(
    searches: pd.DataFrame, clicks: pd.DataFrame, orders: pd.DataFrame, window: pd.Timedelta
) -> dict[str, dict[str, float]]:
    """Per keyword: searches, users, zero results, clicked searches, clicks, positions,
    searches followed by an order, revenue, by a loop over every event and every search."""

    def key(term: str) -> str:
        return search.normalize_query(term)

    def owner(user: str, time: pd.Timestamp) -> int | None:
        best = None
        for i, s in searches.iterrows():
            within = s["user_id"] == user and s["timestamp"] <= time <= s["timestamp"] + window
            later = best is None or (s["timestamp"], i) >= (searches.loc[best, "timestamp"], best)
            if within and later:
                best = i
        return best

    clicked: dict[int, list[float]] = defaultdict(list)
    for _, c in clicks.iterrows():
        i = owner(c["user_id"], c["timestamp"])
        if i is not None:
            clicked[i].append(c["position"])
    bought: dict[int, list[float]] = defaultdict(list)
    for _, o in orders.iterrows():
        i = owner(o["user_id"], o["timestamp"])
        if i is not None:
            bought[i].append(o["revenue"])
    out: dict[str, dict[str, float]] = {}
    users: dict[str, set[str]] = defaultdict(set)
    for i, s in searches.iterrows():
        k = key(s["search_term"])
        row = out.setdefault(
            k,
            dict.fromkeys(
                ["searches", "zero", "clicked", "clicks", "pos", "bought", "revenue"], 0.0
            ),
        )
        users[k].add(s["user_id"])
        row["searches"] += 1
        row["zero"] += s["result_count"] == 0
        row["clicked"] += bool(clicked[i])
        row["clicks"] += len(clicked[i])
        row["pos"] += sum(clicked[i])
        row["bought"] += bool(bought[i])
        row["revenue"] += sum(bought[i])
    for k, row in out.items():
        row["users"] = len(users[k])
    return out


@st.composite
def logs(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    def frame(n: int, extra: dict[str, st.SearchStrategy[object]]) -> pd.DataFrame:
        rows = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"user_id": st.sampled_from(["u1", "u2", "u3"]), "m": st.integers(0, 40)}
                    | extra
                ),
                min_size=n,
                max_size=12,
            )
        )
        f = pd.DataFrame(rows, columns=["user_id", "m", *extra])
        f["timestamp"] = T0 + pd.to_timedelta(f["m"].astype(np.int64), unit="min")
        return f.drop(columns="m")

    searches = frame(
        1, {"search_term": st.sampled_from(TERMS), "result_count": st.sampled_from([0, 3, 20])}
    )
    clicks = frame(0, {"position": st.integers(1, 9).map(float)})
    orders = frame(0, {"revenue": st.sampled_from([10.0, 25.5])})
    return searches, clicks, orders


@settings(max_examples=25, deadline=None)
@given(data=logs(), minutes=st.sampled_from([0, 5, 15]))
def test_keywords_equal_the_reference_loop(
    data: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], minutes: int
) -> None:
    searches, clicks, orders = data
    window = pd.Timedelta(minutes=minutes) if minutes else pd.Timedelta("1s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)  # keywords with no click
        kw = search.keywords(searches, clicks=clicks, orders=orders, window=window).to_frame()
    want = reference(searches, clicks, orders, window)
    assert sorted(kw["keyword"]) == sorted(want)
    for row in kw.itertuples():
        w = want[row.keyword]
        assert row.searches == w["searches"]
        assert row.users == w["users"]
        assert row.zero_result_rate == pytest.approx(w["zero"] / w["searches"])
        assert row.ctr == pytest.approx(w["clicked"] / w["searches"])
        assert row.clicks == w["clicks"]
        if w["clicks"]:
            assert row.mean_click_position == pytest.approx(w["pos"] / w["clicks"])
        else:
            assert np.isnan(row.mean_click_position)
        assert row.purchase_rate == pytest.approx(w["bought"] / w["searches"])
        assert row.revenue == pytest.approx(w["revenue"])
        assert row.ctr_low <= row.ctr <= row.ctr_high
    assert kw["share"].sum() == pytest.approx(1.0)


SYNONYMS = {"teapot": "tea pot"}


def small() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    m = pd.Timedelta("1min")
    searches = pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c", "d", "d"],
            "timestamp": [T0, T0, T0, T0 + 5 * m, T0, T0 + 90 * m],
            "search_term": ["Tea Pot", "teapot", "Tea  pot", "MUG", "mug", "jam"],
            "result_count": [4, 0, 4, 10, 10, 0],
            "country": ["UK", "UK", "FR", "FR", "UK", "UK"],
        }
    )
    clicks = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "d"],
            "timestamp": [T0, T0 + 2 * m, T0 + 6 * m, T0 + 1 * m, T0 + 91 * m],
            "position": [2.0, 1.0, 3.0, 1.0, 5.0],
        }
    )
    orders = pd.DataFrame(
        {
            "user_id": ["a", "c", "d"],
            "timestamp": [T0 + 30 * m, T0 + 70 * m, T0 + 100 * m],
            "revenue": [50.0, 20.0, 9.0],
        }
    )
    return searches, clicks, orders


def test_ties_take_the_later_row_and_count_a_search_at_the_click_instant() -> None:
    searches, clicks, orders = small()
    kw = search.keywords(searches, clicks=clicks, orders=orders, synonyms=SYNONYMS)
    f = kw.to_frame().set_index("keyword")
    # User a searched "Tea Pot" and "teapot" at the same instant: the later row ("teapot",
    # zero results) takes the click at that instant and the order 30 minutes later.
    assert f.loc["tea pot", "searches"] == 3
    assert f.loc["tea pot", "clicks"] == 2
    assert f.loc["tea pot", "revenue"] == 50.0
    # c's order came 65 minutes after the search: outside the hour.
    assert f.loc["mug", "revenue"] == 0.0
    # d's click 91 min and order 100 min after the start belong to the "jam" search.
    assert f.loc["jam", "mean_click_position"] == 5.0
    assert f.loc["jam", "revenue"] == 9.0
    forms = kw.forms()
    assert forms[forms["keyword"] == "tea pot"]["form"].tolist() == [
        "Tea  pot",
        "Tea Pot",
        "teapot",
    ]
    assert "1 order(s) follow no search within the window" in kw.provenance.notes


def test_segments_give_shares_within_each_segment() -> None:
    searches, clicks, orders = small()
    f = search.keywords(
        searches, clicks=clicks, orders=orders, by="country", synonyms=SYNONYMS
    ).to_frame()
    assert f.groupby("country")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    uk = f[f["country"] == "UK"].set_index("keyword")
    assert uk.loc["mug", "searches"] == 1


def test_opportunities_rank_by_lost_revenue() -> None:
    searches, clicks, orders = small()
    kw = search.keywords(searches, clicks=clicks, orders=orders, synonyms=SYNONYMS)
    base = kw.baseline()
    # Searches that found something: a "Tea Pot", b, c, d "mug": 4; revenue after them: 0
    # (a's order went to the later "teapot" row), c's order is outside the window.
    assert base["searches_with_results"].tolist() == [4]
    opp = kw.opportunities(min_searches=1, zero_rate=0.5)
    assert opp["reason"].tolist() == ["zero results"]
    assert opp["keyword"].tolist() == ["jam"]
    expected = 1 * max(base["revenue_per_search"].iloc[0] - 9.0, 0.0)
    assert opp["lost_revenue"].iloc[0] == pytest.approx(expected)


def test_opportunities_need_orders() -> None:
    searches, clicks, _ = small()
    with pytest.raises(lf.ParameterError, match="needs orders"):
        search.keywords(searches, clicks=clicks).opportunities()


def test_keywords_without_clicks_are_announced() -> None:
    searches, clicks, _ = small()
    with pytest.warns(lf.DataQualityWarning, match="mean_click_position is NaN"):
        search.keywords(searches, clicks=clicks.iloc[:1])


def test_searches_alone() -> None:
    searches, _, _ = small()
    f = search.keywords(searches).to_frame()
    assert list(f.columns) == [
        "keyword",
        "searches",
        "users",
        "zero_result_rate",
        "zero_result_rate_low",
        "zero_result_rate_high",
        "share",
    ]


def test_frames_of_different_clocks_or_ids_are_refused() -> None:
    searches, clicks, orders = small()
    with pytest.raises(lf.TimeZoneError):
        search.keywords(
            searches, clicks=clicks.assign(timestamp=clicks["timestamp"].dt.tz_localize("UTC"))
        )
    with pytest.raises(lf.SchemaError, match="no user could match"):
        search.keywords(searches, orders=orders.assign(user_id=[1, 2, 3]))
    with pytest.raises(lf.SchemaError, match="negative"):
        search.keywords(searches.assign(result_count=-1))
    with pytest.raises(lf.EmptyFrameError):
        search.keywords(searches.assign(search_term="   "))


def test_inputs_are_not_modified_and_the_result_keeps_the_conventions() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    searches, clicks, orders = small()
    before = [f.copy() for f in (searches, clicks, orders)]
    kw = search.keywords(searches, clicks=clicks, orders=orders, by=["country"], synonyms=SYNONYMS)
    for f, b in zip((searches, clicks, orders), before, strict=True):
        pd.testing.assert_frame_equal(f, b)
    check_result(kw)
