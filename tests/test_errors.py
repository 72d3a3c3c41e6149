"""The error tree: every error is a LinkstarError and the builtin a caller would catch."""

from __future__ import annotations

import warnings

import pytest

import linkstar_funnel as lf
from linkstar_funnel import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (lf.SchemaError, ValueError),
        (lf.ColumnNotFoundError, KeyError),
        (lf.ColumnNotFoundError, ValueError),
        (lf.EmptyFrameError, ValueError),
        (lf.TimeColumnError, TypeError),
        (lf.TimeZoneError, ValueError),
        (lf.ParameterError, ValueError),
        (lf.RegistryError, KeyError),
        (lf.ConvergenceError, RuntimeError),
        (lf.EngineError, RuntimeError),
        (lf.DatasetError, OSError),
    ],
)
def test_errors_inherit_root_and_builtin(cls: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(cls, lf.LinkstarError)
    assert issubclass(cls, builtin)


@pytest.mark.parametrize("cls", [lf.DataQualityWarning, lf.ConvergenceWarning])
def test_warnings_tree(cls: type[Warning]) -> None:
    assert issubclass(cls, lf.LinkstarWarning)
    assert issubclass(cls, UserWarning)
    with pytest.warns(lf.LinkstarWarning):
        warnings.warn("x", cls, stacklevel=1)


def test_every_error_is_documented_in_the_module_tree() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        assert name in doc, f"{name} missing from the tree drawn in errors.py"


def test_column_not_found_str_is_plain_text_not_a_repr() -> None:
    err = lf.ColumnNotFoundError("tss", ["ts", "user"], role="time", frame_name="events")
    text = str(err)
    assert text.startswith("The events frame has no time column 'tss'")
    assert "\nHint: did you mean one of these columns: 'ts' (pass time='ts')?" in text
    assert err.column == "tss"


def test_column_not_found_prefers_columns_of_the_right_type() -> None:
    err = lf.ColumnNotFoundError(
        "when", ["when_str", "event_time"], role="time", typed_candidates=["event_time"]
    )
    assert "pass time='event_time'" in str(err)


def test_column_not_found_lists_long_frames_briefly() -> None:
    cols = [f"c{i}" for i in range(30)]
    err = lf.ColumnNotFoundError("zzz", cols)
    assert "(18 more)" in str(err)


def test_registry_error_str_is_plain() -> None:
    assert str(lf.RegistryError("no template 'x'")) == "no template 'x'"
