"""The benchmark-set kit, the registry on the shared Registry, and the renamed API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel.benchmark as bm
from linkstar_funnel._registry import Registry
from linkstar_funnel.benchmark import (
    Benchmark,
    BenchmarkComparisonResult,
    Reference,
    available_benchmarks,
    check_benchmark_set,
    get_benchmark,
    register_benchmark,
)
from linkstar_funnel.benchmark._registry import BENCHMARK_SETS
from linkstar_funnel.errors import ConformanceError, ParameterError, RegistryError

from .test_compare import BENCH, history_frame, obs_frame


@pytest.mark.parametrize("name", ["industry", "baymard-cart-abandonment", "littledata-2019-10"])
def test_shipped_sets_pass_the_kit(name: str) -> None:
    check_benchmark_set(name)
    check_benchmark_set(lambda: get_benchmark(name))


def test_a_history_set_passes_the_kit() -> None:
    bench = Benchmark.from_history(history_frame(), weeks=8)
    check_benchmark_set(lambda: bench)


def test_a_set_with_two_faults_gets_both_reported_at_once() -> None:
    rng = np.random.default_rng(0)

    def drifting() -> Benchmark:  # a new rate on every call, dated next millennium
        return Benchmark.from_rates(
            {"payment": float(rng.uniform(0.1, 0.9))}, source="guess", as_of="2999-01"
        )

    with pytest.raises(ConformanceError) as info:
        check_benchmark_set(drifting)
    message = str(info.value)
    assert "fails 2 of the benchmark set checks" in message
    assert "builds the same set on every call" in message
    assert "dated after today: ['payment (2999-01)']" in message
    assert isinstance(info.value, AssertionError)


def test_published_figures_need_a_definition_and_where_to_read_them() -> None:
    bare = Reference("payment", 0.3, "Someone", "2020", kind="industry")
    with pytest.raises(ConformanceError) as info:
        check_benchmark_set(lambda: Benchmark("bare", (bare,)))
    assert "no definition for industry or peer reference(s) ['payment']" in str(info.value)


def test_a_factory_that_crashes_or_returns_junk_is_reported() -> None:
    def boom() -> Benchmark:
        msg = "network down"
        raise RuntimeError(msg)

    with pytest.raises(ConformanceError, match="builds a Benchmark: raised RuntimeError"):
        check_benchmark_set(boom)
    with pytest.raises(ConformanceError, match="built a int, not a Benchmark"):
        check_benchmark_set(lambda: 5)  # type: ignore[arg-type,return-value]


def test_unreachable_references_are_reported() -> None:
    # A segment named like a comparison output: no observation can ever match it.
    ref = Reference("payment", 0.3, "plan", "2020", kind="target", segment={"source": "ads"})
    with pytest.raises(ConformanceError, match="every reference is matched by a comparison"):
        check_benchmark_set(lambda: Benchmark("clash", (ref,)))


def test_kit_arguments() -> None:
    with pytest.raises(RegistryError, match="No benchmark set is registered as 'nope'"):
        check_benchmark_set("nope")
    with pytest.raises(ParameterError, match="'name_or_factory' parameter of check_benchmark_set"):
        check_benchmark_set(5)  # type: ignore[arg-type]


def test_registry_is_the_shared_one() -> None:
    assert isinstance(BENCHMARK_SETS, Registry)
    assert BENCHMARK_SETS.names() == available_benchmarks()
    with pytest.raises(ParameterError, match="'factory' parameter of register_benchmark"):
        register_benchmark("not-callable")(5)  # type: ignore[arg-type]
    assert "not-callable" not in available_benchmarks()


def test_comparison_result_is_named_like_every_result_and_says_by() -> None:
    cmp = BENCH.compare(obs_frame())
    assert isinstance(cmp, BenchmarkComparisonResult)
    assert cmp.by == ("device",)
    with pytest.warns(DeprecationWarning, match="'by'"):
        assert cmp.segments == ("device",)


def test_old_result_name_is_a_deprecated_alias() -> None:
    with pytest.warns(DeprecationWarning, match="'?BenchmarkComparisonResult"):
        old = bm.__getattr__("BenchmarkComparison")
    assert old is BenchmarkComparisonResult
    with pytest.raises(AttributeError):
        bm.__getattr__("NoSuchName")


def test_from_history_time_column_was_called_period() -> None:
    hist = history_frame().rename(columns={"period": "week_of"})
    new = Benchmark.from_history(hist, weeks=8, time="week_of")
    with pytest.warns(DeprecationWarning, match="'time'"):
        old = Benchmark.from_history(hist, weeks=8, period="week_of")
    assert old == new
    with pytest.raises(ParameterError, match="Got both period="):
        Benchmark.from_history(hist, period="week_of", time="week_of")
    assert isinstance(pd.Timestamp(new.references[0].as_of), pd.Timestamp)


def test_comparison_keeps_the_result_conventions() -> None:
    from linkstar_funnel.results import check_result

    check_result(BENCH.compare(obs_frame()))
