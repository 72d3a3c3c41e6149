"""Rule metrics from order counts, computed as mlxtend's ``association_rules`` computes them.

For a rule A -> C over ``n`` orders, with ``n_a``, ``n_c`` and ``n_ac`` the orders holding
A, C and both: supports ``s = count / n``; confidence ``s_ac / s_a`` (the share of orders
with A that also hold C); lift ``confidence / s_c`` (how many times the usual chance of C);
leverage ``s_ac - s_a * s_c``; conviction ``(1 - s_c) / (1 - confidence)``, infinite when
the confidence is 1. The floating-point steps are mlxtend's, so a rule at a threshold is kept
or dropped by both alike.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from ..errors import DataQualityWarning
from ..stats import wilson_interval

__all__ = ["rule_metrics", "warn_infinite"]

FloatArray = npt.NDArray[np.float64]


def rule_metrics(
    n_a: npt.ArrayLike, n_c: npt.ArrayLike, n_ac: npt.ArrayLike, n: int, *, alpha: float
) -> dict[str, FloatArray]:
    """Supports, confidence (with its Wilson interval), lift, leverage and conviction."""
    a = np.asarray(n_a, dtype=np.float64)
    c = np.asarray(n_c, dtype=np.float64)
    ac = np.asarray(n_ac, dtype=np.float64)
    total = float(n)
    s_a, s_c, s_ac = a / total, c / total, ac / total
    confidence = s_ac * total / (s_a * total)
    lift = confidence / s_c
    leverage = s_ac * total / total - s_a * s_c
    conviction = np.full(confidence.shape, np.inf)
    below = confidence < 1.0
    conviction[below] = (1.0 - s_c[below]) / (1.0 - confidence[below])
    low, high = wilson_interval(ac.astype(np.int64), a.astype(np.int64), alpha=alpha)
    return {
        "antecedent_support": s_a,
        "consequent_support": s_c,
        "support": s_ac,
        "confidence": confidence,
        "confidence_low": low,
        "confidence_high": high,
        "lift": lift,
        "leverage": leverage,
        "conviction": conviction,
    }


def warn_infinite(conviction: npt.ArrayLike) -> None:
    """Say why some convictions are infinite (rules whose confidence is 1), if any are."""
    n = int(np.isinf(np.asarray(conviction, dtype=np.float64)).sum())
    if n:
        warnings.warn(
            f"{n} rule(s) have confidence 1 (every order with the antecedent holds the "
            "consequent): their conviction is infinite.",
            DataQualityWarning,
            stacklevel=3,
        )
