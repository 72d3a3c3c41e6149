"""Reading and checking the arrays a :class:`~linkstar_funnel.attribution.Journeys` holds.

Each field has a named converter that refuses what is not a one-dimensional array of the
right kind (by the field's name, as a :class:`ParameterError`); :func:`check_arrays` then
checks that the arrays agree with each other (a :class:`SchemaError`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._validators import bad_parameter
from ..errors import SchemaError
from ..schema import RowAccounting

if TYPE_CHECKING:
    from ._journeys import Journeys

__all__ = [
    "ages",
    "channels",
    "check_arrays",
    "check_total",
    "conversions",
    "inputs",
    "notes",
    "nulls",
    "offsets",
    "touches",
    "value",
    "weighted_bincount",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_OWNER = "Journeys"


def _array(value: object, dtype: type[np.generic], name: str, what: str) -> npt.NDArray[Any]:
    try:
        raw = np.asarray(value)
        arr = np.array(raw, dtype=dtype) if raw.dtype.kind in "iufb" else None
        if arr is not None and dtype is np.int64 and raw.dtype.kind == "f" and (arr != raw).any():
            arr = None  # 0.5 is no channel code
    except (TypeError, ValueError, OverflowError):
        arr = None
    if arr is None or arr.ndim != 1:
        raise bad_parameter(_OWNER, name, f"a one-dimensional array of {what}", value)
    arr.flags.writeable = False
    return arr


def _strings(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise bad_parameter(_OWNER, name, "a list of strings", value)
    out = tuple(value)
    if not all(isinstance(v, str) for v in out):
        raise bad_parameter(_OWNER, name, "a list of strings", value)
    return out


def weighted_bincount(codes: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """``np.bincount`` with weights, typed as float64 and of length ``size``."""
    return np.asarray(np.bincount(codes, weights=weights, minlength=size), dtype=np.float64)


def check_total(values: FloatArray, where: str) -> None:
    """Refuse non-negative values whose sum is beyond float64 (no total could hold it).

    ``where`` names the values in the user's words (``"Column 'revenue' of the paths
    frame"``). Credit is a share of the total, so a finite total keeps every sum finite.
    """
    with np.errstate(over="ignore"):
        total = values.sum()
    if not np.isfinite(total):
        msg = (
            f"{where} sums to more than the largest float64 number (about 1.8e308): no "
            "total or credit could be represented.\nHint: rescale it, e.g. to thousands."
        )
        raise SchemaError(msg)


# One named converter per field of Journeys (attrs converters do not know their field).
def channels(value: object) -> tuple[str, ...]:
    return _strings(value, "channels")


def notes(value: object) -> tuple[str, ...]:
    return _strings(value, "notes")


def offsets(value: object) -> IntArray:
    return _array(value, np.int64, "offsets", "integers")


def touches(value: object) -> IntArray:
    return _array(value, np.int64, "touches", "integers")


def conversions(value: object) -> FloatArray:
    return _array(value, np.float64, "conversions", "numbers")


def value(value: object) -> FloatArray:
    return _array(value, np.float64, "value", "numbers")


def nulls(value: object) -> FloatArray:
    return _array(value, np.float64, "nulls", "numbers")


def ages(value: object) -> FloatArray | None:
    return None if value is None else _array(value, np.float64, "ages", "numbers")


def inputs(value: object) -> dict[str, RowAccounting]:
    if not isinstance(value, Mapping) or not all(
        isinstance(v, RowAccounting) for v in value.values()
    ):
        raise bad_parameter(_OWNER, "inputs", "a mapping of frame names to RowAccounting", value)
    return dict(value)


def check_arrays(j: Journeys) -> None:
    problem = _array_problem(j)
    if problem is not None:
        msg = f"Journeys: {problem[0]}. Got {problem[1]} instead."
        raise SchemaError(msg)


def _array_problem(j: Journeys) -> tuple[str, object] | None:
    n = len(j.offsets) - 1
    if n < 0 or j.offsets[0] != 0 or j.offsets[-1] != len(j.touches):
        return "'offsets' must start at 0 and end at len(touches)", j.offsets[:3]
    if n and (np.diff(j.offsets) < 1).any():
        return "every journey must have at least one touch", "an empty journey"
    for name in ("conversions", "value", "nulls"):
        arr = getattr(j, name)
        if len(arr) != n:
            return f"{name!r} must have one value per journey ({n})", len(arr)
        bad = ~(np.isfinite(arr) & (arr >= 0))
        if bad.any():
            return f"{name!r} must be finite and >= 0", arr[bad][:3]
        with np.errstate(over="ignore"):
            if not np.isfinite(arr.sum()):
                return f"{name!r} must sum to a finite number (at most about 1.8e308)", "inf"
    if len(j.touches) and (j.touches.min() < 0 or j.touches.max() >= len(j.channels)):
        return "'touches' must be codes into 'channels'", (j.touches.min(), j.touches.max())
    if len(set(j.channels)) != len(j.channels):
        return "channel names must be unique", j.channels
    bad_names = [c for c in j.channels if not isinstance(c, str) or j.sep in c or not c.strip()]
    if bad_names:
        return (
            f"channel names must be non-empty strings without the separator {j.sep!r}",
            bad_names[:3],
        )
    if j.ages is not None and len(j.ages) != len(j.touches):
        return "'ages' must have one value per touch", len(j.ages)
    return None
