"""Old spellings keep working for one release, with a warning that names the new one."""

from __future__ import annotations

import warnings

import attrs
import pytest

from linkstar_funnel._deprecation import renamed_attributes, renamed_params
from linkstar_funnel.errors import DataQualityWarning, ParameterError


@renamed_params(segments="by")
def _total(*, by: str | None = None) -> str | None:
    warnings.warn("inside", DataQualityWarning, stacklevel=2)
    return by


@renamed_params(observed_until="observation_end")
@attrs.frozen
class _Spec:
    observation_end: str = "2026-01-01"


def test_old_name_works_with_a_warning_naming_the_new_one() -> None:
    with (
        pytest.warns(DeprecationWarning, match=r"'segments'.*use 'by'"),
        pytest.warns(DataQualityWarning),
    ):
        assert _total(segments="channel") == "channel"


def test_warnings_point_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _total(segments="channel")
    assert {w.filename for w in caught} == {__file__}


def test_old_and_new_name_together_is_an_error() -> None:
    with pytest.raises(ParameterError, match=r"'segments'.*'by'"):
        _total(segments="a", by="b")


def test_classes_take_the_old_name() -> None:
    with pytest.warns(DeprecationWarning, match="'observation_end'"):
        assert _Spec(observed_until="2026-02-01").observation_end == "2026-02-01"
    assert _Spec(observation_end="2026-03-01").observation_end == "2026-03-01"


def test_renamed_attributes() -> None:
    getattr_ = renamed_attributes("pkg", {"Old": ("New", int)})
    with pytest.warns(DeprecationWarning, match=r"pkg\.Old is deprecated.*pkg\.New"):
        assert getattr_("Old") is int
    with pytest.raises(AttributeError):
        getattr_("Missing")
