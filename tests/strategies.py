"""Shared hypothesis strategies: small, messy event logs and funnel specs.

Event logs have few users, few event names, small integer-second times with many ties,
duplicate rows, events matching several stages, and rows in no particular order.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from linkstar_funnel.errors import LinkstarError
from linkstar_funnel.funnel import Exclusion, Funnel
from linkstar_funnel.stages import Stage

T = TypeVar("T")
EVENT_NAMES = ("a", "b", "c", "d", "x")
T0 = pd.Timestamp("2026-03-01")


@st.composite
def event_logs(
    draw: st.DrawFn, *, max_rows: int = 14, users: int = 3, max_seconds: int = 12
) -> pd.DataFrame:
    """An event log: user_id, timestamp (T0 + small integer seconds), event, seg, session."""
    raw = draw(
        data_frames(
            [
                column("user_id", elements=st.sampled_from([f"u{i}" for i in range(users)])),
                column("sec", elements=st.integers(0, max_seconds)),
                column("event", elements=st.sampled_from(EVENT_NAMES)),
                column("seg", elements=st.sampled_from(["s1", "s2"])),
                column("session", elements=st.sampled_from([1, 2])),
            ],
            index=range_indexes(min_size=1, max_size=max_rows),
        )
    )
    times = T0 + pd.to_timedelta(raw["sec"].to_numpy(), unit="s")
    out = raw.drop(columns="sec").assign(timestamp=times)
    return out[["user_id", "timestamp", "event", "seg", "session"]]


def stage_lists(min_stages: int = 2, max_stages: int = 4) -> st.SearchStrategy[list[Stage]]:
    """Stages S0..Sk, each matching one or two of the event names a-d (overlaps allowed)."""
    one = st.lists(st.sampled_from(EVENT_NAMES[:4]), min_size=1, max_size=2, unique=True)
    return st.lists(one, min_size=min_stages, max_size=max_stages).map(
        lambda evs: [Stage(f"S{i}", event=e) for i, e in enumerate(evs)]
    )


@st.composite
def funnels(
    draw: st.DrawFn,
    *,
    orders: tuple[str, ...] = ("ordered", "strict", "unordered"),
    counting: tuple[str, ...] = ("users", "totals", "sessions"),
) -> Funnel:
    """Any valid Funnel over :func:`stage_lists`, every option drawn."""
    stages = draw(stage_lists())
    k = len(stages)
    order = draw(st.sampled_from(orders))
    secs = st.integers(1, 10).map(lambda s: pd.Timedelta(seconds=s))
    kwargs: dict[str, object] = {
        "window": draw(secs),
        "order": order,
        "entry": draw(st.sampled_from(["any", "first"])),
        "distinct_events": draw(st.booleans()),
        "counting": draw(st.sampled_from(counting)),
    }
    if order == "strict":
        kwargs["strict_scope"] = draw(st.sampled_from(["funnel", "all"]))
    if order != "unordered":
        kwargs["ties"] = draw(st.sampled_from(["stage_order", "strict_increase"]))
        if draw(st.booleans()):
            kwargs["step_windows"] = draw(
                st.lists(st.none() | secs, min_size=k - 1, max_size=k - 1)
            )
    if draw(st.booleans()):
        i = draw(st.integers(1, k - 1))
        j = draw(st.integers(i + 1, k))
        kwargs["exclusions"] = [Exclusion(draw(st.sampled_from(["x", "c"])), between=(i, j))]
    return Funnel(stages, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------- messy columns

MESSY_T0 = pd.Timestamp("2026-01-01")


def dressed(values: list[object], kind: str, dtype: str) -> pd.Series:
    """``values`` (None = missing) as one of the dtypes a user's frame may carry."""
    if kind == "number":
        if dtype == "numpy":
            return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
        if dtype == "nullable":
            return pd.Series(pd.array(values, dtype="Float64"))
        return pd.Series(pd.array(values, dtype="double[pyarrow]"))
    if kind == "time":
        s = pd.Series([pd.NaT if v is None else MESSY_T0 + pd.Timedelta(days=v) for v in values])
        return s.astype("timestamp[ns][pyarrow]") if dtype == "arrow" else s
    if dtype == "numpy":
        return pd.Series(values, dtype=object)
    if dtype == "nullable":
        return pd.Series(pd.array(values, dtype="string"))
    return pd.Series(pd.array(values, dtype="string[pyarrow]"))


def messy_column(draw: st.DrawFn, n: int, kind: str, pool: st.SearchStrategy[object]) -> pd.Series:
    values = draw(st.lists(st.one_of(st.none(), pool), min_size=n, max_size=n))
    return dressed(values, kind, draw(st.sampled_from(["numpy", "nullable", "arrow"])))


def finite_or_typed(call: Callable[[], T]) -> tuple[T | None, list[warnings.WarningMessage]]:
    """Run ``call``: a LinkstarError is fine; otherwise return its result, warnings kept."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except LinkstarError:
            return None, []
    return result, [w for w in caught if not issubclass(w.category, DeprecationWarning)]
