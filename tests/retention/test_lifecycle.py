"""Lifecycle against the per-user reference and PostHog's own case."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.errors import EmptyFrameError
from linkstar_funnel.results import check_result
from linkstar_funnel.retention import Lifecycle

from .reference import reference_lifecycle
from .test_retention import logs


@settings(max_examples=25, deadline=None)
@given(
    log=logs(),
    period=st.sampled_from(["D", "W", "M"]),
    tz=st.sampled_from(["UTC", "Asia/Shanghai", None]),
    by=st.sampled_from([None, "channel"]),
)
def test_matches_per_user_reference(log: pd.DataFrame, period: str, tz: str | None, by) -> None:
    ref = reference_lifecycle(log, names={"order"}, period=period, tz=tz)
    spec = Lifecycle("order", period=period, tz=tz)  # type: ignore[arg-type]
    if not (log["event"] == "order").any():
        with pytest.raises(EmptyFrameError):
            spec.compute(log, by=by)
        return
    f = spec.compute(log, by=by).to_frame()
    got = f.groupby(["period", "status"])["users"].sum()
    got = {(pd.Timestamp(p), s): int(v) for (p, s), v in got.items() if v}
    assert got == ref
    # every active user is exactly one of new / returning / resurrecting per period
    active = f[f["status"] != "dormant"]["users"]
    assert (active >= 0).all()
    assert (f[f["status"] == "dormant"]["users"] <= 0).all()


def test_posthog_lifecycle_days() -> None:
    """PostHog's test_lifecycle_query_runner.py (MIT), test_lifecycle_query_group_0: one
    group (org:5) active on Jan 9, 11, 12, 13, 15, 17, 18 and 19 2020 (the events of four
    persons, counted by group), daily from the 9th to the 19th."""
    days = [11, 12, 13, 15, 17, 19, 9, 12, 12, 15, 18]
    log = pd.DataFrame(
        {
            "org": "org:5",
            "timestamp": [pd.Timestamp(2020, 1, d, 12) for d in days],
            "event": "$pageview",
        }
    )
    f = Lifecycle("$pageview", period="D").compute(log, user="org").to_frame()
    table = f.pivot_table(index="period", columns="status", values="users", aggfunc="sum")
    assert table["new"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert table["returning"].tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    assert table["resurrecting"].tolist() == [0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0]
    assert table["dormant"].tolist() == [0, -1, 0, 0, 0, -1, 0, -1, 0, 0, 0]


def test_segments_add_up_and_the_kit_passes() -> None:
    import matplotlib.pyplot as plt

    log = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3],
            "timestamp": pd.to_datetime(
                ["2026-01-01", "2026-01-15", "2026-01-02", "2026-01-09", "2026-01-20"]
            ),
            "event": "order",
            "channel": ["ads", "seo", "seo", "seo", None],
        }
    )
    spec = Lifecycle("order")
    pooled = spec.compute(log).to_frame().groupby(["period", "status"])["users"].sum()
    res = spec.compute(log, by="channel")
    split = res.to_frame().groupby(["period", "status"])["users"].sum()
    pd.testing.assert_series_equal(pooled, split)
    check_result(res)
    plt.close("all")
    assert "quick ratio" in str(res.summary())
