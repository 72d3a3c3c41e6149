"""Spec validators: messages name the parameter, the owner, what was expected and got."""

from __future__ import annotations

import datetime as dt

import attrs
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel._validators import (
    in_choices,
    in_unit_interval,
    non_empty_str,
    positive_duration,
    positive_int,
    to_timedelta,
)


def _window(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="window", owner="Funnel")


@attrs.frozen
class Spec:
    window: pd.Timedelta = attrs.field(converter=_window, validator=positive_duration)
    n: int = attrs.field(default=1, validator=positive_int)
    share: float = attrs.field(default=0.5, validator=in_unit_interval)
    mode: str = attrs.field(default="a", validator=in_choices({"a", "b"}))
    name: str = attrs.field(default="x", validator=non_empty_str)


@pytest.mark.parametrize(
    "value", ["7D", dt.timedelta(days=7), np.timedelta64(7, "D"), pd.Timedelta(days=7)]
)
def test_durations_in_any_form(value: object) -> None:
    assert Spec(value).window == pd.Timedelta(days=7)


def test_negative_window_message_follows_the_pattern() -> None:
    with pytest.raises(lf.ParameterError) as info:
        Spec("-3D")
    assert str(info.value) == (
        "The 'window' parameter of Spec must be a positive duration. "
        "Got Timedelta('-3 days +00:00:00') instead."
    )


@pytest.mark.parametrize("value", ["soon", 7, None, "NaT"])
def test_unreadable_durations(value: object) -> None:
    with pytest.raises(lf.ParameterError, match="'window' parameter of Funnel"):
        Spec(value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n": 0}, "'n' parameter of Spec must be a positive integer. Got 0"),
        ({"n": True}, "positive integer. Got True"),
        ({"share": 1.5}, "'share' parameter of Spec must be a number in [0, 1]. Got 1.5"),
        ({"mode": "c"}, "must be one of 'a', 'b'. Got 'c'"),
        ({"name": " "}, "must be a non-empty string"),
    ],
)
def test_validators_name_parameter_expected_and_got(
    kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(lf.ParameterError) as info:
        Spec("1D", **kwargs)  # type: ignore[arg-type]
    assert fragment in str(info.value)
