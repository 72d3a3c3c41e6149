"""The declarative parameter check: constraints against plain references, messages, attrs."""

from __future__ import annotations

import datetime as dt
import inspect
import math
import warnings

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel._params import (
    Boolean,
    ColumnName,
    Columns,
    Duration,
    InstanceOf,
    Integer,
    Options,
    Real,
    Satisfies,
    Timestamp,
    check_param,
    validate_params,
)

BOUNDS = st.one_of(st.none(), st.integers(-5, 5).map(float))
CLOSED = st.sampled_from(["both", "left", "right", "neither"])
ANY_NUMBER = st.one_of(
    st.integers(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.float64(0.5), np.int32(3), np.nan, True, False, np.True_]),
)


def real_reference(x: object, low: float | None, high: float | None, closed: str) -> bool:
    """Plainly: a finite non-bool real number within the bounds, each end open or closed."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.integer | np.floating):
        return False
    v = float(x)
    if math.isnan(v) or math.isinf(v):
        return False
    low_ok = low is None or (v >= low if closed in ("both", "left") else v > low)
    high_ok = high is None or (v <= high if closed in ("both", "right") else v < high)
    return low_ok and high_ok


@given(ANY_NUMBER, BOUNDS, BOUNDS, CLOSED)
def test_real_accepts_exactly_what_the_reference_accepts(
    x: object, low: float | None, high: float | None, closed: str
) -> None:
    assert Real(low, high, closed=closed).accepts(x) == real_reference(x, low, high, closed)  # type: ignore[arg-type]


@given(
    ANY_NUMBER, st.one_of(st.none(), st.integers(-5, 5)), st.one_of(st.none(), st.integers(-5, 5))
)
def test_integer_accepts_exactly_whole_non_bool_integers_in_range(
    x: object, low: int | None, high: int | None
) -> None:
    expected = (
        isinstance(x, int | np.integer)
        and not isinstance(x, bool | np.bool_)
        and (low is None or x >= low)
        and (high is None or x <= high)
    )
    assert Integer(low, high).accepts(x) == expected


def test_infinite_numbers_only_where_allowed() -> None:
    assert not Real(0).accepts(math.inf)
    assert Real(0, finite=False).accepts(math.inf)
    assert not Real(0, finite=False).accepts(math.nan)


def test_options_compare_by_type_and_value() -> None:
    opts = Options("lmdi", "shapley", 1)
    assert opts.accepts("lmdi")
    assert opts.accepts(1)
    assert not opts.accepts(True)  # True == 1, but it is not the option 1
    assert not opts.accepts(np.array(["lmdi"]))  # element-wise comparison is no answer
    assert not opts.accepts(["lmdi"])


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Boolean(), [True, False, np.True_], [1, 0, "yes", None]),
        (ColumnName(), ["user_id"], ["", 5, ["a"], None]),
        (Columns(), ["a", ["a", "b"], ("a",)], ["", [], ["a", "a"], [1], 5, {"a"}]),
        (
            Duration(),
            ["7D", dt.timedelta(hours=3), np.timedelta64(1, "D")],
            ["-1D", "0s", "soon", 5],
        ),
        (Duration(positive=False), ["0s", "-1D"], ["soon", None]),
        (
            Timestamp(),
            ["2011-12-09", dt.date(2026, 1, 1), pd.Timestamp("2026-01-01")],
            ["soon", 5, pd.NaT],
        ),
        (InstanceOf(pd.DataFrame), [pd.DataFrame()], [{}, None]),
        (Satisfies(lambda v: v.shape == (2,), "a pair"), [np.zeros(2)], [np.zeros(3), 5]),
    ],
)
def test_each_constraint_accepts_the_good_and_refuses_the_bad(
    constraint: object, good: list[object], bad: list[object]
) -> None:
    for value in good:
        check_param("f", "p", value, constraint)  # type: ignore[arg-type]
    for value in bad:
        with pytest.raises(lf.ParameterError, match="The 'p' parameter of f must be"):
            check_param("f", "p", value, constraint)  # type: ignore[arg-type]


class Thing:
    @validate_params(alpha=Real(0, 1, closed="neither"), by=[None, Columns()])
    def compute(self, frame: object, *, alpha: float = 0.05, by: object = None) -> float:  # noqa: ARG002
        return alpha


def test_methods_are_named_by_their_qualified_name() -> None:
    with pytest.raises(lf.ParameterError) as info:
        Thing().compute(None, alpha=1.0)
    assert str(info.value) == (
        "The 'alpha' parameter of Thing.compute must be a number in (0, 1). Got 1.0 instead."
    )


def test_positional_arguments_are_checked_too() -> None:
    @validate_params(n=Integer(1))
    def f(n: int) -> int:
        return n

    assert f(3) == 3
    with pytest.raises(lf.ParameterError, match=r"positive integer\. Got 0"):
        f(0)


def test_none_alternative_and_long_values_are_shortened() -> None:
    assert Thing().compute(None, by=None) == 0.05
    with pytest.raises(lf.ParameterError, match=r"None or a column name or a list.*\.\.\. instead"):
        Thing().compute(None, by=list(range(500)))


def test_a_spec_naming_an_unknown_parameter_fails_at_definition() -> None:
    with pytest.raises(TypeError, match="lacks"):

        @validate_params(nope=Real())
        def f(x: float) -> float:
            return x


def test_constraints_are_attrs_validators() -> None:
    @attrs.frozen
    class Model:
        first: float = attrs.field(default=0.4, validator=Real(0, 1))

    assert Model(0.3).first == 0.3
    with pytest.raises(
        lf.ParameterError, match="The 'first' parameter of Model must be a number in"
    ):
        Model(1.5)


def test_warnings_point_at_the_users_line_not_the_wrapper() -> None:
    # A public function's warning (stacklevel=2 in its body) would name the wrapper's line
    # in _params.py; users must see the line of their own call.
    def inner() -> None:
        warnings.warn("inner note", lf.DataQualityWarning, stacklevel=2)

    wrapped = validate_params()(inner)
    line = inspect.currentframe().f_lineno + 2  # type: ignore[union-attr]
    with pytest.warns(lf.DataQualityWarning, match="inner note") as caught:
        wrapped()
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_warnings_of_other_packages_keep_their_place() -> None:
    @validate_params()
    def noisy() -> None:
        pd.to_datetime(pd.Series(["2026-01-01", "soon"]), errors="coerce")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        noisy()
    assert all("linkstar_funnel" not in w.filename for w in caught)


def test_warnings_said_before_an_error_are_passed_on() -> None:
    @validate_params()
    def failing() -> None:
        warnings.warn("rows dropped", lf.DataQualityWarning, stacklevel=2)
        msg = "nothing left"
        raise lf.EmptyFrameError(msg)

    with pytest.raises(lf.EmptyFrameError), pytest.warns(lf.DataQualityWarning, match="rows"):
        failing()
