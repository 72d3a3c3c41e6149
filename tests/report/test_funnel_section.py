"""The funnel section: its numbers are the library's, user files need --stages, text escaped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linkstar_funnel import Funnel
from linkstar_funnel.datasets import make_demo_store
from linkstar_funnel.report import ReportContext, ReportData, fmt_number
from linkstar_funnel.report._funnel_section import render_funnel, segment_table
from linkstar_funnel.report._funnel_view import (
    DEMO_STAGES,
    FUNNEL_STAGES_EXTRA,
    FunnelView,
    duration_text,
    funnel_view,
)
from linkstar_funnel.report.cli import main

from .conftest import HOSTILE


@pytest.fixture(scope="module")
def demo() -> ReportData:
    store = make_demo_store(6_000, seed=2)
    return ReportData(events=store.events, orders=store.orders, extras={"store": store})


@pytest.fixture(scope="module")
def view(demo: ReportData) -> FunnelView:
    v = funnel_view(ReportContext(demo))
    assert isinstance(v, FunnelView)
    return v


def test_numbers_equal_the_library(demo: ReportData, view: FunnelView) -> None:
    assert demo.events is not None
    direct = Funnel(list(DEMO_STAGES), window="7D").compute(demo.events)
    pd.testing.assert_frame_equal(view.overall.to_frame(), direct.to_frame())
    by = Funnel(list(DEMO_STAGES), window="7D").compute(demo.events, by="platform").to_frame()
    table = segment_table(view.by_segment["platform"], DEMO_STAGES).set_index("platform")
    for platform, grp in by.groupby("platform", observed=True):
        users = grp["users"].to_numpy()
        assert table.loc[platform, "entered"] == users[0]
        assert table.loc[platform, "payment"] == users[-1]
        assert table.loc[platform, "overall"] == pytest.approx(users[-1] / users[0])
    html = render_funnel(view, demo)
    final = int(direct.to_frame()["users"].iloc[-1])
    assert fmt_number(final) in html
    rate = final / int(direct.to_frame()["users"].iloc[0])
    assert f"{rate:.1%} of users who saw an impression paid within 7 days" in html
    top = direct.bottleneck().iloc[0]
    assert f"{float(top['gain']):,.0f} more users reaching payment" in html
    assert "still open (incomplete)" in html
    assert html.count("data:image/png;base64,") == 2


def test_durations_read_as_people_write_them() -> None:
    assert duration_text(pd.Timedelta(seconds=38)) == "38 s"
    assert duration_text(pd.Timedelta(hours=14.1)) == "14.1 h"
    assert duration_text(pd.Timedelta(days=2.5)) == "2.5 days"
    assert duration_text(pd.NaT) == "n/a"


def test_user_events_without_stage_names_get_a_note(events: pd.DataFrame) -> None:
    v = funnel_view(ReportContext(ReportData(events=events)))
    assert isinstance(v, str)
    assert "--stages" in v
    assert funnel_view(ReportContext(ReportData())) is None


def test_stages_option_and_hostile_names(tmp_path: Path, events: pd.DataFrame) -> None:
    hostile = events.assign(event=events["event"].replace({"payment": HOSTILE}))
    path = tmp_path / "ev.parquet"
    hostile.to_parquet(path, index=False)
    out = tmp_path / "r.html"
    stages = f"visit,product_view,add_to_cart,{HOSTILE}"
    assert main(["report", "--events", str(path), "--stages", stages, "-q", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="funnel"' in page
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = ReportData(events=hostile, extras={FUNNEL_STAGES_EXTRA: tuple(stages.split(","))})
    v = funnel_view(ReportContext(data))
    assert isinstance(v, FunnelView)
    assert v.stages[-1] == HOSTILE


def test_missing_segment_values_are_shown_not_dropped(demo: ReportData, tmp_path: Path) -> None:
    # segment_table's pivot used to drop the missing segment; an all-missing column raised
    # IndexError (a traceback from the CLI).
    assert demo.events is not None
    events = demo.events.assign(country=demo.events["country"].where(demo.events.index % 4 > 0))
    result = Funnel(list(DEMO_STAGES)).compute(events, by="country")
    table = segment_table(result, DEMO_STAGES)
    assert "(missing)" in table["country"].tolist()
    assert table["entered"].sum() == result.to_frame().query("step == 1")["users"].sum()
    empty = events.assign(country=float("nan"))
    table = segment_table(Funnel(list(DEMO_STAGES)).compute(empty, by="country"), DEMO_STAGES)
    assert table["country"].tolist() == ["(missing)"]
    path = tmp_path / "ev.parquet"
    empty.to_parquet(path, index=False)
    out = tmp_path / "r.html"
    assert main(["report", "--events", str(path), "-q", "-o", str(out)]) == 0
    assert 'id="funnel"' in out.read_text(encoding="utf-8")
