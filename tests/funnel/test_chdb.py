"""External reference: ClickHouse windowFunnel (chdb, in-process) on seeded logs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning, EmptyFrameError
from linkstar_funnel.funnel import Funnel

from ..strategies import event_logs

chdb = pytest.importorskip("chdb")


def clickhouse_counts(
    df: pd.DataFrame, names: list[str], window_s: int, mode: str = ""
) -> list[int]:
    conds = ", ".join(f"event = '{n}'" for n in names)
    frame = df.assign(event=df["event"].astype(str))  # noqa: F841 - read by chdb below
    q = (
        f"SELECT level, count() AS n FROM (SELECT user_id, windowFunnel({window_s}{mode})"
        f"(toDateTime(timestamp), {conds}) AS level FROM Python(frame) GROUP BY user_id) "
        "GROUP BY level"
    )
    res = chdb.query(q, "DataFrame")
    per = dict(zip(res["level"].astype(int), res["n"].astype(int), strict=True))
    return [sum(v for lv, v in per.items() if lv >= k) for k in range(1, len(names) + 1)]


def ours(df: pd.DataFrame, names: list[str], window_s: int) -> list[int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            result = Funnel(names, window=pd.Timedelta(seconds=window_s)).compute(df)
        except EmptyFrameError:
            return [0] * len(names)
    return result.to_frame()["users"].tolist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_logs_match_clickhouse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 20_000
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 2_000, n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 3_000, n), unit="s"),
            "event": rng.choice(["a", "b", "c", "d", "x"], n, p=[0.35, 0.25, 0.15, 0.1, 0.15]),
        }
    )
    names = ["a", "b", "c", "d"]
    assert ours(df, names, 300) == clickhouse_counts(df, names, 300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    events=event_logs(max_rows=25),
    window=st.integers(1, 10),
    names=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=4, unique=True),
)
def test_hypothesis_logs_match_clickhouse(
    events: pd.DataFrame, window: int, names: list[str]
) -> None:
    assert ours(events, names, window) == clickhouse_counts(events, names, window)


def test_strict_increase_finds_every_chain_clickhouse_finds() -> None:
    """ClickHouse's strict_increase is greedy: ours (exact) is never lower, often equal."""
    rng = np.random.default_rng(5)
    n = 3_000
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 300, n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 200, n), unit="s"),
            "event": rng.choice(["a", "b", "c", "x"], n),
        }
    )
    spec = Funnel(["a", "b", "c"], window="20s", ties="strict_increase")
    ours_counts = spec.compute(df).to_frame()["users"].tolist()
    ch = clickhouse_counts(df, ["a", "b", "c"], 20, ", 'strict_increase'")
    assert all(o >= c for o, c in zip(ours_counts, ch, strict=True))
    assert ours_counts[0] == ch[0]
