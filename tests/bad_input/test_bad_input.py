"""Every public entry point, driven with generated bad input.

For each good call in :mod:`.cases`, hypothesis corrupts one frame (a column made
missing, nullable, Arrow, text, categorical, extreme or negative; the frame emptied, cut
to one row, shuffled, given MultiIndex or duplicate columns, or a column dropped) or one
parameter (a value from a pool of wrong types and out-of-domain values). The library must
answer with one of:

* a :class:`~linkstar_funnel.LinkstarError` subclass (a typed error naming what is wrong);
* a result, whose tabular outputs hold no NaN or inf unless a ``LinkstarWarning`` said why,
  and no bare numpy ``RuntimeWarning`` was emitted on the way.

Never another exception, and never a mutated input frame.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf

from .cases import CASES, Case, Frames
from .public_api import EXEMPT, public_entry_points

SETTINGS = settings(
    max_examples=16,
    deadline=None,
    derandomize=True,  # the same examples on every machine: CI cannot pass here, fail there
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

FRAME_CASES = [c for c in CASES if c.frames is not dict]
PARAM_CASES = [
    c for c in CASES if c.params and (callable(c.params) or set(c.params) - set(c.fixed))
]

# ----------------------------------------------------------------------------- corruption


def _missing(s: pd.Series, mask: np.ndarray) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.where(~mask)
    if s.dtype == bool:
        return s.astype(object).where(~mask, None)
    return s.where(~mask)


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _extreme(s: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(s.dtype):
        return pd.Series(np.full(len(s), 2**62, dtype=np.int64), index=s.index, name=s.name)
    if _numeric(s):
        return pd.Series(np.full(len(s), 1e308), index=s.index, name=s.name)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        far = pd.Timestamp("2262-04-01", tz=getattr(s.dtype, "tz", None))
        return pd.Series(far, index=s.index, name=s.name).astype(s.dtype)
    return s.astype(str) + "\u0000" * 3 + "é" * 50


def _negative(s: pd.Series) -> pd.Series:
    if _numeric(s):
        return -(s.abs() + 1)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s - pd.Timedelta(days=36_500)
    return s


COLUMN_CORRUPTIONS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "some missing": lambda s: _missing(s, np.arange(len(s)) % 3 == 0),
    "all missing": lambda s: _missing(s, np.ones(len(s), dtype=bool)),
    "nullable": lambda s: s.to_frame().convert_dtypes()[s.name],
    "arrow": lambda s: s.to_frame().convert_dtypes(dtype_backend="pyarrow")[s.name],
    "object": lambda s: s.astype(object),
    "category": lambda s: s.astype("category"),
    "text": lambda s: s.astype(str),
    "extreme": _extreme,
    "negative": _negative,
    "constant": lambda s: (
        pd.Series([s.iloc[0]] * len(s), index=s.index, name=s.name, dtype=s.dtype) if len(s) else s
    ),
}


def _corrupt_column(frame: pd.DataFrame, column: str, how: str) -> pd.DataFrame:
    out = frame.copy()
    out[column] = COLUMN_CORRUPTIONS[how](frame[column])
    return out


def _duplicate(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return pd.concat([frame, frame[[column]]], axis=1)


def _multiindex(frame: pd.DataFrame, _column: str) -> pd.DataFrame:
    out = frame.copy()
    out.columns = pd.MultiIndex.from_arrays([list(frame.columns), ["x"] * frame.shape[1]])
    return out


#: The error a frame corruption must give, when it gives one.
EXPECTED_ERROR: dict[str, type[lf.LinkstarError]] = {
    "empty": lf.EmptyFrameError,
    "column dropped": lf.ColumnNotFoundError,
    "duplicate column": lf.SchemaError,
    "MultiIndex columns": lf.SchemaError,
}

FRAME_CORRUPTIONS: dict[str, Callable[[pd.DataFrame, str], pd.DataFrame]] = {
    "empty": lambda f, _c: f.iloc[:0],
    "one row": lambda f, _c: f.iloc[:1],
    "shuffled with a string index": lambda f, _c: f.sample(frac=1.0, random_state=0).set_axis(
        [f"r{i}" for i in range(len(f))]
    ),
    "duplicate column": _duplicate,
    "MultiIndex columns": _multiindex,
    "column dropped": lambda f, c: f.drop(columns=[c]),
}

BAD_VALUES: list[object] = [
    None,
    5,
    -1,
    0,
    1.5,
    -1e308,
    1e308,
    float("nan"),
    float("inf"),
    "soon",
    "",
    [],
    ["nope"],
    {"a": 1},
    object(),
    True,
    pd.NaT,
    b"bytes",
    ("a", "b"),
    np.array([1.0, np.nan]),
    pd.DataFrame({"a": [1]}),
]


# ----------------------------------------------------------------------------- checks


def _tables(result: object) -> Iterator[pd.DataFrame]:
    """The tabular outputs of a result: frames, series, arrays, numbers, ``to_frame()``."""
    if isinstance(result, pd.DataFrame):
        yield result
    elif isinstance(result, pd.Series):
        yield result.to_frame()
    elif isinstance(result, np.ndarray) and result.dtype.kind in "fiu":
        yield pd.DataFrame({"value": result.ravel()})
    elif isinstance(result, float | np.floating):
        yield pd.DataFrame({"value": [float(result)]})
    elif isinstance(result, tuple | list):
        for item in result:
            yield from _tables(item)
    elif isinstance(result, dict):
        for item in result.values():
            yield from _tables(item)
    else:
        to_frame = getattr(result, "to_frame", None)
        if callable(to_frame) and not inspect.isclass(result):
            yield to_frame()


def _non_finite(frame: pd.DataFrame) -> list[str]:
    bad = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col, pd.DataFrame):  # duplicated labels in an output: report, not crash
            bad.append(f"{name!r} (duplicated output column)")
            continue
        if not _numeric(col):
            continue
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(values).all():
            bad.append(repr(name))
    return bad


def _snapshot(frames: Frames) -> Frames:
    return {k: v.copy(deep=True) for k, v in frames.items()}


def _assert_unchanged(frames: Frames, before: Frames) -> None:
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(frame, before[name], check_exact=True, obj=name)


def _outcome(
    case: Case,
    frames: Frames,
    params: dict[str, Any],
    what: str,
    expect: type[lf.LinkstarError] = lf.LinkstarError,
    emptied: str | None = None,
) -> str:
    """Run one call; fail the test on anything but a typed error or a sound result.

    ``expect`` narrows the error: the same mistake gives the same error everywhere (an
    empty frame is an ``EmptyFrameError``, a dropped column a ``ColumnNotFoundError``).
    ``emptied`` names a column the corruption filled with missing values: an output column
    of that name passes the caller's own missing labels through, which needs no warning.
    """
    before = _snapshot(frames)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = case.call(**frames, **params)
            tables = list(_tables(result))
        except lf.LinkstarError as exc:  # either outcome is allowed: not pytest.raises
            error: lf.LinkstarError | None = exc
        else:
            error = None
    _assert_unchanged(frames, before)
    if error is not None:
        assert str(error).strip(), f"{case.name} with {what}: an error with no message"
        assert isinstance(error, expect), (
            f"{case.name} with {what}: {type(error).__name__} where the library's answer to "
            f"this mistake is {expect.__name__}: {error}"
        )
        return "error"
    numpy_warnings = [
        str(w.message)
        for w in caught
        if issubclass(w.category, RuntimeWarning) and not issubclass(w.category, lf.LinkstarWarning)
    ]
    assert not numpy_warnings, (
        f"{case.name} with {what}: a bare RuntimeWarning reached the user: {numpy_warnings[:3]}"
    )
    warned = any(issubclass(w.category, lf.LinkstarWarning) for w in caught)
    for table in tables:
        bad = [c for c in _non_finite(table) if c != repr(emptied)]
        assert warned or not bad, (
            f"{case.name} with {what}: NaN/inf in output column(s) {', '.join(bad)} "
            "without a LinkstarWarning saying why"
        )
    return "result"


# ----------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_good_call_works_without_warnings(case: Case) -> None:
    frames = case.frames()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        assert _outcome(case, frames, case.good_params(), "its good input") == "result"


@pytest.mark.parametrize("case", FRAME_CASES, ids=lambda c: c.name)
@SETTINGS
@given(data=st.data())
def test_corrupted_frames_give_a_typed_error_or_a_sound_result(case: Case, data: Any) -> None:
    frames = case.frames()
    name = data.draw(st.sampled_from(sorted(frames)), label="frame")
    frame = frames[name]
    column = data.draw(st.sampled_from(list(case.columns.get(name, frame.columns))), label="column")
    shapes = sorted(FRAME_CORRUPTIONS) if case.shapes else []
    how = data.draw(st.sampled_from(sorted(COLUMN_CORRUPTIONS) + shapes), label="how")
    if how in FRAME_CORRUPTIONS:
        bad = FRAME_CORRUPTIONS[how](frame, column)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' own casting notices while corrupting
            bad = _corrupt_column(frame, column, how)
    frames[name] = bad
    expect = EXPECTED_ERROR.get(how, lf.LinkstarError)
    emptied = column if how in ("some missing", "all missing") else None
    _outcome(case, frames, case.good_params(), f"{name}[{column!r}] {how}", expect, emptied)


@pytest.mark.parametrize("case", PARAM_CASES, ids=lambda c: c.name)
@SETTINGS
@given(data=st.data())
def test_bad_parameters_give_a_typed_error_or_a_sound_result(case: Case, data: Any) -> None:
    names = sorted(set(case.good_params()) - set(case.fixed))
    param = data.draw(st.sampled_from(names), label="parameter")
    value = data.draw(st.sampled_from(BAD_VALUES), label="value")
    params = case.good_params()
    params[param] = value
    shown = value if not isinstance(value, float) or math.isfinite(value) else repr(value)
    _outcome(case, case.frames(), params, f"{param}={shown!r}")


def _identity(obj: object) -> int:
    return id(getattr(obj, "__func__", obj))  # a classmethod is a new bound method each time


def test_every_public_entry_point_is_covered() -> None:
    covered = {_identity(obj) for case in CASES for obj in case.covers}
    missing = [
        name
        for name, obj in public_entry_points()
        if _identity(obj) not in covered and name not in EXEMPT
    ]
    assert not missing, (
        "Public entry points not driven by the bad-input tests (add a Case in "
        f"tests/bad_input/cases.py, or an EXEMPT entry with the reason): {missing}"
    )
    stale = sorted(set(EXEMPT) - {name for name, _ in public_entry_points()})
    assert not stale, f"EXEMPT names no public entry point: {stale}"
