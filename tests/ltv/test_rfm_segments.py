"""RFM segments: scores and segments against a plain per-customer reference, tie handling,
custom maps, audiences, P(alive) where BG/NBD converges and NaN (with a warning) where not."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.errors import ConvergenceWarning, ParameterError
from linkstar_funnel.ltv._rfm_segments import STANDARD_SEGMENTS, rfm_scores
from linkstar_funnel.results import check_result


def _score_reference(values: list[float], higher_is_better: bool) -> list[int]:
    """Mid-rank quintiles, by hand: rank = 1 + (# strictly worse) + (# tied - 1) / 2."""
    n = len(values)
    out = []
    for v in values:
        worse = sum(1 for w in values if (w < v if higher_is_better else w > v))
        tied = sum(1 for w in values if w == v)
        rank = 1 + worse + (tied - 1) / 2
        out.append(min(5, 1 + int(5 * (rank - 0.5) // n)))
    return out


def _segment_reference(r: int, f: int, m: int) -> str:
    for name, ((r0, r1), (f0, f1), (m0, m1)) in STANDARD_SEGMENTS.items():
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "other"


@st.composite
def orders(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    cust = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    rev = draw(st.lists(st.sampled_from([5.0, 10.0, 25.0, 40.0]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": [f"c{c}" for c in cust],
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(day, unit="D"),
            "revenue": rev,
        }
    )


@settings(max_examples=20, deadline=None)
@given(orders(), st.booleans())
def test_matches_the_per_customer_reference(df: pd.DataFrame, shuffle: bool) -> None:
    if shuffle:
        df = df.iloc[::-1].reset_index(drop=True)
    res = lf.ltv.rfm_segments(df, observation_end="2026-03-15", p_alive=False)
    got = res.to_frame().set_index("customer").sort_index()
    end = pd.Timestamp("2026-03-15")
    per = {}
    for c, g in df.groupby("customer_id"):
        days = g.groupby(g["timestamp"].dt.normalize())["revenue"].sum()
        per[c] = ((end - days.index.max()).days, len(days), float(days.sum()))
    ref = pd.DataFrame(per, index=["recency", "frequency", "monetary"]).T.sort_index()
    assert got["recency"].tolist() == ref["recency"].astype(int).tolist()
    assert got["frequency"].tolist() == ref["frequency"].astype(int).tolist()
    np.testing.assert_allclose(got["monetary"], ref["monetary"])
    r = _score_reference(ref["recency"].tolist(), higher_is_better=False)
    f = _score_reference(ref["frequency"].tolist(), higher_is_better=True)
    m = _score_reference(ref["monetary"].tolist(), higher_is_better=True)
    assert got["r_score"].tolist() == r
    assert got["f_score"].tolist() == f
    assert got["m_score"].tolist() == m
    assert got["segment"].tolist() == [_segment_reference(*x) for x in zip(r, f, m, strict=True)]
    # every customer is in exactly one audience
    total = sum(len(res.audience(s)) for s in res.segments)
    assert total == len(got)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=40))
def test_scores_are_balanced_and_ties_share_one(values: list[int]) -> None:
    s = rfm_scores(values)
    assert s.min() >= 1
    assert s.max() <= 5
    for v in set(values):  # ties share a score
        assert len(set(s[np.asarray(values) == v])) == 1
    if len(set(values)) == len(values):  # distinct values: quintiles of equal size (±1)
        counts = np.bincount(s, minlength=6)[1:]
        assert counts.max() - counts.min() <= 1
    # higher values never score lower
    order = np.argsort(values, kind="stable")
    assert (np.diff(s[order]) >= 0).all()


def _small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3, 4, 5],
            "timestamp": pd.to_datetime(
                [
                    "2026-01-02",
                    "2026-02-01",
                    "2026-03-01",
                    "2026-01-05",
                    "2026-02-20",
                    "2026-02-27",
                    "2026-03-02",
                    "2026-01-20",
                ]
            ),
            "revenue": [50.0, 60.0, 70.0, 5.0, 20.0, 30.0, 8.0, 12.0],
        }
    )


def test_custom_map_replaces_the_standard_one_and_audiences_are_ids() -> None:
    custom = {"best": ((4, 5), (1, 5), (4, 5)), "rest": ((1, 5), (1, 5), (1, 5))}
    res = lf.ltv.rfm_segments(_small(), segments=custom, p_alive=False)
    assert set(res.to_frame()["segment"]) <= {"best", "rest"}
    assert res.segments == ["best", "rest", "other"]
    best = res.audience("best")
    assert best.tolist() == [1]  # customer 1: recent, biggest spender
    assert best.dtype == np.int64
    with pytest.raises(ParameterError, match="'segment'"):
        res.audience("champions")
    with pytest.raises(ParameterError, match="'segments'"):
        lf.ltv.rfm_segments(_small(), segments={"x": ((0, 5), (1, 5), (1, 5))})


def test_p_alive_where_bgnbd_converges_and_nan_with_a_warning_where_not() -> None:
    orders = lf.datasets.online_retail_orders()
    keep = orders["customer_id"].drop_duplicates().iloc[:150]
    sub = orders[orders["customer_id"].isin(keep)]
    res = lf.ltv.rfm_segments(sub)
    p = res.to_frame()["p_alive"]
    assert p.between(0, 1).all()
    assert res.p_alive_model.startswith("BG/NBD")
    # Steady weekly buyers up to the end: nobody drops out, the fit is BG/NBD's NBD limit.
    rows = [
        (c, pd.Timestamp("2026-01-01") + pd.Timedelta(days=7 * w + c % 4), 10.0 + c)
        for c in range(30)
        for w in range(c % 5, 20, 1 + c % 3)
    ]
    steady = pd.DataFrame(rows, columns=["customer_id", "timestamp", "revenue"])
    with pytest.warns(ConvergenceWarning, match="P\\(alive\\) is NaN"):
        nbd = lf.ltv.rfm_segments(steady)
    assert nbd.to_frame()["p_alive"].isna().all()
    assert "not available" in nbd.p_alive_model


def test_result_kit() -> None:
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = lf.ltv.rfm_segments(_small())
    check_result(res)
    plt.close("all")
    assert "RFM segments" in str(res.summary())
