"""Mix versus rate: how much of a ratio's change comes from segment weights vs rates.

An overall rate is the weighted mean of segment rates, ``R = Σ_i w_i r_i`` with shares
``w_i`` summing to 1 (for CVR = orders / sessions: session shares and segment CVRs). The
symmetric Kitagawa (1955) / Das Gupta (1993) split of ``ΔR`` is exact, with no
interaction term::

    mix  = Σ_i (w_i^T - w_i^0) (r_i^0 + r_i^T) / 2
    rate = Σ_i (r_i^T - r_i^0) (w_i^0 + w_i^T) / 2

A segment with weight in one period only has no rate in the other: its whole change
``w^T r^T - w^0 r^0`` is counted as mix, and the segment is flagged.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import ColumnName, Columns, validate_params
from ..errors import DataQualityWarning, ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ..schema import RowAccounting
from ._format import fmt_points, fmt_share
from ._inputs import by_tuple, read_pair
from ._specs import FRAME_OR_MAPPING

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["MixRateResult", "mix_rate"]

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class MixRateResult(ResultMixin):
    """Mix and rate effects of a ratio's change across segments.

    Attributes
    ----------
    keys
        Segment key columns, one row per segment (union of both periods).
    weight_before, weight_after
        Segment shares of the weight (each sums to 1; 0 where the segment is absent).
    rate_before, rate_after
        Segment rates (NaN where the segment has no weight in that period; computing
        the result then warns with a :class:`~linkstar_funnel.DataQualityWarning`).
    mix_effects, rate_effects
        Per segment, its part of the mix and of the rate effect.
    one_period
        Segments present in one period only (their change is all mix).
    name
        What the rate is (``"cvr"``).
    """

    keys: pd.DataFrame
    weight_before: FloatArray
    weight_after: FloatArray
    rate_before: FloatArray
    rate_after: FloatArray
    mix_effects: FloatArray
    rate_effects: FloatArray
    one_period: npt.NDArray[np.bool_]
    provenance: Provenance
    name: str = "rate"

    @property
    def before(self) -> float:
        """The overall rate in the first period."""
        return float(np.nansum(self.weight_before * np.nan_to_num(self.rate_before)))

    @property
    def after(self) -> float:
        """The overall rate in the second period."""
        return float(np.nansum(self.weight_after * np.nan_to_num(self.rate_after)))

    @property
    def total(self) -> float:
        """The overall rate's change, equal to ``mix + rate``."""
        return self.after - self.before

    @property
    def mix(self) -> float:
        """The part of the change due to segment weights moving."""
        return float(self.mix_effects.sum())

    @property
    def rate(self) -> float:
        """The part of the change due to segment rates moving."""
        return float(self.rate_effects.sum())

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: weights, rates, ``mix``, ``rate``, ``total``, ``one_period``."""
        out = self.keys.reset_index(drop=True).copy()
        out["weight_before"] = self.weight_before
        out["weight_after"] = self.weight_after
        out["rate_before"] = self.rate_before
        out["rate_after"] = self.rate_after
        out["mix"] = self.mix_effects
        out["rate"] = self.rate_effects
        out["total"] = self.mix_effects + self.rate_effects
        out["one_period"] = self.one_period
        return out

    def summary(self) -> Summary:
        """The change of the overall rate and its mix and rate parts, in points."""
        change = (
            f"{fmt_share(self.before, decimals=2)} → {fmt_share(self.after, decimals=2)} "
            f"({fmt_points(self.total)})"
        )
        facts = (
            (self.name, change),
            ("mix effect", fmt_points(self.mix)),
            ("rate effect", fmt_points(self.rate)),
        )  # fmt: skip
        notes = []
        if self.one_period.any():
            names = [
                ", ".join(map(str, r)) for r in self.keys[self.one_period].itertuples(index=False)
            ]
            notes.append(f"present in one period only (counted as mix): {', '.join(names)}")
        frame = self.to_frame()
        table = frame[list(self.keys.columns)].astype(str)
        for col in ("weight_before", "weight_after", "rate_before", "rate_after"):
            table[col] = frame[col].map(lambda v: fmt_share(v, decimals=2))
        table["mix"] = frame["mix"].map(fmt_points)
        table["rate"] = frame["rate"].map(fmt_points)
        return Summary(
            f"Mix and rate effects on {self.name}",
            facts=facts,
            table=table,
            notes=tuple(notes) + tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Horizontal bars: each segment's mix and rate effect, in percentage points."""
        ax = get_axes(ax, figsize=(8.0, max(2.5, 0.55 * len(self.keys) + 1.5)))
        labels = (
            self.keys.astype(str).agg(" / ".join, axis=1).tolist() if self.keys.shape[1] else []
        )
        y = np.arange(len(labels))
        h = 0.38
        ax.barh(y - h / 2, 100 * self.mix_effects, h, color=PALETTE[0], label="mix", **kwargs)
        ax.barh(y + h / 2, 100 * self.rate_effects, h, color=PALETTE[1], label="rate", **kwargs)
        ax.set_yticks(
            y, [f"{lab} *" if f else lab for lab, f in zip(labels, self.one_period, strict=True)]
        )
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", linewidth=0.8)
        ax.set_xlabel("effect on the overall rate (percentage points)")
        ax.legend(frameon=False, loc="best")
        if self.one_period.any():
            ax.annotate(
                "* present in one period only: its whole change is mix",
                (0, 0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                fontsize=8, color="#555555", va="top",
            )  # fmt: skip
        title = (
            f"{self.name}: {fmt_points(self.total)} = mix {fmt_points(self.mix)} "
            f"+ rate {fmt_points(self.rate)}"
        )
        return style_axes(ax, title=title, grid_axis="x")


def _shares(w: FloatArray, present: npt.NDArray[np.bool_]) -> FloatArray:
    """Each present segment's share of the weight, scaled first so the sum cannot overflow."""
    kept = np.where(present, w, 0.0)
    top = kept.max(initial=0.0)
    if top <= 0:
        return kept
    scaled = kept / top
    return np.asarray(scaled / scaled.sum(), dtype=np.float64)


def _split(
    keys: pd.DataFrame,
    w0: FloatArray,
    w1: FloatArray,
    r0: FloatArray,
    r1: FloatArray,
    provenance: Provenance,
    name: str,
) -> MixRateResult:
    for label, w in (("before", w0), ("after", w1)):
        if (w < 0).any():
            msg = f"Weights must be ≥ 0; the {label!r} data has negative weights."
            raise ParameterError(msg)
        if not (w > 0).any():
            msg = f"The {label!r} weights sum to 0: there is no overall rate to explain."
            raise ParameterError(msg)
    p0 = (w0 > 0) & np.isfinite(r0)
    p1 = (w1 > 0) & np.isfinite(r1)
    s0, s1 = _shares(w0, p0), _shares(w1, p1)
    r0 = np.where(p0, r0, np.nan)
    r1 = np.where(p1, r1, np.nan)
    both = p0 & p1
    # Halves first: the sum of two rates near the float64 limit would overflow.
    mix = np.where(both, (s1 - s0) * (np.nan_to_num(r0) / 2 + np.nan_to_num(r1) / 2), 0.0)
    rate = np.where(both, (np.nan_to_num(r1) - np.nan_to_num(r0)) * (s0 + s1) / 2, 0.0)
    one = p0 ^ p1
    mix = np.where(one, s1 * np.nan_to_num(r1) - s0 * np.nan_to_num(r0), mix)
    if one.any():
        names = [", ".join(map(str, r)) for r in keys[one].itertuples(index=False)]
        shown = ", ".join(names[:5]) + (f" (+{len(names) - 5} more)" if len(names) > 5 else "")
        warnings.warn(
            f"mix_rate: {len(names):,} segment(s) have weight in one period only ({shown}): "
            "their rate is NaN in the other period and their whole change counts as mix.",
            DataQualityWarning,
            stacklevel=3,
        )
    return MixRateResult(keys, s0, s1, r0, r1, mix, rate, one, provenance, name)


def _frame(data: object, label: str) -> object:
    if not isinstance(data, Mapping):
        return data
    try:
        return pd.DataFrame(data)
    except (TypeError, ValueError) as exc:
        msg = (
            f"The {label!r} parameter of mix_rate must be a frame, or a mapping of columns "
            f"of equal length. Got a mapping pandas cannot read as a frame ({exc})."
        )
        raise ParameterError(msg) from exc


def _no_weight(values: Mapping[str, FloatArray]) -> npt.NDArray[np.bool_]:
    """A segment with weight 0 has no rate to weigh: its missing rate is no hole."""
    return np.asarray(values["weight"] == 0, dtype=bool)


def _mix_rate_frames(
    before: object,
    after: object,
    by: tuple[str, ...],
    columns: Mapping[str, str],
    name: str,
    spec: object,
    inputs: Mapping[str, RowAccounting] | None = None,
) -> MixRateResult:
    """The mix/rate split of two frames of weights and rates, built once."""
    pair = read_pair(
        ("weight", "rate"), before, after, by=by, columns=columns, missing_ok=_no_weight
    )
    r0 = np.where(pair.absent_before, np.nan, pair.before["rate"])
    r1 = np.where(pair.absent_after, np.nan, pair.after["rate"])
    provenance = Provenance(spec=spec, inputs=pair.accounting if inputs is None else inputs)
    return _split(pair.keys, pair.before["weight"], pair.after["weight"], r0, r1, provenance, name)


@renamed_params(segments="by")
@validate_params(
    before=FRAME_OR_MAPPING,
    after=FRAME_OR_MAPPING,
    by=Columns(),
    weight=ColumnName(),
    rate=ColumnName(),
    name=ColumnName(),
)
def mix_rate(
    before: object,
    after: object,
    *,
    by: str | Sequence[str],
    weight: str = "weight",
    rate: str = "rate",
    name: str = "rate",
) -> MixRateResult:
    """Split an overall rate's change into mix and rate effects (symmetric, exact).

    Parameters
    ----------
    before, after
        Frames (or column → values mappings) with one row per segment: the segment
        columns, a ``weight`` column (counts or shares; normalised per period) and a
        ``rate`` column.
    by
        The segment key column(s).
    weight, rate
        Column names of the weights and the rates.
    name
        What the rate is, for labels.

    Examples
    --------
    >>> import pandas as pd
    >>> before = pd.DataFrame({"device": ["mobile", "desktop"], "weight": [0.6, 0.4],
    ...                        "rate": [0.012, 0.030]})
    >>> after = pd.DataFrame({"device": ["mobile", "desktop"], "weight": [0.7, 0.3],
    ...                       "rate": [0.011, 0.031]})
    >>> r = mix_rate(before, after, by="device", name="cvr")
    >>> round(r.total * 100, 2), round(r.mix * 100, 2), round(r.rate * 100, 2)
    (-0.22, -0.19, -0.03)
    """
    seg = by_tuple(by, "mix_rate")
    if not seg:
        msg = "The 'by' parameter of mix_rate must name at least one column. Got none."
        raise ParameterError(msg)
    frames = [_frame(d, label) for d, label in ((before, "before"), (after, "after"))]
    columns = {"weight": weight, "rate": rate}
    return _mix_rate_frames(frames[0], frames[1], seg, columns, name, "mix_rate")


def tree_mix_rate(
    tree: KPITree,
    before: object,
    after: object,
    *,
    node: str,
    by: str | Sequence[str],
    columns: Mapping[str, str] | None = None,
) -> MixRateResult:
    """Mix/rate split of a ratio node: weights are its denominator, rates its values."""
    tree._check_name(node, owner="KPITree.mix_rate")
    ratio = tree.node(node)
    if ratio.kind != "ratio":
        msg = (
            f"The 'node' parameter of KPITree.mix_rate must name a ratio node (a / b). "
            f"Got {node!r}, a {ratio.kind} node, instead."
        )
        raise ParameterError(msg)
    seg = by_tuple(by, "KPITree.mix_rate")
    if not seg:
        msg = "The 'by' parameter of KPITree.mix_rate must name at least one column."
        raise ParameterError(msg)
    v0 = tree.evaluate(before, by=seg, columns=columns, zero_division="nan")
    v1 = tree.evaluate(after, by=seg, columns=columns, zero_division="nan")
    den = ratio.inputs[1]
    frames = [v.keys.assign(weight=v.arrays[den], rate=v.arrays[node]) for v in (v0, v1)]
    inputs = {"before": v0.provenance.inputs["frame"], "after": v1.provenance.inputs["frame"]}
    identity = {"weight": "weight", "rate": "rate"}
    return _mix_rate_frames(frames[0], frames[1], seg, identity, node, tree, inputs)
