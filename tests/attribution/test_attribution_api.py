"""Bad input gives typed errors; results, comparisons, economics and the conformance kit."""

from __future__ import annotations

import subprocess
import sys

import attrs
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel.attribution as la
from linkstar_funnel.errors import (
    ColumnNotFoundError,
    ConformanceError,
    DataQualityWarning,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.results import Result

mpl.use("Agg")

MODELS = [
    la.FirstTouch(),
    la.LastTouch(),
    la.LastNonDirect(),
    la.Linear(),
    la.PositionBased(first=0.3, last=0.5),
    la.TimeDecay(),
    la.Markov(),
    la.Markov(order=2, repeats="keep"),
    la.Shapley(),
]


def paths(**cols: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "path": ["a > b", "b"],
        "conv": [1, 2],
        "value": [10.0, 5.0],
        "null": [3, 1],
    }
    base.update(cols)
    return pd.DataFrame(base)


def from_paths(df: pd.DataFrame, **kw: object) -> la.Journeys:
    return la.Journeys.from_paths(df, conversions="conv", value="value", null="null", **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("cols", "match"),
    [
        ({"path": ["a > b", ""]}, r"'path'.*non-empty paths; row 1 is empty"),
        ({"path": ["a > b", None]}, r"'path'.*row 1 is missing"),
        ({"path": ["a > > b", "b"]}, r"'path'.*row 0 has an empty channel name"),
        ({"path": ["a > b >", "b"]}, r"empty channel name"),
        ({"path": [1, 2]}, r"'path'.*must hold strings.*Got 1 \(int\)"),
        ({"conv": [1, -2]}, r"'conv'.*≥ 0; row 1 is -2.0"),
        ({"conv": [np.nan, 2]}, r"'conv'.*finite.*row 0 is nan"),
        ({"value": [1.0, np.inf]}, r"'value'.*infinite"),
        ({"null": [1, -1]}, r"'null'.*row 1 is -1.0"),
        ({"conv": ["1", "2"]}, r"'conv'.*must hold numbers"),
    ],
)
def test_bad_paths_raise_schema_errors(cols: dict[str, list[object]], match: str) -> None:
    df = paths(**cols)
    before = df.copy(deep=True)
    with pytest.raises(SchemaError, match=match):
        from_paths(df)
    pd.testing.assert_frame_equal(df, before)


def test_missing_column_suggests_names() -> None:
    with pytest.raises(ColumnNotFoundError, match="Hint: did you mean"):
        la.Journeys.from_paths(paths(), conversions="convs")


def test_empty_policies() -> None:
    df = paths(path=["a > b", "  "])
    direct = from_paths(df, empty="direct")
    assert direct.channels[-1] == la.DIRECT_NONE
    assert la.LastTouch().attribute(direct).credit()[la.DIRECT_NONE] == 2.0
    dropped = from_paths(df, empty="drop")
    assert dropped.total_conversions == 1.0
    assert dropped.inputs["paths"].rows_dropped == 1
    assert la.Linear().attribute(dropped).provenance.rows_dropped == 1


def test_spaces_around_names_ignored_and_multichar_sep() -> None:
    j = la.Journeys.from_paths(
        pd.DataFrame({"p": ["paid search->email", " paid search -> email "], "c": [1, 1]}),
        path="p",
        conversions="c",
        sep="->",
    )
    assert j.channels == ("paid search", "email")
    assert j.n_journeys == 2


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: la.PositionBased(first=0.7, last=0.5),
            r"'last' parameter of PositionBased must be at most",
        ),
        (
            lambda: la.PositionBased(first=1.5),
            r"'first' parameter of PositionBased must be a number in \[0, 1\]",
        ),
        (
            lambda: la.TimeDecay(half_life="-2D"),
            r"'half_life' parameter of TimeDecay must be a positive duration",
        ),
        (
            lambda: la.TimeDecay(half_life="soon"),
            r"'half_life' parameter of TimeDecay must be a duration",
        ),
        (
            lambda: la.TimeDecay(position_half_life=0),
            r"'position_half_life'.*a number > 0. Got 0",
        ),
        (
            lambda: la.Markov(order=0),
            r"'order' parameter of Markov must be a positive integer. Got 0",
        ),
        (lambda: la.Markov(repeats="unique"), r"'repeats' parameter of Markov must be one of"),
        (lambda: la.Linear(repeats="twice"), r"'repeats' parameter of Linear"),
        (lambda: from_paths(paths(), sep=""), r"'sep' parameter of Journeys.from_paths"),
        (lambda: from_paths(paths(), empty="ignore"), r"'empty' parameter"),
        (lambda: la.compare_attribution([], from_paths(paths())), r"'models' parameter"),
    ],
)
def test_bad_parameters(make, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        make()


def test_models_are_frozen_and_hashable() -> None:
    for model in MODELS:
        hash(model)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            model.name = "x"  # type: ignore[misc]
    assert attrs.evolve(la.Markov(), order=3).order == 3


# --------------------------------------------------------------------------- results


def test_result_protocol_frame_summary_plot() -> None:
    j = from_paths(paths())
    for model in MODELS:
        res = model.attribute(j)
        assert isinstance(res, Result)
        assert isinstance(model, la.AttributionModel)
        frame = res.to_frame()
        assert frame.columns.tolist() == ["channel", "conversions", "value", "share", "value_share"]
        assert frame["share"].sum() == pytest.approx(1.0)
        assert res.name in str(res)
        assert "<table" in res._repr_html_()
        ax = res.plot()
        assert ax.get_title(loc="left")
        ax.figure.clf()


def test_markov_result_extras() -> None:
    res = la.Markov().attribute(from_paths(paths()))
    assert isinstance(res, la.MarkovResult)
    assert res.removal_effects.columns.tolist() == [
        "channel",
        "removal_effect",
        "removal_effect_value",
    ]
    tm = res.transition_matrix
    assert {"(start)", "(conversion)", "(null)"} <= set(tm["from"]) | set(tm["to"])
    assert 0 < res.conversion_probability < 1


def test_compare_and_economics() -> None:
    j = from_paths(paths())
    cmp = la.compare_attribution([la.LastTouch(), la.Linear(), la.Linear()], j)
    assert cmp.labels == ("Last touch", "Linear", "Linear #2")
    long = cmp.to_frame()
    assert long.groupby("model")["conversions"].sum().to_numpy() == pytest.approx(3.0)
    assert cmp.wide("value").sum().to_numpy() == pytest.approx(15.0)
    spend = pd.DataFrame(
        {"date": ["d1", "d2", "d1"], "channel": ["a", "a", "tv"], "cost": [4.0, 6.0, 5.0]}
    )
    with pytest.warns(DataQualityWarning, match="no spend"):
        econ = cmp.economics(spend).to_frame()
    last = econ[econ["model"] == "Last touch"].set_index("channel")
    assert last.loc["a", "spend"] == 10.0
    assert np.isnan(last.loc["a", "cpa"])  # spend, no last-touch conversions
    assert np.isnan(last.loc["b", "cpa"])  # conversions, no spend: no CAC (issue 12)
    assert last.loc["tv", "roas"] == 0.0
    with pytest.warns(DataQualityWarning):
        econ_result = cmp.economics(spend)
    assert "tv" in " ".join(econ_result.provenance.notes)
    ax = cmp.plot()
    ax.figure.clf()
    ax = econ_result.plot()
    ax.figure.clf()
    assert "Attribution by model" in str(cmp)
    with pytest.raises(SchemaError, match="costs ≥ 0"):
        la.channel_economics(la.Linear().attribute(j), {"a": -1.0})


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_builtins_pass_the_conformance_kit(model: object) -> None:
    la.check_attribution_model(model, from_paths(paths()))


def test_conformance_kit_catches_a_broken_model() -> None:
    @attrs.frozen
    class AllToFirstChannel:
        @property
        def name(self) -> str:
            return "broken"

        def attribute(self, journeys: la.Journeys) -> la.AttributionResult:
            conv = np.zeros(journeys.n_channels)
            conv[0] = journeys.total_conversions + 1.0  # wrong total, depends on codes
            from linkstar_funnel.results import Provenance

            return la.AttributionResult(
                model=self,
                channels=journeys.channels,
                conversions=conv,
                value=np.zeros(journeys.n_channels),
                total_conversions=journeys.total_conversions,
                total_value=journeys.total_value,
                n_journeys=journeys.n_journeys,
                provenance=Provenance(spec=self),
            )

    with pytest.raises(ConformanceError) as info:
        la.check_attribution_model(AllToFirstChannel(), from_paths(paths()))
    assert isinstance(info.value, AssertionError)  # what the kit raised before
    text = str(info.value)
    assert text.startswith("AllToFirstChannel fails 8 of the AttributionModel checks")
    for label in ("sample journeys", "given journeys"):
        assert f"{label}: conversions credit sums to" in text
        assert f"{label}: value credit sums to 0.0, not the total" in text
        assert f"{label}: reordering the channel codes" in text
        assert f"{label}: journeys without conversions received credit" in text
    with pytest.raises(ConformanceError, match="does not implement"):
        la.check_attribution_model(object())


def test_conformance_kit_reports_crashes_and_mutation_together() -> None:
    class Mutating:  # not frozen, so not hashable either
        name = "mutating"
        __hash__ = None  # type: ignore[assignment]

        def attribute(self, journeys: la.Journeys) -> la.AttributionResult:
            journeys.nulls.flags.writeable = True
            journeys.nulls[0] += 1.0
            msg = "boom"
            raise RuntimeError(msg)

    with pytest.raises(ConformanceError) as info:
        la.check_attribution_model(Mutating())
    assert list(info.value.failures) == [
        "the model is not hashable (use @attrs.frozen)",
        "sample journeys: attribute(): raised RuntimeError: boom",
        "sample journeys: attribute() modified its input journeys",
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("AttributionComparison", "AttributionComparisonResult"),
        ("ChannelEconomics", "ChannelEconomicsResult"),
    ],
)
def test_renamed_results_keep_their_old_names_one_release(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"use linkstar_funnel.attribution.{new} "):
        cls = getattr(la, old)
    assert cls is getattr(la, new)
    assert new in la.__all__
    assert old not in la.__all__
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = la.Nope  # type: ignore[attr-defined]


def test_the_library_imports_without_deprecation_warnings() -> None:
    code = "import linkstar_funnel, linkstar_funnel.report"
    subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], check=True)
