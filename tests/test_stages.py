"""Stage, the StageMatcher protocol and its conformance kit, and stage templates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    ConformanceError,
    ParameterError,
    RegistryError,
    SchemaError,
)
from linkstar_funnel.stages import (
    _TEMPLATES,
    Stage,
    StageMatcher,
    check_stage_matcher,
    register_template,
    stage_template,
    stage_templates,
)

EVENTS = pd.DataFrame(
    {
        "event": ["visit", "add_to_cart", "buy_now", "order", "order"],
        "status": [None, None, None, "paid", "refunded"],
        "country": ["US", "DE", "US", "US", "FR"],
    }
)


def test_stage_matches_its_name_by_default() -> None:
    assert Stage("order").mask(EVENTS, event="event").tolist() == [False, False, False, True, True]


def test_stage_event_list_is_an_or() -> None:
    mask = Stage("cart", event=["add_to_cart", "buy_now"]).mask(EVENTS, event="event")
    assert mask.tolist() == [False, True, True, False, False]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"status": "paid"}, [False, False, False, True, False]),
        ({"country": ["US", "FR"]}, [False, False, False, True, True]),
        ({"country": {"DE"}}, [False, False, False, False, False]),
        (lambda f: f["country"].eq("FR").to_numpy(), [False, False, False, False, True]),
    ],
)
def test_stage_where_filters(where: object, expected: list[bool]) -> None:
    assert Stage("order", where=where).mask(EVENTS, event="event").tolist() == expected  # type: ignore[arg-type]


def test_stage_is_frozen_and_a_stage_matcher() -> None:
    stage = Stage("order")
    assert isinstance(stage, StageMatcher)
    with pytest.raises(AttributeError):
        stage.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"name": ""}, "name"),
        ({"name": "a", "event": []}, "event"),
        ({"name": "a", "event": 3}, "event"),
        ({"name": "a", "where": 3}, "where"),
        ({"name": "a", "where": {}}, "where"),
        ({"name": "a", "where": {"status": None}}, "where"),
        ({"name": "a", "where": {"status": float("nan")}}, "where"),
        ({"name": "a", "where": {"status": [["paid"]]}}, "where"),
        ({"name": "a", "where": {"status": {"paid": 1}}}, "where"),
        ({"name": "a", "where": {1: "paid"}}, "where"),
        ({"name": "  "}, "name"),
        ({"name": 5}, "name"),
    ],
)
def test_stage_rejects_bad_parameters(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(ParameterError, match=f"The '{param}' parameter of Stage"):
        Stage(**kwargs)  # type: ignore[arg-type]


def test_stage_names_missing_where_column() -> None:
    with pytest.raises(ColumnNotFoundError, match="status"):
        Stage("order", where={"stauts": "paid"}).mask(EVENTS, event="event")


def test_stage_mask_does_not_mutate() -> None:
    before = EVENTS.copy()
    Stage("order", where={"status": ["paid"]}).mask(EVENTS, event="event")
    pd.testing.assert_frame_equal(EVENTS, before)


class GoodMatcher:
    name = "big_order"

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:
        return (events[event] == "order").to_numpy()


class WrongLength(GoodMatcher):
    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002
        return np.ones(len(events) + 1, dtype=bool)


class NotBool(GoodMatcher):
    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002
        return np.ones(len(events), dtype=np.int64)


class Mutating(GoodMatcher):
    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002
        events["new"] = 1
        return np.ones(len(events), dtype=bool)


class Random(GoodMatcher):
    calls = 0

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002
        Random.calls += 1
        return np.arange(len(events)) % 2 == Random.calls % 2


class NoName:
    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:  # noqa: ARG002
        return np.ones(len(events), dtype=bool)


def test_conformance_kit_accepts_good_matchers() -> None:
    assert check_stage_matcher(GoodMatcher(), EVENTS).tolist() == [False, False, False, True, True]
    check_stage_matcher(Stage("visit"), EVENTS)


@pytest.mark.parametrize(
    ("matcher", "match"),
    [
        (WrongLength(), "shape"),
        (NotBool(), "bool array"),
        (Mutating(), "modified"),
        (Random(), "deterministic"),
        (NoName(), "'name'"),
        (object(), "'name'"),
    ],
)
def test_conformance_kit_names_the_failed_check(matcher: object, match: str) -> None:
    events = EVENTS.copy()
    with pytest.raises(ConformanceError, match=match):
        check_stage_matcher(matcher, events)
    pd.testing.assert_frame_equal(events, EVENTS)  # the matcher only saw copies


class TwoFaults(GoodMatcher):
    """Adds a column to the frame it is given and returns int64, not bool."""

    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:
        events["new"] = 1
        return events[event].eq("order").to_numpy(dtype=np.int64)


class FailsOnEmpty(GoodMatcher):
    def mask(self, events: pd.DataFrame, *, event: str) -> np.ndarray:
        if events.empty:
            msg = "no rows"
            raise ValueError(msg)
        return super().mask(events, event=event)


def test_conformance_kit_reports_every_failure_at_once() -> None:
    with pytest.raises(ConformanceError) as info:
        check_stage_matcher(TwoFaults(), EVENTS)
    err = info.value
    assert isinstance(err, AssertionError)
    assert "TwoFaults fails 3 of the StageMatcher checks" in str(err)
    text = str(err)
    assert "modified the events frame" in text
    assert "numpy bool array. Got int64" in text
    assert "mask on an empty frame: mask() must return a numpy bool array" in text


def test_conformance_kit_checks_a_frame_without_rows() -> None:
    with pytest.raises(
        ConformanceError, match="mask on an empty frame: raised ValueError: no rows"
    ):
        check_stage_matcher(FailsOnEmpty(), EVENTS)


def test_conformance_kit_argument_mistakes_are_not_matcher_failures() -> None:
    with pytest.raises(ColumnNotFoundError, match="name"):
        check_stage_matcher(GoodMatcher(), EVENTS, event="name")


def test_templates_registry() -> None:
    assert {"own_site", "marketplace", "interest_commerce"} <= set(stage_templates())
    assert [s.name for s in stage_template("own_site")] == [
        "visit",
        "product_view",
        "add_to_cart",
        "checkout",
        "payment",
    ]
    assert [s.name for s in stage_template("interest_commerce")][:2] == ["impression", "video_view"]
    with pytest.raises(RegistryError, match="No stage template is registered as 'nope'"):
        stage_template("nope")


def test_register_template_refuses_to_overwrite() -> None:
    with pytest.raises(RegistryError, match="already registered"):

        @register_template("marketplace")
        def _again() -> list[Stage]:  # pragma: no cover
            return []


def test_register_template_replaces_on_purpose() -> None:
    @register_template("test_replaced")
    def _first() -> list[Stage]:
        return [Stage("visit")]

    @register_template("test_replaced", replace=True)
    def _second() -> list[Stage]:
        return [Stage("visit"), Stage("order")]

    try:
        assert [s.name for s in stage_template("test_replaced")] == ["visit", "order"]
    finally:
        _TEMPLATES.unregister("test_replaced")
    assert "test_replaced" not in stage_templates()


def test_a_missing_where_value_must_be_written_as_membership() -> None:
    # {"status": None} used to match nothing silently (pandas eq(None) is False); [None]
    # matches the missing values, as pandas isin does.
    mask = Stage("order", where={"status": [None]}).mask(EVENTS, event="event")
    assert mask.tolist() == [False, False, False, False, False]
    visits = Stage("visit", where={"status": [None, "paid"]}).mask(EVENTS, event="event")
    assert visits.tolist() == [True, False, False, False, False]


def test_a_where_callable_cannot_add_columns_to_the_events() -> None:
    events = EVENTS.copy()

    def adds_a_column(frame: pd.DataFrame) -> object:
        frame["flag"] = 1
        return frame["country"].eq("US").to_numpy()

    Stage("order", where=adds_a_column).mask(events, event="event")
    assert list(events.columns) == list(EVENTS.columns)


def test_templates_and_conformance_kit_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="'name' parameter of stage_template"):
        stage_template(["own_site"])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'name' parameter of register_template"):
        register_template(5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'replace' parameter of register_template"):
        register_template("x", replace="yes")  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        check_stage_matcher(Stage("order"), [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'event' parameter of check_stage_matcher"):
        check_stage_matcher(Stage("order"), EVENTS, event=None)  # type: ignore[arg-type]


def test_stage_mask_bad_arguments() -> None:
    with pytest.raises(ParameterError, match=r"'event' parameter of Stage\.mask"):
        Stage("order").mask(EVENTS, event=["event"])  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        Stage("order").mask([1, 2], event="event")  # type: ignore[arg-type]
    with pytest.raises(SchemaError):
        Stage("order", where={"status": "paid"}).where_mask({"status": ["paid"]})  # type: ignore[arg-type]
