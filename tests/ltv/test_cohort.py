"""CohortLTV: invariants (monotone curves, intervals, row order), pooling, prophet use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import linkstar_funnel as lf
from linkstar_funnel.errors import ParameterError

from .strategies import hierarchical_orders, order_tables

FAST = lf.ltv.CohortLTV(horizon="120D", use_prophet=False)


def check_curves(frame: pd.DataFrame, keys: list[str]) -> None:
    assert np.isfinite(frame[["value", "lower", "upper"]].to_numpy()).all()
    assert (frame["lower"] <= frame["value"] + 1e-9).all()
    assert (frame["value"] <= frame["upper"] + 1e-9).all()
    for _, g in frame.sort_values("age").groupby(keys, observed=True):
        for col in ("value", "lower", "upper"):
            assert (np.diff(g[col].to_numpy()) >= -1e-9).all(), col


@given(orders=order_tables())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_curves_monotone_with_intervals_and_row_order_free(orders: pd.DataFrame) -> None:
    cut = "2025-04-01"
    fit = FAST.fit(orders, by="channel", observation_end=cut)
    frame = fit.predict(alpha=0.1).to_frame()
    check_curves(frame, ["cohort", "channel"])
    again = FAST.fit(orders.iloc[::-1], by="channel", observation_end=cut).predict(alpha=0.1)
    pd.testing.assert_frame_equal(frame, again.to_frame())
    rev = fit.expected_customer_revenue("2025-06-01")
    assert (rev >= 0).all()
    assert (fit.expected_customer_revenue("2025-07-01") >= rev - 1e-9).all()


def test_prophet_backed_fit_is_quiet_and_sane(
    store: lf.datasets.DemoStore, capfd: pytest.CaptureFixture[str]
) -> None:
    fit = lf.ltv.CohortLTV(horizon="180D", min_customers=10_000).fit(
        store.orders, by="channel", observation_end="2026-03-16"
    )
    out, err = capfd.readouterr()
    assert out == ""
    assert "cmdstanpy" not in err
    assert any("prophet" in n for n in fit.provenance.notes)
    frame = fit.predict(alpha=0.2).to_frame()
    check_curves(frame, ["cohort", "channel"])
    ltv = fit.predict(at="180D").ltv()
    # No overshoot: six-month value stays within a few times the observed 10-week value.
    seen = fit.predict(at="70D").ltv().set_index("channel")["value"]
    assert (ltv.set_index("channel")["value"] < 5 * seen).all()


def test_alpha_controls_interval_width(store: lf.datasets.DemoStore) -> None:
    fit = FAST.fit(store.orders, by="channel", observation_end="2026-03-01")
    wide = fit.predict(at="120D", alpha=0.01).to_frame()
    narrow = fit.predict(at="120D", alpha=0.3).to_frame()
    future = ~wide["observed"]
    assert (wide["upper"][future] > narrow["upper"][future]).all()
    assert (wide["lower"][future] < narrow["lower"][future]).all()
    with pytest.raises(ParameterError, match="'alpha' parameter"):
        fit.predict(alpha=1.5)


def test_small_segments_pooled_with_honest_intervals() -> None:
    orders = hierarchical_orders(seed=7)
    fit = FAST.fit(orders, by=["channel", "campaign", "creative"], observation_end="2025-05-15")
    ltv = fit.predict(at="120D", alpha=0.1).ltv()
    rel_width = (ltv["upper"] - ltv["lower"]) / ltv["value"]
    small = ltv["customers"] < ltv["customers"].median()
    assert rel_width[small].mean() > rel_width[~small].mean()
    assert np.isfinite(ltv["value"]).all()
    assert (ltv["value"] > 0).all()
    # Segments differ by construction (scale 1x, 2x, 3x by channel): pooling keeps the order.
    by_channel = ltv.groupby("channel")["value"].mean()
    assert by_channel["ch0"] < by_channel["ch1"] < by_channel["ch2"]


def test_progress_callback_and_specs_validate() -> None:
    calls: list[tuple[int, int]] = []
    orders = hierarchical_orders(seed=1, leaves=4, per_leaf=(200, 300))
    FAST.fit(
        orders,
        by="channel",
        observation_end="2025-05-15",
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls
    assert calls[-1][0] == calls[-1][1]
    with pytest.raises(ParameterError, match="The 'horizon' parameter of CohortLTV"):
        lf.ltv.CohortLTV(horizon="-3D")
    with pytest.raises(ParameterError, match="The 'pooling_strength' parameter of CohortLTV"):
        lf.ltv.CohortLTV(pooling_strength=-1)


@pytest.mark.slow
def test_parallel_fit_matches_serial() -> None:
    orders = hierarchical_orders(seed=3, leaves=6, per_leaf=(300, 400))
    kw = {"by": "creative", "observation_end": "2025-05-15"}
    serial = lf.ltv.CohortLTV(horizon="120D", min_customers=100).fit(orders, **kw)
    parallel = lf.ltv.CohortLTV(horizon="120D", min_customers=100, n_jobs=2).fit(orders, **kw)
    pd.testing.assert_frame_equal(serial.to_frame(), parallel.to_frame())
