"""The ``journey_arrays`` conformance cases: built-in backends pass, a wrong one fails loudly."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.engines import Backend, check_backend
from linkstar_funnel.engines._journeys import JourneyArrays, JourneyQuery
from linkstar_funnel.engines._kit_journey import canonical, cases, shape_problems
from linkstar_funnel.engines.memory.journeys import journey_arrays
from linkstar_funnel.errors import ConformanceError, EmptyFrameError, TimeZoneError
from linkstar_funnel.schema import RowAccounting

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


def test_the_in_memory_backend_passes() -> None:
    check_backend("pandas", capabilities=["journey_arrays"])


def test_the_ibis_backend_passes() -> None:
    pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb", reason="the SQL engine's default backend is DuckDB")
    check_backend("ibis", capabilities=["journey_arrays"])


def _wrong(source: Any, query: JourneyQuery) -> JourneyArrays:
    """Ages one second off, a lookback drop not counted, every user seen, and no error for
    conversions without usable rows (an empty answer instead)."""
    try:
        out = journey_arrays(source, query)
    except EmptyFrameError:
        acc = RowAccounting(rows_in=len(source))
        empty: list[float] = []
        return JourneyArrays((), [0], [], empty, empty, empty, empty, acc, acc, 0)
    return attrs.evolve(
        out,
        ages=out.ages + 1.0,
        touch_accounting=attrs.evolve(out.touch_accounting, dropped=()),
        unseen_conversions=0,
    )


def test_a_wrong_backend_fails_with_every_failure_listed() -> None:
    wrong = Backend(
        name="wrong",
        accepts=lambda _: False,
        capabilities={"journey_arrays": _wrong},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError) as info:
        check_backend(wrong, capabilities=["journey_arrays"])
    text = str(info.value)
    assert "small log 0: journeys differ" in text
    assert "touch_accounting is" in text
    assert "conversions only by users never touched: unseen_conversions is 0" in text
    assert "no usable conversion: gave JourneyArrays; the in-memory engine gave EmptyFrame" in text
    assert text.count("\n- ") >= 10


def test_a_backend_returning_something_else_is_reported() -> None:
    wrong = Backend(
        name="none",
        accepts=lambda _: False,
        capabilities={"journey_arrays": lambda *_: None},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match="returned NoneType, not JourneyArrays"):
        check_backend(wrong, capabilities=["journey_arrays"])


def test_an_error_where_the_memory_engine_computes_is_reported() -> None:
    def refuse(*_: object) -> JourneyArrays:
        msg = "no"
        raise TimeZoneError(msg)

    wrong = Backend(
        name="refuses",
        accepts=lambda _: False,
        capabilities={"journey_arrays": refuse},
        from_pandas=lambda frame: frame,
    )
    with pytest.raises(ConformanceError, match=r"small log 1: gave TimeZoneError \(no\)"):
        check_backend(wrong, capabilities=["journey_arrays"])


def test_the_cases_cover_drops_unseen_users_and_errors() -> None:
    outcomes = {}
    for name, touches, query in cases():
        try:
            outcomes[name] = journey_arrays(touches, query)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[name] = exc
    arrays = [o for o in outcomes.values() if isinstance(o, JourneyArrays)]
    assert any(a.touch_accounting.rows_dropped for a in arrays)
    assert any(a.unseen_conversions for a in arrays)
    assert any((np.diff(a.offsets) == 0).any() for a in arrays)  # conversions with no touch
    assert any(a.nulls.sum() for a in arrays)
    assert sum(isinstance(o, Exception) for o in outcomes.values()) == 2
    assert all(not shape_problems(a) for a in arrays)


def test_shape_problems_and_canonical_read_the_arrays() -> None:
    acc = RowAccounting(rows_in=3)
    good = JourneyArrays(
        channels=("a", "b"),
        offsets=[0, 2, 3],
        touches=[1, 0, 1],
        ages=[5.0, 0.0, 0.0],
        conversions=[1.0, 0.0],
        value=[2.5, 0.0],
        nulls=[0.0, 1.0],
        touch_accounting=acc,
        conversion_accounting=acc,
        unseen_conversions=0,
    )
    assert shape_problems(good) == []
    assert canonical(good) == {
        (("b", "a"), (5.0, 0.0), 1.0, 2.5, 0.0): 1,
        (("b",), (0.0,), 0.0, 0.0, 1.0): 1,
    }
    bad = attrs.evolve(good, offsets=[0, 4, 3], ages=[1.0], touches=[1, 0, 2], channels=("a", "a"))
    problems = shape_problems(bad)
    assert len(problems) == 4  # offsets, ages, codes, repeated names
    assert "must rise from 0" in problems[0]


def test_memory_engine_keeps_empty_conversion_journeys_and_drops_emptied_null_ones() -> None:
    t0 = pd.Timestamp("2026-01-01")
    touches = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "timestamp": [t0, t0 + pd.Timedelta("40D")],
            "channel": ["seo", "ads"],
        }
    )
    conversions = pd.DataFrame(
        {"user_id": ["u1", "u1"], "timestamp": [t0 + pd.Timedelta("35D"), t0 + pd.Timedelta("36D")]}
    )
    query = JourneyQuery(
        conversions,
        "user_id",
        "timestamp",
        "channel",
        "user_id",
        "timestamp",
        None,
        pd.Timedelta("30D"),
    )
    out = journey_arrays(touches, query)
    # u1's touch is too old for both conversions; u2's lone touch is its own null journey.
    assert out.offsets.tolist() == [0, 0, 0, 1]
    assert out.channels == ("seo", "ads")
    assert out.touches.tolist() == [1]
    assert out.conversions.tolist() == [1.0, 1.0, 0.0]
    assert out.touch_accounting.rows_dropped == 1


def test_check_backend_finds_the_cases_in_a_fresh_process() -> None:
    code = (
        "import linkstar_funnel as lf; "
        "lf.engines.check_backend('pandas', capabilities=['journey_arrays'])"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
