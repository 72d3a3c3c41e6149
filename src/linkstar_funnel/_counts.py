"""Reading counts and rates: the checks every statistic and observation frame shares.

Counts are whole numbers in ``[0, 2**53]``: float64 holds every integer up to 2**53
exactly, so the statistics (computed in float64) and the int64 columns of a comparison
agree. Beyond it, casts wrap or round: such a count is refused, never read as garbage.

Examples
--------
>>> count_pair(3, 10, owner="wilson_interval")
(array(3.), array(10.))
>>> count_pair(11, 10, owner="wilson_interval")
Traceback (most recent call last):
...
linkstar_funnel.errors.ParameterError: The 'successes' parameter of wilson_interval must be at most 'trials'. Got 11.0 > 10.0 instead.
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt

from ._validators import bad_parameter
from .errors import ParameterError, SchemaError

__all__ = ["MAX_COUNT", "count_column", "count_pair", "rate_array"]

FloatArray = npt.NDArray[np.float64]

#: The largest count read: every integer up to 2**53 is exact in float64.
MAX_COUNT = 2**53
_COUNTS = "non-negative whole numbers (counts) up to 2**53"


def _floats(values: npt.ArrayLike, owner: str, param: str, expected: str) -> FloatArray:
    """``values`` as a float64 array; anything that is not numbers (bools, text, NA) refused."""
    try:
        raw = np.asarray(values)
        if raw.dtype.kind not in "iufO" or raw.dtype.kind == "b":
            raise TypeError
        out = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise bad_parameter(owner, param, expected, values) from None
    if raw.dtype.kind == "O" and not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in raw.ravel()
    ):  # None, pd.NA, bools or text among numbers
        raise bad_parameter(owner, param, expected, values)
    return out


def _first(values: FloatArray, bad: npt.NDArray[np.bool_]) -> float:
    return float(values[bad].ravel()[0])


def count_array(values: npt.ArrayLike, *, owner: str, param: str) -> FloatArray:
    """Counts passed to a statistic, as float64; :class:`ParameterError` names ``param``."""
    x = _floats(values, owner, param, _COUNTS)
    bad = ~np.isfinite(x) | (x < 0) | (x > MAX_COUNT) | (x != np.round(x))
    raw = np.asarray(values)
    if raw.dtype.kind in "iu":  # compared as integers: 2**53 + 1 rounds to 2**53 as a float
        bad |= raw > MAX_COUNT
    if bad.any():
        raise bad_parameter(owner, param, _COUNTS, _first(x, bad))
    return x


def count_pair(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    *,
    owner: str,
    names: tuple[str, str] = ("successes", "trials"),
) -> tuple[FloatArray, FloatArray]:
    """``successes`` out of ``trials``, checked and broadcast: ``0 <= x <= n``, ``n >= 1``."""
    x = count_array(successes, owner=owner, param=names[0])
    n = count_array(trials, owner=owner, param=names[1])
    try:
        x, n = np.broadcast_arrays(x, n)
    except ValueError:
        msg = f"must have the shape of '{names[1]}' {np.shape(n)}"
        raise bad_parameter(owner, names[0], msg, np.shape(x)) from None
    if (n < 1).any():
        raise bad_parameter(owner, names[1], "positive counts (at least 1)", _first(n, n < 1))
    over = x > n
    if over.any():
        got = f"{_first(x, over)} > {_first(n, over)}"
        msg = f"The {names[0]!r} parameter of {owner} must be at most {names[1]!r}. Got {got} instead."
        raise ParameterError(msg)
    return x, n


def rate_array(
    values: npt.ArrayLike,
    *,
    owner: str,
    param: str = "reference",
    allow_nan: bool = False,
    what: str = "rates",
) -> FloatArray:
    """Rates in [0, 1] (NaN too if ``allow_nan``), as float64; :class:`ParameterError`
    names ``param``."""
    expected = f"{what} in [0, 1]" + (" or NaN" if allow_nan else "")
    p = _floats(values, owner, param, expected)
    bad = ~((p >= 0.0) & (p <= 1.0))
    if allow_nan:
        bad &= ~np.isnan(p)
    if bad.any():
        raise bad_parameter(owner, param, expected, _first(p, bad))
    return p


def count_column(values: FloatArray, *, column: str, frame_name: str) -> npt.NDArray[np.int64]:
    """A count column read by the schema layer (float64, NaN for missing) as int64.

    Raises :class:`SchemaError` naming the column for missing, negative, fractional or
    too large counts (the schema layer already refused text, bools and infinities).
    """
    where = f"Column {column!r} of the {frame_name} frame"
    missing = np.isnan(values)
    if missing.any():
        msg = f"{where} has {int(missing.sum())} missing value(s); counts are required."
        raise SchemaError(msg)
    bad = (values < 0) | (values > MAX_COUNT) | (values != np.round(values))
    if bad.any():
        msg = (
            f"{where} must hold {_COUNTS}. Got {_first(values, bad)!r} instead "
            f"({int(bad.sum())} row(s))."
        )
        raise SchemaError(msg)
    return values.astype(np.int64)
