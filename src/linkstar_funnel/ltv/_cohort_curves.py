"""Age curves of every node of the segment hierarchy, for :class:`~._cohort.CohortLTV`.

A node's curve is its observed mean increments by age, pooled toward its parent's curve
(see :mod:`._pooling`); where the node has its own forecast (the root, and segments with
enough customers and ages), the forecast shape is blended in with credibility weight
``N / (N + κ)``; otherwise the node inherits its parent's shape at its own level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..engines import CellTable
from ._pooling import Hierarchy, shrink_level
from ._prophet import IncrementForecast

__all__ = ["ancestor_at", "customer_cv2", "pooled_curves", "ratio"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def pooled_curves(
    hier: Hierarchy,
    S: FloatArray,
    D: FloatArray,
    N: FloatArray,
    forecasts: dict[int, tuple[int, IncrementForecast]],
    k_total: int,
    kappa: float,
) -> tuple[FloatArray, FloatArray, dict[str, int]]:
    n_nodes, k_obs = S.shape
    curves = np.zeros((n_nodes, k_total))
    sds = np.zeros((n_nodes, k_total))
    methods: dict[str, int] = {}
    pad = k_total - k_obs
    S_full = np.pad(S, ((0, 0), (0, pad)))
    D_full = np.pad(D, ((0, 0), (0, pad)))
    for node in np.argsort(hier.depth, kind="stable"):
        own = forecasts.get(int(node))
        own_curve = own_sd = None
        if own is not None:
            last, fc = own
            with np.errstate(invalid="ignore", divide="ignore"):
                obs = np.where(
                    D_full[node, : last + 1] > 0,
                    S_full[node, : last + 1] / D_full[node, : last + 1],
                    0.0,
                )
            own_curve = np.r_[obs, fc.mean]
            own_sd = np.r_[np.zeros(last + 1), fc.log_sd]
            methods[fc.method] = methods.get(fc.method, 0) + 1
        parent = int(hier.parent[node])
        if parent < 0:
            assert own_curve is not None
            assert own_sd is not None
            curves[node], sds[node] = own_curve, own_sd
            continue
        observed = D_full[node] > 0
        expected = float((D_full[node] * curves[parent]).sum())
        rho = shrink_level(float(S_full[node].sum()), expected, float(N[node]), kappa)
        base = rho * curves[parent]
        base_sd = sds[parent]
        if own_curve is not None and own_sd is not None:
            w = N[node] / (N[node] + kappa)
            base = w * own_curve + (1 - w) * base
            base_sd = np.sqrt(w * own_sd**2 + (1 - w) * base_sd**2)
        else:
            methods["pooled"] = methods.get("pooled", 0) + 1
        curves[node] = np.where(
            observed, (S_full[node] + kappa * base) / (D_full[node] + kappa), base
        )
        sds[node] = base_sd
    return np.maximum(curves, 0.0), sds, methods


def ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def customer_cv2(cells: CellTable, expected_cell: FloatArray) -> float:
    """Dispersion of customers' observed value around the root curve (cell level → customer):
    the squared coefficient of variation of value / expected over customers, from the
    cells' sums of value and of squared value (so that engine-side aggregates suffice)."""
    ok = expected_cell > 0
    n = float(cells.n[ok].sum())
    if n < 10:
        return 4.0
    e = expected_cell[ok]
    mean = float((cells.value_sum[ok] / e).sum()) / n
    if mean <= 0:
        return 4.0
    second = float((cells.value_sq[ok] / e**2).sum()) / n
    return max(second - mean**2, 0.0) / mean**2


def ancestor_at(hier: Hierarchy, nodes: IntArray, depth: int) -> IntArray:
    out = nodes.copy()
    for _ in range(int(hier.depth.max())):
        deeper = hier.depth[out] > depth
        out = np.where(deeper, hier.parent[out], out)
    return out
