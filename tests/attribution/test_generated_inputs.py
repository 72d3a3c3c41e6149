"""Generated messy inputs for attribution: a typed error or a finite result.

Every column may hold missing values (NaN, None, NA, NaT), come as a nullable or Arrow
dtype, and frames may be empty or one row long. The contract: a ``LinkstarError``, or a
result whose numbers are finite (where no warning said otherwise), with the rows left out
counted; the caller's frames never change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linkstar_funnel.attribution as la

from ..strategies import finite_or_typed, messy_column

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every machine
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def touch_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    n, m = draw(st.integers(0, 6)), draw(st.integers(0, 4))
    users = st.sampled_from(["u1", "u2", "u3"])
    days = st.integers(0, 40)
    t = pd.DataFrame(
        {
            "user_id": messy_column(draw, n, "text", users),
            "timestamp": messy_column(draw, n, "time", days),
            "channel": messy_column(draw, n, "text", st.sampled_from(["a", "b", "c"])),
        }
    )
    c = pd.DataFrame(
        {
            "user_id": messy_column(draw, m, "text", users),
            "timestamp": messy_column(draw, m, "time", days),
            "revenue": messy_column(draw, m, "number", st.floats(0, 1e6)),
        }
    )
    return t, c


@st.composite
def path_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    paths = st.sampled_from(["a", "a > b", "b > c > a", "", "c"])
    return pd.DataFrame(
        {
            "path": messy_column(draw, n, "text", paths),
            "conv": messy_column(draw, n, "number", st.floats(0, 10)),
            "value": messy_column(draw, n, "number", st.floats(0, 1e3)),
        }
    )


MODELS = [la.LastTouch(), la.PositionBased(first=0.3, last=0.5), la.TimeDecay(), la.Markov()]


@SETTINGS
@given(frames=touch_frames())
def test_journeys_from_messy_frames(frames) -> None:
    t, c = frames
    copies = t.copy(deep=True), c.copy(deep=True)
    j, caught = finite_or_typed(lambda: la.Journeys.from_touchpoints(t, c, value="revenue"))
    pd.testing.assert_frame_equal(t, copies[0])
    pd.testing.assert_frame_equal(c, copies[1])
    if j is None:
        return
    assert not caught, [str(w.message) for w in caught]
    assert j.total_conversions + j.inputs["conversions"].rows_dropped == len(c)
    for model in MODELS:
        res = model.attribute(j)
        assert np.isfinite(res.conversions).all()
        assert res.conversions.sum() == pytest.approx(j.total_conversions)


@SETTINGS
@given(frame=path_frames(), empty=st.sampled_from(["raise", "direct", "drop"]))
def test_paths_from_messy_frames(frame, empty) -> None:
    copy = frame.copy(deep=True)
    j, caught = finite_or_typed(
        lambda: la.Journeys.from_paths(frame, conversions="conv", value="value", empty=empty)
    )
    pd.testing.assert_frame_equal(frame, copy)
    if j is None:
        return
    assert not caught, [str(w.message) for w in caught]
    used = j.inputs["paths"].rows_used
    assert used == len(frame) - j.inputs["paths"].rows_dropped
    for model in MODELS:
        table = model.attribute(j).to_frame()
        assert np.isfinite(table[["conversions", "value", "share"]].to_numpy()).all()
