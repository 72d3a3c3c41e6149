"""check_report_section: the conformance kit of report sections."""

from __future__ import annotations

import pandas as pd
import pytest

from linkstar_funnel.errors import ConformanceError, ParameterError
from linkstar_funnel.report import (
    REGISTRY,
    ReportContext,
    ReportData,
    Section,
    check_report_section,
    table,
)
from linkstar_funnel.report._io import load_demo
from linkstar_funnel.report._section_kit import HOSTILE_LABEL


def _by_country(ctx: ReportContext) -> str | None:
    if ctx.data.events is None:
        return None
    counts = ctx.data.events.groupby("country", observed=True).size().rename("rows")
    return table(counts.reset_index())


def test_a_good_section_passes_and_its_fragment_is_returned(events: pd.DataFrame) -> None:
    before = events.copy()
    html = check_report_section(
        Section("by-country", "By country", 1, _by_country), ReportData(events=events)
    )
    assert html is not None
    assert "&lt;script&gt;alert(&quot;lf&quot;)&lt;/script&gt;" in html  # the relabelled country
    pd.testing.assert_frame_equal(events, before)


def test_a_section_with_two_faults_gets_both_reported_at_once(events: pd.DataFrame) -> None:
    before = events.copy()

    def careless(ctx: ReportContext) -> str | None:
        frame = ctx.data.events
        if frame is None:
            return None
        frame["flag"] = 1  # fault 1: writes into the input frame
        names = "".join(f"<li>{c}</li>" for c in frame["country"].dropna().unique())
        return f"<ul>{names}</ul>"  # fault 2: data text not escaped

    with pytest.raises(ConformanceError) as info:
        check_report_section(
            Section("careless", "Careless", 1, careless), ReportData(events=events)
        )
    text = str(info.value)
    assert "careless fails 2 of the report section checks" in text
    assert "escapes data text" in text
    assert "leaves the data unchanged: render() modified the events frame(s)" in text
    pd.testing.assert_frame_equal(events, before)  # the kit gave the section a copy


def test_every_check_is_reported(orders: pd.DataFrame) -> None:
    def broken(ctx: ReportContext) -> str | None:
        assert ctx.data.orders is not None  # fails on the empty context: "no data"
        return "<div><p>unbalanced</div>"

    with pytest.raises(ConformanceError) as info:
        check_report_section(Section("Bad Name", " ", 1, broken), ReportData(orders=orders))
    failures = info.value.failures
    assert [f.split(":")[0] for f in failures] == [
        "name",
        "title",
        "balanced HTML",
        "no data",
    ]
    assert "</div> closes out of order (<p> is still open)" in failures[2]


def test_a_section_returning_something_else_than_html_fails(events: pd.DataFrame) -> None:
    with pytest.raises(ConformanceError, match=r"must return an HTML str or None\. Got int"):
        check_report_section(
            Section("number", "Number", 1, lambda _ctx: 3), ReportData(events=events)
        )


def test_a_crashing_section_is_reported_with_its_error(events: pd.DataFrame) -> None:
    def crash(_ctx: ReportContext) -> str | None:
        msg = "boom"
        raise RuntimeError(msg)

    with pytest.raises(ConformanceError, match="renders: raised RuntimeError: boom"):
        check_report_section(Section("crash", "Crash", 1, crash), ReportData(events=events))


def test_the_kit_refuses_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="'section' parameter of check_report_section"):
        check_report_section(_by_country)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'n_users' parameter of check_report_section"):
        check_report_section(REGISTRY.get("events-overview"), n_users=0)


@pytest.fixture(scope="module")
def demo() -> ReportData:
    return load_demo(n_users=20_000)


@pytest.mark.slow
@pytest.mark.parametrize("name", [s.name for s in REGISTRY])
def test_every_builtin_section_passes_on_the_demo(demo: ReportData, name: str) -> None:
    html = check_report_section(REGISTRY.get(name), demo)
    assert html is not None, f"{name} left itself out of the demo report"
    assert HOSTILE_LABEL not in html


def test_the_default_data_is_the_demo_store() -> None:
    html = check_report_section(REGISTRY.get("orders-overview"), n_users=2_000)
    assert html is not None
    assert "&lt;script&gt;" in html  # the demo's country BR, relabelled, shown escaped
