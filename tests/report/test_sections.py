"""The section registry, the progress lines and the HTML helpers."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from linkstar_funnel.errors import ParameterError, RegistryError
from linkstar_funnel.report import (
    REGISTRY,
    Progress,
    ReportContext,
    ReportData,
    SectionRegistry,
    build_report,
    fmt_number,
    register_section,
    table,
)


def test_registry_refuses_duplicates() -> None:
    registry = SectionRegistry()

    @registry.register("alpha", order=5)
    def _alpha(_ctx: ReportContext) -> str | None:
        return "<p>alpha</p>"

    with pytest.raises(RegistryError, match="'alpha' is already registered"):
        registry.register("alpha", order=6)(_alpha)
    assert registry.get("alpha").order == 5
    registry.register("alpha", order=7, replace=True)(_alpha)
    assert registry.get("alpha").order == 7


def test_global_registry_refuses_builtin_name() -> None:
    with pytest.raises(RegistryError, match="events-overview"):
        register_section("events-overview", order=1)(lambda _ctx: None)
    assert [s.name for s in REGISTRY][:2] == ["events-overview", "orders-overview"]


def test_registry_order_names_and_lookup() -> None:
    registry = SectionRegistry()
    registry.register("b", order=20)(lambda _ctx: "b")
    registry.register("a", order=20)(lambda _ctx: "a")
    registry.register("z", order=10, title="Zed")(lambda _ctx: "z")
    assert [s.name for s in registry] == ["z", "a", "b"]
    assert registry.get("z").title == "Zed"
    with pytest.raises(RegistryError, match="No report section is registered as 'nope'"):
        registry.get("nope")
    with pytest.raises(ParameterError, match="'name' parameter"):
        registry.register("Bad Name", order=1)
    with pytest.raises(ParameterError, match="'order' parameter"):
        registry.register("ok", order=1.5)  # type: ignore[arg-type]
    registry.unregister("a")
    assert "a" not in registry


def test_custom_section_is_rendered_escaped_and_listed(events: pd.DataFrame) -> None:
    registry = SectionRegistry()

    @registry.register("custom", order=1, title="Custom <b>title</b>")
    def _custom(ctx: ReportContext) -> str | None:
        n = 0 if ctx.data.events is None else len(ctx.data.events)
        ctx.add_header_fact("rows", fmt_number(n))
        return table(pd.DataFrame({"name": ["<i>x</i>"], "n": [12345]}))

    registry.register("absent", order=2)(lambda _ctx: None)
    page = build_report(ReportData(events=events), registry=registry)
    assert 'href="#custom"' in page
    assert 'href="#absent"' not in page
    assert "Custom &lt;b&gt;title&lt;/b&gt;" in page
    assert "&lt;i&gt;x&lt;/i&gt;" in page
    assert '<td class="num">12,345</td>' in page


def test_progress_lines() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 0.42, 1.0, 3.0])
    progress = Progress(2, stream=out, clock=lambda: next(ticks))
    with progress.step("loading data"):
        pass
    with progress.step("section x") as step:
        step.note = "skipped"
    assert out.getvalue() == "[1/2] loading data… 0.4 s\n[2/2] section x… 2.0 s (skipped)\n"
    with pytest.raises(ZeroDivisionError), Progress(1, stream=out).step("boom"):
        _ = 1 / 0
    assert out.getvalue().endswith("[1/1] boom… failed\n")


def test_quiet_progress_writes_nothing() -> None:
    progress = Progress(1, stream=None)
    with progress.step("x"):
        pass
    assert progress.done == 1


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (1234567, {}, "1,234,567"),
        (1234.5, {}, "1,234.50"),
        (0.25, {"percent": True}, "25.0%"),
        (float("nan"), {}, "n/a"),
        ("text", {}, "text"),
        (None, {}, ""),
    ],
)
def test_fmt_number(value: object, kwargs: dict[str, bool], expected: str) -> None:
    assert fmt_number(value, **kwargs) == expected  # type: ignore[arg-type]
