"""Partial pooling of age curves along a segment hierarchy (creative → campaign → channel).

Each node of the hierarchy has an age curve: mean value per acquired customer by age
(in steps since the acquisition step). A node's curve is its own observed mean shrunk
toward ``rho * parent curve``, where ``rho`` is the node's overall level relative to its parent,
itself shrunk toward 1 with credibility weight ``N / (N + κ)`` (``N`` customers, ``κ`` the
pooling strength, in customers). With ``κ = CV² / τ²`` — per-customer value dispersion
over between-segment dispersion of ``rho`` — this is the Bühlmann credibility (empirical
Bayes) estimate, and the level's posterior variance is ``CV² / (N + κ)``: a creative with
40 customers gets its parent's shape, a level between its own and its parent's, and an
interval as wide as the segments' real spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["Hierarchy", "auto_kappa", "group_sum", "shrink_level"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CV2_RANGE = (0.25, 25.0)


@attrs.frozen(eq=False)
class Hierarchy:
    """Nodes of a segment tree: node 0 is the root; ``parent[0] == -1``.

    ``leaf_node[g]`` is the node of leaf segment ``g``; ``depth`` is 0 for the root.
    ``path_labels[node]`` holds the segment values along the path (empty for the root).
    """

    parent: IntArray
    depth: IntArray
    leaf_node: IntArray
    path_labels: tuple[tuple[str, ...], ...]

    @property
    def n_nodes(self) -> int:
        """Number of nodes, root included."""
        return len(self.parent)

    def ancestors(self, node: int) -> list[int]:
        """The node and its ancestors, root last."""
        out = [node]
        while self.parent[out[-1]] >= 0:
            out.append(int(self.parent[out[-1]]))
        return out

    @classmethod
    def from_leaf_paths(cls, paths: Sequence[tuple[str, ...]]) -> Hierarchy:
        """Build the tree whose leaves are ``paths`` (tuples of segment values, root first)."""
        index: dict[tuple[str, ...], int] = {(): 0}
        parent = [-1]
        depth = [0]
        labels: list[tuple[str, ...]] = [()]
        for path in paths:
            for d in range(1, len(path) + 1):
                key = path[:d]
                if key not in index:
                    index[key] = len(parent)
                    parent.append(index[key[:-1]])
                    depth.append(d)
                    labels.append(key)
        leaf = np.asarray([index[p] for p in paths], dtype=np.int64)
        return cls(np.asarray(parent, np.int64), np.asarray(depth, np.int64), leaf, tuple(labels))


def group_sum(groups: IntArray, n_groups: int, values: FloatArray) -> FloatArray:
    """Sum rows of ``values`` (1-D or 2-D) by group code, as a sparse product."""
    ind = sparse.csr_matrix(
        (np.ones(len(groups)), (groups, np.arange(len(groups)))), shape=(n_groups, len(groups))
    )
    out = ind @ values
    return np.asarray(out, dtype=np.float64)


def shrink_level(observed: float, expected: float, customers: float, kappa: float) -> float:
    """Credibility-weighted level ``w·(observed/expected) + (1 - w)``, ``w = N/(N + κ)``."""
    if expected <= 0 or customers <= 0:
        return 1.0
    w = customers / (customers + kappa)
    return w * (observed / expected) + (1.0 - w)


def auto_kappa(ratios: FloatArray, customers: FloatArray, cv2: float) -> float:
    """Pooling strength ``κ = CV² / τ²`` from leaf levels ``ratios`` (method of moments).

    ``τ²`` is the between-segment variance of the levels left after removing their sampling
    variance ``CV²/N``. With fewer than three segments, or no excess spread, the segments
    are taken to differ by about 10% (``τ = 0.1``).
    """
    ok = np.isfinite(ratios) & (customers > 0)
    if ok.sum() < 3:
        return cv2 / 0.01
    r, n = ratios[ok], customers[ok]
    mean = float(np.average(r, weights=n))
    spread = float(np.average((r - mean) ** 2, weights=n))
    noise = float(np.average(cv2 / n, weights=n))
    tau2 = max(spread - noise, 0.01 * mean**2 if mean > 0 else 0.01, 1e-4)
    return float(cv2 / tau2)


def clip_cv2(value: float) -> float:
    """Keep the dispersion estimate in a sane range (heavy tails, tiny samples)."""
    if not np.isfinite(value):
        return CV2_RANGE[1]
    return float(np.clip(value, *CV2_RANGE))
