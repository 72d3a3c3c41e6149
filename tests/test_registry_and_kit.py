"""The shared mechanisms of every extension point: one Registry, one ConformanceKit."""

from __future__ import annotations

import pytest

from linkstar_funnel._conformance import ConformanceKit
from linkstar_funnel._registry import Registry
from linkstar_funnel.errors import ConformanceError, ParameterError, RegistryError


def test_registry_refuses_a_second_item_under_a_name_unless_replacing() -> None:
    reg = Registry[int]("number")
    reg.register("one", 1)
    assert reg.register("one", 1) == 1  # the same item again is harmless
    with pytest.raises(RegistryError, match="already registered"):
        reg.register("one", 2)
    reg.register("one", 2, replace=True)
    assert reg.get("one") == 2
    with pytest.raises(RegistryError, match="Registered: 'one'"):
        reg.get("two")
    with pytest.raises(ParameterError, match="non-empty string"):
        reg.register("", 3)
    reg.unregister("one")
    assert reg.names() == []


def test_registry_loads_its_builtins_once_and_lazily() -> None:
    calls = []
    reg = Registry[str]("thing", load=lambda: calls.append(1) or reg.register("a", "A"))
    assert calls == []
    assert "a" in reg
    assert reg.names() == ["a"]
    assert calls == [1]


def test_the_kit_reports_every_failure_at_once() -> None:
    kit = ConformanceKit("Thing", "Protocol")
    with kit.check("first"):
        msg = "one"
        raise AssertionError(msg)
    with kit.check("second"):
        msg = "two"
        raise ValueError(msg)
    kit.raises("third", KeyError, lambda: None)
    kit.raises("fourth", KeyError, lambda: {}["x"])  # passes: it raises KeyError
    kit.raises("fifth", KeyError, int, "x")
    with pytest.raises(ConformanceError) as caught:
        kit.finish()
    assert caught.value.failures == (
        "first: one",
        "second: raised ValueError: two",
        "third: raised nothing, not KeyError",
        "fifth: raised ValueError, not KeyError: invalid literal for int() with base 10: 'x'",
    )
    assert isinstance(caught.value, AssertionError)
    assert "Thing fails 4 of the Protocol checks" in str(caught.value)
