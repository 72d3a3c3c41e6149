"""Every bad argument to a benchmark entry point is a typed error naming the parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.benchmark import (
    Benchmark,
    Reference,
    get_benchmark,
    observations_from_counts,
    register_benchmark,
)
from linkstar_funnel.errors import (
    DataQualityWarning,
    EmptyFrameError,
    LinkstarError,
    ParameterError,
    RegistryError,
    SchemaError,
)

REF: dict[str, Any] = {"stage": "s", "rate": 0.1, "source": "x", "as_of": "2026"}
HISTORY = pd.DataFrame(
    {
        "stage": ["a"] * 3,
        "successes": [1, 2, 3],
        "trials": [10, 10, 10],
        "period": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19"]),
    }
)


def _frame(**cols: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"stage": ["a"], "rate": [0.1], **cols})


CASES: list[tuple[str, Callable[[], object], type[LinkstarError], str]] = [
    ("rate text", lambda: Reference(**{**REF, "rate": "abc"}), ParameterError, "'rate'"),
    ("rate None", lambda: Reference(**{**REF, "rate": None}), ParameterError, "'rate'"),
    ("definition", lambda: Reference(**{**REF, "definition": 5}), ParameterError, "'definition'"),
    ("url", lambda: Reference(**{**REF, "url": 5}), ParameterError, "'url'"),
    (
        "counts beyond 2**53",
        lambda: Reference(**{**REF, "rate": 0.5, "successes": 2**62, "trials": 2**63}),
        ParameterError,
        "'successes' .* 2\\*\\*53",
    ),
    ("references", lambda: Benchmark("b", 5), ParameterError, "'references'"),  # type: ignore[arg-type]
    (
        "from_rates rate",
        lambda: Benchmark.from_rates({"a": "x"}, source="s", as_of="2026"),
        ParameterError,
        "'rates' .*stage 'a'",
    ),
    (
        "from_rates definitions",
        lambda: Benchmark.from_rates({"a": 0.1}, source="s", as_of="2026", definitions=5),
        ParameterError,
        "'definitions' parameter of Benchmark.from_rates",
    ),
    (
        "from_rates kind",
        lambda: Benchmark.from_rates({"a": 0.1}, source="s", as_of="2026", kind="guess"),
        ParameterError,
        "'kind' parameter of Benchmark.from_rates",
    ),
    (
        "from_frame empty",
        lambda: Benchmark.from_frame(_frame().iloc[:0], name="x", source="s", as_of="2026"),
        EmptyFrameError,
        "empty",
    ),
    (
        "from_frame NaN rate",
        lambda: Benchmark.from_frame(_frame(rate=[np.nan]), name="x", source="s", as_of="2026"),
        SchemaError,
        "'rate' of the benchmark frame .* nan for stage 'a'",
    ),
    (
        "from_frame text rate",
        lambda: Benchmark.from_frame(_frame(rate=["0.1"]), name="x", source="s", as_of="2026"),
        SchemaError,
        "'rate' .* must hold numbers",
    ),
    (
        "from_frame missing stage",  # was read as the stage 'None'
        lambda: Benchmark.from_frame(_frame(stage=[None]), name="x", source="s", as_of="2026"),
        SchemaError,
        "'stage' .* missing",
    ),
    (
        "from_history end",  # was a pandas DateParseError
        lambda: Benchmark.from_history(HISTORY, weeks=3, end="soon"),
        ParameterError,
        "'end' parameter of Benchmark.from_history",
    ),
    (
        "from_history no times",  # was an empty benchmark "to NaT"
        lambda: Benchmark.from_history(HISTORY.assign(period=pd.NaT), weeks=3),
        EmptyFrameError,
        "missing period",
    ),
    (
        "from_history no trials",  # was an empty benchmark
        lambda: Benchmark.from_history(HISTORY.assign(successes=0, trials=0), weeks=3),
        EmptyFrameError,
        "no trials",
    ),
    ("get_benchmark list", lambda: get_benchmark(["a"]), ParameterError, "'name'"),  # type: ignore[arg-type]
    ("register name", lambda: register_benchmark(5), ParameterError, "'name'"),  # type: ignore[arg-type]
    (
        "register replace",
        lambda: register_benchmark("x", replace="yes"),  # type: ignore[arg-type]
        ParameterError,
        "'replace'",
    ),
    (
        "compare unknown test",
        lambda: get_benchmark("industry").compare(HISTORY, test="wald"),  # type: ignore[arg-type]
        ParameterError,
        "'test' parameter of Benchmark.compare",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "match"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_arguments(call: Callable[[], object], error: type[LinkstarError], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_a_factory_returning_something_else_is_a_registry_error() -> None:
    register_benchmark("returns-junk", replace=True)(lambda: 5)  # type: ignore[arg-type,return-value]
    with pytest.raises(RegistryError, match="returned a int, not a Benchmark"):
        get_benchmark("returns-junk")


def test_history_rows_without_a_time_are_counted_out_loud() -> None:
    hist = pd.concat([HISTORY, HISTORY.iloc[:1].assign(period=pd.NaT)], ignore_index=True)
    with pytest.warns(DataQualityWarning, match="1 row"):
        bench = Benchmark.from_history(hist, weeks=3)
    assert bench.references[0].trials == 30


def test_impact_overflow_warns() -> None:
    obs = pd.DataFrame(
        {"stage": ["s"], "successes": [1], "trials": [100], "value_per_success": [1e307]}
    )
    bench = Benchmark.from_rates({"s": 0.9}, source="x", as_of="2026")
    with pytest.warns(DataQualityWarning, match="overflows"):
        out = bench.compare(obs).to_frame()
    assert np.isinf(out["impact"].item())


def test_history_weeks_are_bounded() -> None:
    with pytest.raises(ParameterError, match=r"'weeks' parameter of Benchmark\.from_history"):
        Benchmark.from_history(HISTORY, weeks=10**18)  # was OutOfBoundsTimedelta


def test_exact_test_refuses_counts_it_cannot_handle() -> None:
    # scipy's fisher_exact overflows int64 (RuntimeWarning) and runs for minutes beyond ~3e9.
    hist = HISTORY.assign(successes=10**11, trials=10**12)
    bench = Benchmark.from_history(hist, weeks=3)
    obs = pd.DataFrame({"stage": ["a"], "successes": [10**11], "trials": [10**12]})
    with pytest.raises(ParameterError, match="test='score'"):
        bench.compare(obs, test="exact")
    assert bench.compare(obs).to_frame()["verdict"].item() == "in line"


def test_from_frame_parameters_fill_rows_without_source_or_date() -> None:
    frame = pd.DataFrame(
        {
            "stage": ["a", "b"],
            "rate": [0.1, 0.2],
            "source": ["peer", None],
            "as_of": ["2025-01", None],
        }
    )
    bench = Benchmark.from_frame(frame, name="x", source="own", as_of="2026")
    # was a ParameterError on the second row's missing as_of, though as_of= was given
    assert [(r.source, r.as_of) for r in bench.references] == [("peer", "2025-01"), ("own", "2026")]


def test_plot_top_is_checked() -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    bench = Benchmark.from_rates({"s": 0.3}, source="x", as_of="2026")
    cmp = bench.compare(pd.DataFrame({"stage": ["s"], "successes": [1], "trials": [10]}))
    with pytest.raises(ParameterError, match="'top' parameter"):
        cmp.plot(top="x")  # was a raw TypeError from DataFrame.head


def test_segment_column_named_like_an_output_is_refused() -> None:
    obs = pd.DataFrame(
        {"stage": ["s", "s"], "source": ["ads", "seo"], "successes": [1, 2], "trials": [10, 10]}
    )
    bench = Benchmark.from_rates({"s": 0.3}, source="x", as_of="2026")
    # the 'source' labels were silently replaced by the reference's citation
    with pytest.raises(SchemaError, match=r"segment column\(s\) \['source'\]"):
        bench.compare(obs)


def test_frames_read_are_never_modified() -> None:
    counts = pd.DataFrame({"stage": ["v", "c", "o"], "users": [100, 10, 5]}, index=[3, 3, 3])
    frame = pd.DataFrame({"stage": ["a", "b"], "rate": [0.1, 0.2], "device": ["m", None]})
    before = [x.copy(deep=True) for x in (counts, frame, HISTORY)]
    observations_from_counts(counts)
    Benchmark.from_frame(frame, name="x", source="s", as_of="2026")
    Benchmark.from_history(HISTORY, weeks=3)
    for old, new in zip(before, (counts, frame, HISTORY), strict=True):
        pd.testing.assert_frame_equal(old, new)
