"""Benchmark sets, matching, comparisons, impact, errors and the registry."""

from __future__ import annotations

import matplotlib as mpl

mpl.use("Agg")

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.benchmark import (
    Benchmark,
    RateSource,
    Reference,
    available_benchmarks,
    get_benchmark,
    observations_from_counts,
    register_benchmark,
)
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    RegistryError,
    SchemaError,
)


def obs_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": ["add_to_cart", "add_to_cart", "payment", "payment"],
            "device": ["mobile", "desktop", "mobile", "desktop"],
            "successes": [380, 30, 100, 60],
            "trials": [10_000, 500, 300, 120],
            "orders_per_success": [0.3, 0.35, 1.0, 1.0],
        }
    )


BENCH = Benchmark.from_rates({"add_to_cart": 0.052, "payment": 0.45}, source="X", as_of="2019-10")


def test_contract_columns_and_values() -> None:
    out = BENCH.compare(obs_frame(), value_per_order=80.0).to_frame()
    head = [
        "stage",
        "base",
        "device",
        "observed",
        "n",
        "reference",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "q_value",
        "verdict",
        "impact",
    ]
    assert list(out.columns[: len(head)]) == head
    row = out.iloc[0]
    assert row["observed"] == pytest.approx(0.038)
    assert row["n"] == 10_000
    assert row["verdict"] == "below"
    assert row["impact_orders"] == pytest.approx(10_000 * 0.014 * 0.3)
    assert row["impact"] == pytest.approx(10_000 * 0.014 * 0.3 * 80.0)
    assert set(out["verdict"]) <= {"below", "above", "in line"}
    assert (out["q_value"] >= out["p_value"] - 1e-15).all()


def test_inputs_never_mutated() -> None:
    obs = obs_frame()
    before = obs.copy(deep=True)
    BENCH.compare(obs)
    pd.testing.assert_frame_equal(obs, before)


def test_most_specific_reference_wins_and_base_matching() -> None:
    bench = Benchmark(
        "b",
        [
            Reference("add_to_cart", 0.05, "all", "2026"),
            Reference("add_to_cart", 0.02, "mob", "2026", segment={"device": "mobile"}),
            Reference("payment", 0.3, "from visit", "2026", base="visit"),
        ],
    )
    obs = obs_frame().assign(
        base=["product_view"] * 2 + ["visit", "checkout"], step=[True, True, False, True]
    )
    out = bench.compare(obs).to_frame()
    assert out["reference"].tolist() == [0.02, 0.05, 0.3]
    assert out["base"].tolist() == ["product_view", "product_view", "visit"]
    cmp = bench.compare(obs)
    assert cmp.provenance.inputs["observations"].rows_dropped == 1


def test_ambiguous_references_raise() -> None:
    bench = Benchmark(
        "b",
        [
            Reference("payment", 0.3, "a", "2026", segment={"device": "mobile"}),
            Reference("payment", 0.4, "b", "2026", segment={"country": "DE"}),
        ],
    )
    obs = pd.DataFrame(
        {
            "stage": ["payment"],
            "device": ["mobile"],
            "country": ["DE"],
            "successes": [1],
            "trials": [3],
        }
    )
    with pytest.raises(ParameterError, match="equally well"):
        bench.compare(obs)


def test_no_match_is_an_empty_frame_error_with_hint() -> None:
    obs = obs_frame().assign(stage="cart")
    with pytest.raises(EmptyFrameError, match="Hint: the benchmark has stages"):
        BENCH.compare(obs)


def test_zero_trials_rows_are_counted() -> None:
    obs = obs_frame()
    obs.loc[1, ["successes", "trials"]] = 0
    cmp = BENCH.compare(obs)
    assert len(cmp.to_frame()) == 3
    assert "1 no trials" in str(cmp.provenance.inputs["observations"])


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"successes": [380, 600, 100, 60]}, SchemaError, "must not exceed 'trials'"),
        ({"trials": [10_000, -1, 300, 120]}, SchemaError, "non-negative whole numbers"),
        ({"trials": [10_000, 500.5, 300, 120]}, SchemaError, "non-negative whole numbers"),
        ({"successes": ["a", "b", "c", "d"]}, SchemaError, "must hold numbers"),
        ({"successes": [1.0, np.nan, 3.0, 4.0]}, SchemaError, "missing value"),
    ],
)
def test_bad_observations(change: dict[str, list[object]], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        BENCH.compare(obs_frame().assign(**change))


def test_missing_column_names_it() -> None:
    with pytest.raises(ColumnNotFoundError, match="'trials'"):
        BENCH.compare(obs_frame().rename(columns={"trials": "n"}))


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"alpha": 1.5}, "'alpha' parameter of Benchmark.compare"),
        ({"alpha": 0}, "'alpha' parameter"),
        ({"test": "wald"}, "'test' parameter"),
        ({"min_difference": -0.1}, "'min_difference' parameter"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(ParameterError, match=param):
        BENCH.compare(obs_frame(), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rate": 5.2}, "'rate' parameter of Reference must be a rate in \\[0, 1\\]"),
        ({"as_of": "Oct 2019"}, "'as_of' parameter of Reference"),
        ({"source": ""}, "'source' parameter of Reference"),
        ({"segment": {"device": 1}}, "'segment' parameter"),
        ({"successes": 3}, "'successes' parameter"),
        ({"kind": "guess"}, "'kind' parameter"),
    ],
)
def test_reference_validation(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"stage": "s", "rate": 0.1, "source": "x", "as_of": "2026"}
    with pytest.raises(ParameterError, match=match):
        Reference(**{**args, **kwargs})  # type: ignore[arg-type]


def test_duplicate_references_refused() -> None:
    with pytest.raises(ParameterError, match="one value per"):
        Benchmark("b", [Reference("s", 0.1, "x", "2026"), Reference("s", 0.2, "y", "2026")])


def test_min_difference_keeps_tiny_gaps_in_line() -> None:
    obs = pd.DataFrame({"stage": ["s"], "successes": [49_000], "trials": [1_000_000]})
    bench = Benchmark.from_rates({"s": 0.05}, source="x", as_of="2026")
    assert bench.compare(obs).to_frame()["verdict"].item() == "below"
    assert bench.compare(obs, min_difference=0.005).to_frame()["verdict"].item() == "in line"


def test_exact_test_option() -> None:
    out = BENCH.compare(obs_frame(), test="exact").to_frame()
    assert out["p_value"].iloc[0] < 1e-9


def history_frame(weeks: int = 10, drop_week: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for w in range(weeks):
        if w == drop_week:
            continue
        start = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w)
        for device, p in (("mobile", 0.04), ("desktop", 0.06)):
            n = 5_000
            rows.append(
                {
                    "period": start + pd.Timedelta(days=2),
                    "stage": "add_to_cart",
                    "device": device,
                    "successes": int(rng.binomial(n, p)),
                    "trials": n,
                }
            )
    return pd.DataFrame(rows)


def test_from_history_pools_last_weeks_and_compares_two_sample() -> None:
    hist = history_frame()
    bench = Benchmark.from_history(hist, weeks=8)
    assert len(bench) == 2
    ref = next(r for r in bench.references if r.segment == {"device": "mobile"})
    assert ref.trials == 8 * 5_000
    assert ref.kind == "history"
    assert ref.as_of == "2026-03-09"
    late = hist.loc[hist["period"] >= pd.Timestamp("2026-01-19")]
    assert ref.successes == late.loc[late["device"] == "mobile", "successes"].sum()
    this_week = pd.DataFrame(
        {
            "stage": ["add_to_cart"] * 2,
            "device": ["mobile", "desktop"],
            "successes": [150, 300],
            "trials": [5_000, 5_000],
        }
    )
    out = bench.compare(this_week).to_frame()
    assert out["verdict"].tolist() == ["below", "in line"]
    assert (out["difference_low"] < out["difference"]).all()


def test_from_history_end_and_missing_weeks_warn() -> None:
    hist = history_frame(drop_week=5)
    with pytest.warns(DataQualityWarning, match="only 7 of the 8 weeks"):
        bench = Benchmark.from_history(hist, weeks=8, end="2026-03-09")
    assert bench.references[0].as_of == "2026-03-02"


def test_from_history_errors() -> None:
    with pytest.raises(ParameterError, match="'weeks' parameter"):
        Benchmark.from_history(history_frame(), weeks=0)
    with pytest.raises(ColumnNotFoundError, match="period"):
        Benchmark.from_history(history_frame().drop(columns="period"))


class FakeResult:
    """A minimal RateSource, as FunnelResult will implement it."""

    def rate_observations(self) -> pd.DataFrame:
        return obs_frame()


def test_rate_source_protocol() -> None:
    src = FakeResult()
    assert isinstance(src, RateSource)
    out = BENCH.compare(src).to_frame()
    assert len(out) == 4


def test_observations_from_counts_by_segment() -> None:
    counts = pd.DataFrame(
        {
            "device": ["m"] * 3 + ["d"] * 3,
            "stage": ["visit", "cart", "order"] * 2,
            "users": [1000, 100, 20, 500, 80, 30],
        }
    )
    obs = observations_from_counts(counts, by=["device"])
    step = obs.loc[obs["step"]]
    assert len(obs) == 6
    assert len(step) == 4
    cart = obs.loc[(obs["stage"] == "cart") & (obs["device"] == "d")].iloc[0]
    assert cart["orders_per_success"] == pytest.approx(30 / 80)
    cmp = get_benchmark("industry").compare(
        obs.assign(
            base=obs["base"].replace({"cart": "add_to_cart"}),
            stage=obs["stage"].replace({"cart": "add_to_cart", "order": "payment"}),
        )
    )
    assert set(cmp.to_frame()["base"]) == {"visit", "add_to_cart"}


def test_shipped_defaults_are_dated_and_sourced() -> None:
    bench = get_benchmark("industry")
    frame = bench.to_frame()
    assert len(frame) == 4
    assert frame["as_of"].str.match(r"^\d{4}").all()
    assert (frame["definition"].str.len() > 40).all()
    assert frame["url"].str.startswith("https://").all()
    rates = {(r.stage, r.base): r.rate for r in bench.references}
    assert rates[("add_to_cart", "visit")] == 0.052
    assert rates[("payment", "checkout")] == 0.452
    assert rates[("payment", "visit")] == 0.0162
    assert rates[("payment", "add_to_cart")] == pytest.approx(1 - 0.7019)
    assert {"industry", "littledata-2019-10", "irp-uk-2022-08"} <= set(available_benchmarks())


def test_registry_refuses_silent_overwrite() -> None:
    @register_benchmark("test-once")
    def _one() -> Benchmark:
        return BENCH

    def _two() -> Benchmark:
        return Benchmark.from_rates({"s": 0.5}, source="two", as_of="2026")

    with pytest.raises(RegistryError, match="already registered"):
        register_benchmark("test-once")(_two)
    assert get_benchmark("test-once") is BENCH
    register_benchmark("test-once", replace=True)(_two)
    assert get_benchmark("test-once").name == "two"
    with pytest.raises(
        RegistryError, match=r"No benchmark set is registered as .*Registered: .*'industry'"
    ):
        get_benchmark("no-such-set")


def test_from_frame_segments_and_missing_labels() -> None:
    frame = pd.DataFrame(
        {
            "stage": ["payment", "payment"],
            "rate": [0.4, 0.5],
            "device": ["mobile", np.nan],
            "source": ["peer", "peer"],
            "as_of": ["2026-01", "2026-01"],
        }
    )
    bench = Benchmark.from_frame(frame, name="peers")
    assert [dict(r.segment) for r in bench.references] == [{"device": "mobile"}, {}]


def test_summary_html_and_plot() -> None:
    cmp = BENCH.compare(obs_frame(), value_per_order=80.0)
    text = str(cmp)
    assert "below / above / in line" in text
    assert "impact at stake (value)" in text
    assert "<table" in cmp._repr_html_()
    assert cmp.needs_action()["impact"].is_monotonic_decreasing
    ax = cmp.plot()
    assert ax.get_title(loc="left").startswith("Observed vs")
    import matplotlib.pyplot as plt

    plt.close(ax.figure)
