"""Every public funnel entry point refuses bad arguments with a typed error naming them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.funnel import Exclusion, Funnel, FunnelResult
from linkstar_funnel.stages import Stage


def _events() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    return pd.DataFrame(
        {
            "user_id": rng.integers(0, 60, n),
            "timestamp": pd.Timestamp("2026-01-01")
            + pd.to_timedelta(rng.integers(0, 30 * 86_400, n), unit="s"),
            "event": rng.choice(["visit", "cart", "order"], n, p=[0.5, 0.3, 0.2]),
            "device": rng.choice(["ios", "web"], n),
        }
    )


@pytest.fixture(scope="module")
def result() -> FunnelResult:
    return Funnel(["visit", "cart", "order"]).compute(_events(), by="device")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": 5}, "'by' parameter of Funnel.compute"),
        ({"by": ["device", "device"]}, "'by' parameter of Funnel.compute"),
        ({"user": 3}, "'user' parameter of Funnel.compute"),
        ({"time": None}, "'time' parameter of Funnel.compute"),
        ({"event": ["event"]}, "'event' parameter of Funnel.compute"),
        ({"session": 1}, "'session' parameter of Funnel.compute"),
    ],
)
def test_compute_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        Funnel(["visit", "cart"]).compute(_events(), **kwargs)


def test_compute_bad_frames() -> None:
    events = _events()
    with pytest.raises(EmptyFrameError, match="missing event"):
        Funnel(["visit", "cart"]).compute(events.assign(event=np.nan))
    with pytest.raises(EmptyFrameError):
        Funnel(["visit", "cart"]).compute(events.iloc[:0])
    with pytest.raises(SchemaError):
        Funnel(["visit", "cart"]).compute(pd.concat([events, events[["event"]]], axis=1))
    multi = events.copy()
    multi.columns = pd.MultiIndex.from_tuples([(c, "x") for c in events.columns])
    with pytest.raises(SchemaError):
        Funnel(["visit", "cart"]).compute(multi)
    with pytest.raises(ColumnNotFoundError, match="'nope'"):
        Funnel([Stage("visit", where={"nope": 1}), "cart"]).compute(events)
    with pytest.raises(ParameterError, match="boolean mask of length"):
        Funnel([Stage("visit", where=lambda _: [True]), "cart"]).compute(events)


_BAD_RESULT_CALLS: list[tuple[str, Callable[[FunnelResult], object]]] = [
    ("'reference' parameter of FunnelResult.bottleneck", lambda r: r.bottleneck([0.5])),
    ("'reference' parameter of FunnelResult.bottleneck", lambda r: r.bottleneck({"cart": 2})),
    ("'reference' parameter of FunnelResult.bottleneck", lambda r: r.bottleneck({"x": 0.5})),
    ("'period' parameter of FunnelResult.bottleneck", lambda r: r.bottleneck(period="Q")),
    ("'min_entrants' parameter of", lambda r: r.bottleneck(min_entrants=-1)),
    ("'quantiles' parameter of FunnelResult.time_to_convert", lambda r: r.time_to_convert(0.5)),
    (
        "'quantiles' parameter of FunnelResult.time_between_steps",
        lambda r: r.time_between_steps([0.5, 1.5]),
    ),
    ("'quantiles' parameter of", lambda r: r.time_to_convert([float("nan")])),
    ("'quantiles' parameter of", lambda r: r.time_to_convert([0.5, 0.5])),
    ("'period' parameter of FunnelResult.trends", lambda r: r.trends("Q")),
    ("'tz' parameter of FunnelResult.trends", lambda r: r.trends("W", 5)),
    ("'kind' parameter of FunnelResult.plot", lambda r: r.plot(kind="pie")),
    ("'step' parameter of", lambda r: r.converters_vs_dropouts(1)),
    ("'step' parameter of", lambda r: r.converters_vs_dropouts([2])),
    ("'alpha' parameter of", lambda r: r.converters_vs_dropouts(2, alpha=1.0)),
    ("'columns' parameter of", lambda r: r.converters_vs_dropouts(2, columns=5)),
    ("'min_users' parameter of", lambda r: r.converters_vs_dropouts(2, min_users=0)),
    ("'bins' parameter of", lambda r: r.time_to_convert_histogram(bins=10**12)),
    ("'bins' parameter of", lambda r: r.time_to_convert_histogram(bins=["1h", "soon"])),
    ("'from_step' parameter of", lambda r: r.time_to_convert_histogram(from_step=[1])),
    ("'to_step' parameter of", lambda r: r.time_to_convert_histogram(to_step=1.5)),
    ("'value_per_order' parameter of", lambda r: r.rate_observations(value_per_order=-1)),
    ("'value_per_order' parameter of", lambda r: r.rate_observations(value_per_order=np.inf)),
    ("'complete_only' parameter of", lambda r: r.trend_observations(complete_only=1)),
    ("'bench' parameter of FunnelResult.compare", lambda r: r.compare("industry")),
    ("'period' parameter of FunnelResult.kpi_values", lambda r: r.kpi_values("Q")),
    ("'names' parameter of FunnelResult.kpi_values", lambda r: r.kpi_values(names=[1])),
]


@pytest.mark.parametrize(("match", "call"), _BAD_RESULT_CALLS)
def test_result_methods_bad_arguments(
    result: FunnelResult, match: str, call: Callable[[FunnelResult], object]
) -> None:
    with pytest.raises(ParameterError, match=match):
        call(result)


def test_quantiles_that_round_alike_keep_their_own_columns(result: FunnelResult) -> None:
    out = result.time_to_convert([0.25, 0.251, 0.025])
    assert list(out.columns[-3:]) == ["q25", "q25.1", "q2.5"]
    assert (out["q25.1"] >= out["q25"]).all()


class _ShortMatcher:
    name = "visit"

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002 - the protocol
        return np.ones(len(events) - 1, dtype=bool)


class _CountingMatcher:
    name = "visit"

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:
        events["scratch"] = 1  # a sloppy matcher: must not reach the caller's frame
        return (events[event] == "visit").to_numpy().astype(np.int64)


def test_a_custom_matcher_with_a_bad_mask_is_a_typed_error() -> None:
    events = _events()
    with pytest.raises(ParameterError, match="mask\\(\\) of stage 'visit'"):
        Funnel([_ShortMatcher(), "cart"]).compute(events)
    with pytest.raises(ParameterError, match="dtype int64"):
        Funnel([_CountingMatcher(), "cart"]).compute(events)
    assert "scratch" not in events.columns


def test_entities_without_stage_events_are_not_counted_as_excluded() -> None:
    # Level -2 (no stage event at all) used to be counted with level -1 (an exclusion):
    # the provenance said "N entities dropped by exclusion steps" with no exclusion at all.
    events = _events()
    events.loc[events["user_id"] == 0, "event"] = "scroll"
    result = Funnel(["visit", "cart"]).compute(events)
    assert result.excluded == 0
    assert not any("exclusion" in n for n in result.provenance.notes)


def test_converters_vs_dropouts_reads_event_properties_through_the_schema_layer() -> None:
    events = _events()
    events["channel"] = np.where(events.index % 2 == 0, "ads", "mail")
    result = Funnel(["visit", "cart"]).compute(events)
    want = result.converters_vs_dropouts(2, columns="channel", events=events, min_users=1)
    # Times in another zone as tz-aware values: compared as instants.
    aware = events.assign(timestamp=events["timestamp"].dt.tz_localize("UTC"))
    got = result.converters_vs_dropouts(2, columns="channel", events=aware, min_users=1)
    pd.testing.assert_frame_equal(got, want)
    # Ids of another type match no entity: an error, not every value "(missing)".
    other = events.assign(user_id=events["user_id"].astype(str))
    with pytest.raises(SchemaError, match="None of the result's entities"):
        result.converters_vs_dropouts(2, columns="channel", events=other)


class _Nameless:
    name = ("visit",)  # not a string

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002 - the protocol
        return np.ones(len(events), dtype=bool)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: Funnel([_Nameless(), "cart"]), "'stages' parameter of Funnel"),
        (lambda: Funnel([object(), "cart"]), "'stages' parameter of Funnel"),
        (lambda: Exclusion(_Nameless(), between=(1, 2)), "'stage' parameter of Exclusion"),
        (lambda: Exclusion("x", between=(1, True)), "'between' parameter of Exclusion"),
        (lambda: Exclusion("x", between=[0, 2]), "'between' parameter of Exclusion"),
        (lambda: Funnel(["a", "b"], exclusions=[1]), "'exclusions' parameter of Funnel"),
    ],
)
def test_spec_bad_arguments(build: Callable[[], object], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        build()


def test_exclusion_steps_accept_numpy_integers() -> None:
    assert Exclusion("x", between=(np.int64(1), np.int64(2))).between == (1, 2)


@pytest.mark.parametrize("name", ["stage", "users", "period", "level"])
def test_a_segment_column_named_like_an_output_column_is_refused(name: str) -> None:
    # A 'stage' segment column used to be overwritten by the stage names, silently.
    events = _events().rename(columns={"device": name})
    with pytest.raises(ParameterError, match=f"names column '{name}'"):
        Funnel(["visit", "cart"]).compute(events, by=name)
    counts = pd.DataFrame({"step_name": ["a", "b"], "count": [2, 1], name: ["x", "x"]})
    with pytest.raises(ParameterError, match=f"names column '{name}'"):
        Funnel.from_counts(counts, stage="step_name", by=[name])
