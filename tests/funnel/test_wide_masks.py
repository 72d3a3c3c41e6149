"""Funnels of more than 31 stages: the compiled kernels' int64 stage bits (and int32
exclusion bits next to them) against the plain-Python reference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import DataQualityWarning
from linkstar_funnel.funnel import Exclusion, Funnel

from .reference import reference_counts, reference_outcomes

N_STAGES = 40
NAMES = [f"e{i}" for i in range(N_STAGES)]
T0 = pd.Timestamp("2026-03-01")


def wide_log(seed: int, users: int) -> pd.DataFrame:
    """Users walking far down a 40-stage funnel (stages in order, rarely one skipped, ties,
    a few out-of-order and excluded events)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        depth = int(rng.integers(1, N_STAGES + 1))
        steps = [s for s in range(depth) if rng.random() < 0.97]  # a rare skip ends the walk
        t = 0
        for s in steps:
            t += int(rng.integers(0, 3))  # 0: a tie with the previous row
            rows.append((f"u{u}", t, NAMES[s]))
        for _ in range(int(rng.integers(0, 4))):
            rows.append((f"u{u}", int(rng.integers(0, t + 1)), str(rng.choice(["oos", *NAMES]))))
    frame = pd.DataFrame(rows, columns=["user_id", "sec", "event"])
    times = T0 + pd.to_timedelta(frame.pop("sec").to_numpy(), unit="s")
    return frame.assign(timestamp=times)[["user_id", "timestamp", "event"]]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    order=st.sampled_from(["ordered", "strict", "unordered"]),
    window_s=st.sampled_from([5, 30, 10_000]),
    exclude=st.booleans(),
)
def test_forty_stages_match_reference(seed: int, order: str, window_s: int, exclude: bool) -> None:
    events = wide_log(seed, users=6)
    exclusions = [Exclusion("oos", between=(2, 35))] if exclude else []
    spec = Funnel(NAMES, window=pd.Timedelta(seconds=window_s), order=order, exclusions=exclusions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        result = spec.compute(events)
    ref = reference_outcomes(events, spec)
    assert result.to_frame()["users"].tolist() == reference_counts(ref, N_STAGES)
    users = result.users()
    got = {
        u: -1 if x else int(lv)
        for u, lv, x in zip(users["user_id"], users["level"], users["excluded"], strict=True)
    }
    assert got == {u: outs[0].level for u, outs in ref.items()}
