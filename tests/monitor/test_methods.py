"""Monitor methods as an extension point: protocol, registry, kit; the renamed API."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel.monitor as mon
from linkstar_funnel._registry import Registry
from linkstar_funnel.errors import ConformanceError, ParameterError, RegistryError
from linkstar_funnel.monitor import (
    AlertsResult,
    DailySeries,
    Monitor,
    MonitorMethod,
    RobustMethod,
    check_monitor_method,
    detect,
    monitor_methods,
    register_monitor_method,
)
from linkstar_funnel.monitor._methods import MONITOR_METHODS

from .simulate import rate_series


class MeanOfLastWeek:
    """Mean and s.d. of the seven days before: a plain user method."""

    needs_counts = False

    def expect(
        self,
        series: DailySeries,
        judge: np.ndarray,
        spec: Monitor,  # noqa: ARG002 - the protocol's signature
    ) -> tuple[np.ndarray, np.ndarray]:
        expected = np.full(len(judge), np.nan)
        scale = np.full(len(judge), np.nan)
        for k, t in enumerate(judge):
            past = series.y[max(0, t - 7) : t]
            if len(past) == 7:
                expected[k] = past.mean()
                scale[k] = max(past.std(ddof=1), 1e-9)
        return expected, scale


class PeeksAndShrinks:
    """Two faults: it reads the judged day itself, and its scale is zero."""

    needs_counts = False

    def expect(
        self,
        series: DailySeries,
        judge: np.ndarray,
        spec: Monitor,  # noqa: ARG002 - the protocol's signature
    ) -> tuple[np.ndarray, np.ndarray]:
        return series.y[judge].astype(float), np.zeros(len(judge))


@pytest.mark.parametrize("name", ["robust", "pchart"])
def test_builtins_pass_the_kit(name: str) -> None:
    check_monitor_method(name)
    assert isinstance(MONITOR_METHODS.get(name), MonitorMethod)


@pytest.mark.slow
def test_prophet_passes_the_kit() -> None:
    check_monitor_method("prophet")


def test_a_user_method_passes_the_kit_and_runs_by_object_and_by_name() -> None:
    method = MeanOfLastWeek()
    check_monitor_method(method)
    data, _ = rate_series(1, seed=4, days=40)
    by_object = detect(data, method=method)
    assert set(by_object.checks()["method"]) == {"MeanOfLastWeek"}
    register_monitor_method("mean-of-last-week", method, replace=True)
    by_name = detect(data, method="mean-of-last-week")
    assert set(by_name.checks()["method"]) == {"mean-of-last-week"}
    pd.testing.assert_frame_equal(
        by_object.checks().drop(columns="method"), by_name.checks().drop(columns="method")
    )


def test_a_method_with_two_faults_gets_both_reported_at_once() -> None:
    with pytest.raises(ConformanceError) as info:
        check_monitor_method(PeeksAndShrinks())
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert message.startswith("PeeksAndShrinks fails ")
    assert "scale is positive where a value is expected" in message
    assert "uses no day from the judged one on (no look-ahead" in message


def test_a_method_returning_the_wrong_shape_is_reported() -> None:
    class Short(MeanOfLastWeek):
        def expect(
            self,
            series: DailySeries,  # noqa: ARG002
            judge: np.ndarray,  # noqa: ARG002
            spec: Monitor,  # noqa: ARG002 - the protocol's signature
        ) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(1), np.ones(1)

    with pytest.raises(ConformanceError, match=r"expected has shape \(1,\), not \(21,\)"):
        check_monitor_method(Short())
    data, _ = rate_series(1, seed=4, days=40)
    with pytest.raises(ParameterError, match="check_monitor_method"):
        detect(data, method=Short())


def test_registry_refuses_silent_overwrite_and_non_methods() -> None:
    assert isinstance(MONITOR_METHODS, Registry)
    assert {"robust", "pchart", "prophet"} <= set(monitor_methods())
    with pytest.raises(RegistryError, match="'robust' is already registered"):
        register_monitor_method("robust", MeanOfLastWeek())
    with pytest.raises(ParameterError, match="'method' parameter of register_monitor_method"):
        register_monitor_method("junk", object())  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'method' parameter of register_monitor_method"):
        register_monitor_method("a-class", MeanOfLastWeek)  # type: ignore[arg-type]
    assert isinstance(MONITOR_METHODS.get("robust"), RobustMethod)


def test_unknown_method_names_the_registered_ones() -> None:
    with pytest.raises(
        ParameterError, match=r"'method' parameter of Monitor must be one of .*'pchart'"
    ):
        Monitor(method="arima")


def test_window_is_a_duration_string() -> None:
    assert Monitor().window == "28D"
    assert Monitor(window="14D").window_days == 14
    assert Monitor(window=dt.timedelta(days=7)).window == "7D"
    assert Monitor(window=pd.Timedelta("48h")).window == "2D"
    for bad in ("36h", "0D", "-3D", "soon", 0, 1.5, True):
        with pytest.raises(ParameterError, match="'window' parameter of Monitor"):
            Monitor(window=bad)  # type: ignore[arg-type]


def test_window_in_days_still_works_for_one_release() -> None:
    with pytest.warns(DeprecationWarning, match=re.escape("window='21D'")):
        spec = Monitor(window=21)  # type: ignore[arg-type]
    assert spec == Monitor(window="21D")
    data, _ = rate_series(1, seed=4, days=40)
    with pytest.warns(DeprecationWarning, match=re.escape("window='21D'")) as caught:
        old = detect(data, window=21)
    assert caught[0].filename == __file__  # points at the caller's line
    pd.testing.assert_frame_equal(old.checks(), detect(data, window="21D").checks())


def test_alerts_result_is_named_like_every_result_and_says_by() -> None:
    data, _ = rate_series(2, seed=3, drop=0.5)
    alerts = detect(data, by=["series"])
    assert isinstance(alerts, AlertsResult)
    assert alerts.by == ("series",)
    with pytest.warns(DeprecationWarning, match="'by'"):
        assert alerts.segments == ("series",)


def test_old_result_name_is_a_deprecated_alias() -> None:
    with pytest.warns(DeprecationWarning, match="AlertsResult"):
        assert mon.__getattr__("Alerts") is AlertsResult


def test_alerts_keep_the_result_conventions() -> None:
    from linkstar_funnel.results import check_result

    data, _ = rate_series(2, seed=3, drop=0.5)
    check_result(detect(data, by=["series"]))
