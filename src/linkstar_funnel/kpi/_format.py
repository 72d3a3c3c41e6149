"""Number formatting for summaries and plot labels."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["METHOD_TITLES", "fmt_column", "fmt_number", "fmt_points", "fmt_share"]

#: How results name the built-in methods.
METHOD_TITLES = {
    "lmdi": "LMDI-I, additive",
    "shapley": "Shapley (nested, exact)",
    "sequential": "sequential substitution",
}


def fmt_number(value: float, *, signed: bool = False) -> str:
    """A readable number: ``99,110``, ``9,488.5``, ``53.00``, ``0.017``; NaN as ``""``.

    Examples
    --------
    >>> fmt_number(9488.54, signed=True), fmt_number(0.017), fmt_number(1_234_567.0)
    ('+9,488.5', '0.017', '1,234,567')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = float(value)
    sign = "+" if signed else ""
    a = abs(v)
    if a >= 100_000 or (a >= 100 and abs(v - round(v)) < 1e-9 * a):
        out = f"{v:{sign},.0f}"
    elif a >= 100:
        out = f"{v:{sign},.1f}"
    elif a >= 1:
        out = f"{v:{sign},.2f}"
    elif a == 0:
        out = "0"
    else:
        out = f"{v:{sign}.3g}"
    return out


def fmt_share(value: float, *, signed: bool = False, decimals: int = 1) -> str:
    """A fraction as a percentage: ``-0.0089`` → ``-0.9%``; NaN as ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    sign = "+" if signed else ""
    return f"{100 * float(value):{sign}.{decimals}f}%"


def fmt_points(value: float, *, signed: bool = True, decimals: int = 2) -> str:
    """A difference of rates in percentage points: ``-0.0022`` → ``-0.22 pp``."""
    sign = "+" if signed else ""
    return f"{100 * float(value):{sign}.{decimals}f} pp"


def fmt_column(values: Iterable[float], *, signed: bool = False) -> list[str]:
    """Numbers of one column with the same decimals, chosen from the largest one.

    Examples
    --------
    >>> fmt_column([9488.54, -16179.46, 5800.92], signed=True)
    ['+9,488.5', '-16,179.5', '+5,800.9']
    >>> fmt_column([210_550.2, -10_198.0], signed=True)
    ['+210,550', '-10,198']
    """
    items = [float(v) for v in values]
    finite = [abs(v) for v in items if not math.isnan(v)]
    top = max(finite, default=0.0)
    if top >= 100_000:
        spec = ",.0f"
    elif top >= 100:
        spec = ",.1f"
    elif top >= 1:
        spec = ",.2f"
    else:
        return [fmt_number(v, signed=signed) for v in items]
    sign = "+" if signed else ""
    return ["" if math.isnan(v) else f"{v:{sign}{spec}}" for v in items]
