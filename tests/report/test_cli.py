"""End to end: ``linkstar-funnel report`` on CSV and Parquet files and on the demo store."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from linkstar_funnel.report import REGISTRY, SectionRegistry, cli, write_report
from linkstar_funnel.report.cli import main

from .conftest import HOSTILE


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_report_on_files(
    tmp_path: Path,
    events: pd.DataFrame,
    orders: pd.DataFrame,
    suffix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ev = _write(events, tmp_path / f"events{suffix}")
    od = _write(orders, tmp_path / f"orders{suffix}")
    out = tmp_path / "out.html"
    code, stdout, stderr = _run(
        [
            "report",
            "--events",
            str(ev),
            "--orders",
            str(od),
            "--tz",
            "Europe/Berlin",
            "-o",
            str(out),
        ],
        capsys,
    )
    assert code == 0, stderr
    assert "Report written to" in stdout
    assert re.search(r"\[\s*1/\d+\] loading data… \d+\.\d s", stderr)
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for anchor in (
        'id="events-overview"',
        'id="orders-overview"',
        "By country",
        "By platform",
        "By status",
        "Rows dropped",
        "missing user",
        "Europe/Berlin",
    ):
        assert anchor in page
    # the two overviews, and the retention section's triangle and lifecycle
    assert page.count("data:image/png;base64,") == 4
    assert 'id="retention"' in page
    # Self-contained: no external resources.
    assert not re.search(r"""(src|href)=["']https?://""", page)
    # Escaped hostile value, never raw.
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    # Numbers with thousands separators, right-aligned.
    assert re.search(r'<td class="num">\d{1,3}(,\d{3})+(\.\d\d)?</td>', page)


def test_quiet_and_custom_columns(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = events.rename(columns={"user_id": "visitor", "timestamp": "ts", "event": "action"})
    ev = _write(renamed, tmp_path / "ev.parquet")
    out = tmp_path / "r.html"
    code, stdout, stderr = _run(
        [
            "report",
            "--events",
            str(ev),
            "--user",
            "visitor",
            "--time",
            "ts",
            "--event",
            "action",
            "--by",
            "platform",
            "-o",
            str(out),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, stderr
    assert (stdout, stderr) == ("", "")
    page = out.read_text(encoding="utf-8")
    assert "By platform" in page
    assert "By country" not in page


def test_bad_column_is_one_line_error(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = _write(events, tmp_path / "ev.csv")
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--user", "usr_id", "-o", str(out)], capsys
    )
    assert code == 1
    line = stderr.strip().splitlines()[-1]
    assert line.startswith("linkstar-funnel: error:")
    assert "'usr_id'" in line
    assert "'user_id'" in line  # the hint names the close match
    assert "Traceback" not in stderr
    assert not out.exists()


def test_missing_by_column_fails(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = _write(events, tmp_path / "ev.parquet")
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--by", "region", "-o", str(tmp_path / "r.html")], capsys
    )
    assert code == 1
    assert "'region'" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required"),
        (["report", "-o", "x.html"], "one of the arguments --demo --events is required"),
        (["report", "--demo", "--demo-users", "0", "-o", "x.html"], "positive integer"),
    ],
)
def test_bad_arguments_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = _run(args, capsys)
    assert code == 2
    assert message in stderr


def test_unsupported_suffix_and_bad_tz(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "events.xlsx"
    odd.write_text("x")
    code, _, stderr = _run(["report", "--events", str(odd), "-o", str(tmp_path / "r.html")], capsys)
    assert code == 1
    assert "Parquet" in stderr
    ev = _write(events, tmp_path / "ev.parquet")
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--tz", "Mars/Olympus", "-o", str(tmp_path / "r.html")],
        capsys,
    )
    assert code == 1
    assert "Mars/Olympus" in stderr


def test_input_files_not_modified(tmp_path: Path, events: pd.DataFrame) -> None:
    ev = _write(events, tmp_path / "ev.parquet")
    before = ev.read_bytes()
    assert main(["report", "--events", str(ev), "-q", "-o", str(tmp_path / "r.html")]) == 0
    assert ev.read_bytes() == before


def test_python_dash_m(tmp_path: Path, events: pd.DataFrame) -> None:
    ev = _write(events.head(200), tmp_path / "ev.csv")
    out = tmp_path / "r.html"
    proc = subprocess.run(
        [sys.executable, "-m", "linkstar_funnel.report", "--events", str(ev), "-q", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={"MPLBACKEND": "Agg", "PATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert out.exists()


def test_demo_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.html"
    code, stdout, stderr = _run(
        ["report", "--demo", "--demo-users", "800", "--seed", "3", "-o", str(out)], capsys
    )
    assert code == 0, stderr
    assert "Report written to" in stdout
    page = out.read_text(encoding="utf-8")
    assert "Demo store" in page
    assert "800 users, seed 3" in page
    for text in (
        'id="events-overview"',
        'id="orders-overview"',
        "impression",
        "payment",
        "By country",
        "By platform",
        "By status",
        "tiktok_shop",
    ):
        assert text in page
    # Each charting section embeds its chart (checked per section: the total grows with them).
    sections = {s.split('"', 1)[0]: s for s in page.split('<section id="')[1:]}
    for name in ("events-overview", "orders-overview", "attribution", "kpi-tree", "experiments"):
        assert sections[name].count("data:image/png;base64,") == 1, name
    for name in ("after-payment", "retention", "targets", "search-basket"):
        assert name in sections, name
    assert "true lift of add_to_cart" in sections["experiments"]
    assert "kopfhörer" in sections["search-basket"]
    assert sections["retention"].count("<h3>") == 2  # the demo store and Online Retail
    assert "<script" not in page


def test_variant_control_and_targets_flags(
    tmp_path: Path,
    events: pd.DataFrame,
    orders: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # only the sections the flags feed (the whole page is rendered by the tests above)
    layout = SectionRegistry()
    for name in ("actions", "experiments", "targets"):
        section = REGISTRY.get(name)
        layout.register(name, order=section.order, title=section.title)(section.render)
    monkeypatch.setattr(cli, "write_report", functools.partial(write_report, registry=layout))
    arm = events["user_id"].fillna(0).astype(int) % 2
    ev = _write(events.assign(arm=arm.map({0: "old", 1: "new"})), tmp_path / "events.csv")
    od = _write(orders, tmp_path / "orders.csv")
    targets = pd.DataFrame(
        {"node": ["gmv", "orders"], "target": [1e9, 1.0], "owner": ["Ana", "Bo"]}
    )
    tg = _write(targets, tmp_path / "targets.csv")
    out = tmp_path / "out.html"
    args = ["report", "--events", str(ev), "--orders", str(od), "-o", str(out)]
    args += ["--stages", "visit,add_to_cart,payment", "--variant", "arm", "--control", "old"]
    code, _, stderr = _run([*args, "--targets", str(tg)], capsys)
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    sections = {s.split('"', 1)[0]: s for s in page.split('<section id="')[1:]}
    assert "against &#x27;old&#x27;" in sections["experiments"]
    assert "new" in sections["experiments"]
    assert "Ana" in sections["targets"]
    assert "off track" in sections["targets"]
    assert "Targets off track" in sections["actions"]


def test_variant_and_targets_errors(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = _write(events, tmp_path / "events.csv")
    out = tmp_path / "out.html"
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--variant", "arm", "-o", str(out)], capsys
    )
    assert "'arm'" in _one_line_error(code, stderr)
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--targets", str(tmp_path / "no.csv"), "-o", str(out)],
        capsys,
    )
    assert "targets file" in _one_line_error(code, stderr)
    assert not out.exists()


def _one_line_error(code: int, stderr: str) -> str:
    assert code == 1, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.strip().splitlines() if line.startswith("linkstar-funnel")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("linkstar-funnel: error: ")
    return lines[0]


def _bad_inputs(tmp_path: Path, events: pd.DataFrame) -> dict[str, tuple[list[str], str]]:
    soon = events.assign(timestamp=events["timestamp"].astype(str).where(events.index % 2 == 0))
    soon.loc[soon.index % 2 == 1, "timestamp"] = "soon"
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("user_id,timestamp,event\n")
    return {
        "missing file": (["--events", str(tmp_path / "nope.csv")], "does not exist"),
        "unparseable times": (
            ["--events", str(_write(soon, tmp_path / "soon.csv"))],
            "do not parse as times, e.g. 'soon'",
        ),
        "empty file": (["--events", str(tmp_path / "empty.csv")], "could not be read"),
        "header only": (["--events", str(tmp_path / "header.csv")], "empty"),
        "bad tz": (
            ["--events", str(_write(events, tmp_path / "ev.parquet")), "--tz", "Mars/Base"],
            "'--tz'",
        ),
        "numbers as times": (
            ["--events", str(_write(events.assign(timestamp=1), tmp_path / "num.parquet"))],
            "found numbers",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "unparseable times",
        "empty file",
        "header only",
        "bad tz",
        "numbers as times",
    ],
)
def test_data_problems_are_one_line_errors(
    case: str, tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    args, message = _bad_inputs(tmp_path, events)[case]
    code, _, stderr = _run(["report", *args, "-o", str(tmp_path / "r.html")], capsys)
    assert message in _one_line_error(code, stderr)


def test_all_missing_by_column_is_not_a_traceback(
    tmp_path: Path, events: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    ev = _write(events.assign(country=None), tmp_path / "ev.parquet")
    out = tmp_path / "r.html"
    code, _, stderr = _run(
        ["report", "--events", str(ev), "--by", "country", "-o", str(out)], capsys
    )
    assert code in (0, 1), stderr
    if code == 1:
        _one_line_error(code, stderr)
    else:
        assert out.exists()


def test_a_bug_is_not_swallowed(
    tmp_path: Path, events: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linkstar_funnel.report import cli

    def broken(*_: object, **__: object) -> Path:
        msg = "a bug"
        raise ZeroDivisionError(msg)

    monkeypatch.setattr(cli, "write_report", broken)
    ev = _write(events, tmp_path / "ev.parquet")
    with pytest.raises(ZeroDivisionError, match="a bug"):
        main(["report", "--events", str(ev), "-q", "-o", str(tmp_path / "r.html")])


# ------------------------------------------------------------------ report entry points


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"events": 5}, "'events' parameter of ReportData"),
        ({"by": ["a", "a"]}, "'by' parameter of ReportData"),
        ({"user": ""}, "'user' parameter of ReportData"),
        ({"extras": 5}, "'extras' parameter of ReportData"),
        ({"tz": "Mars/Base"}, "'tz' parameter"),
    ],
)
def test_report_data_checks_its_fields(kwargs: dict[str, object], param: str) -> None:
    from linkstar_funnel.errors import LinkstarError
    from linkstar_funnel.report import ReportData

    with pytest.raises(LinkstarError, match=param):
        ReportData(**kwargs)  # type: ignore[arg-type]


def test_report_data_reads_one_by_column_as_one() -> None:
    from linkstar_funnel.report import ReportData

    assert ReportData(by="country").by == ("country",)  # type: ignore[arg-type]  # was c,o,u...
    assert ReportData(by=["country", "device"]).by == ("country", "device")  # type: ignore[arg-type]


def test_build_and_write_report_check_their_parameters() -> None:
    from linkstar_funnel.errors import ParameterError
    from linkstar_funnel.report import ReportData, build_report, write_report

    with pytest.raises(ParameterError, match="'data' parameter of build_report"):
        build_report(5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'title' parameter of build_report"):
        build_report(ReportData(), title=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'path' parameter of write_report"):
        write_report(5, ReportData())  # type: ignore[arg-type]


def test_section_registry_checks_its_parameters() -> None:
    from linkstar_funnel.errors import ParameterError
    from linkstar_funnel.report import SectionRegistry, register_section

    registry = SectionRegistry()
    with pytest.raises(ParameterError, match=r"'name' parameter of SectionRegistry\.get"):
        registry.get(["a"])  # type: ignore[arg-type]  # was TypeError: unhashable
    with pytest.raises(ParameterError, match="'title' parameter"):
        registry.register("a", order=1, title=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'replace' parameter of register_section"):
        register_section("a", order=1, replace="yes")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="decorates a function"):
        registry.register("a", order=1)(5)  # type: ignore[type-var]
