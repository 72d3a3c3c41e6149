"""What every comparison shares: reading the frame, the per-metric block of statistics,
corrections, significance, the SRM check and assembling the result."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from .. import stats as _stats
from .._counts import _floats, count_array
from .._params import ColumnName
from .._validators import bad_parameter
from ..errors import DataQualityWarning, ParameterError, SchemaError
from ..results import Provenance
from ..schema import Column, RowAccounting, validate
from . import _inference as inf
from ._moments import Arm, cuped_pair, effect
from ._result import SRM_THRESHOLD, ExperimentResult
from ._spec import (
    ABSOLUTE,
    ALPHA,
    CONTROL,
    CORRECTION,
    METHOD,
    TUNING,
    WEIGHTS,
    Correction,
    ExperimentSpec,
    Method,
)

__all__ = [
    "ARM_FIELDS",
    "COMMON",
    "Arrays",
    "build_result",
    "check_counts",
    "control_first",
    "finish",
    "group_sums",
    "labels_array",
    "make_spec",
    "method_columns",
    "metric_block",
    "settings",
    "split_weights",
    "srm_p_value",
    "validated",
]

FloatArray = npt.NDArray[np.float64]
COMMON: dict[str, Any] = {
    "variant": ColumnName(),
    "control": CONTROL,
    "method": METHOD,
    "alpha": ALPHA,
    "absolute": ABSOLUTE,
    "correction": CORRECTION,
    "sequential_tuning": TUNING,
    "weights": WEIGHTS,
}


def srm_p_value(users: npt.ArrayLike, weights: npt.ArrayLike) -> float:
    """Chi-square goodness-of-fit p-value of the users per variant against the intended
    split (gbstats' ``check_srm``; 1 when there are no users).

    Examples
    --------
    >>> round(srm_p_value([5_000, 5_200], [1, 1]), 4)
    0.0477
    """
    owner = "srm_p_value"
    obs = count_array(users, owner=owner, param="users")
    w = _floats(weights, owner, "weights", "positive weights, one per variant")
    if obs.ndim != 1 or obs.size < 2:
        raise bad_parameter(owner, "users", "counts of at least two variants", users)
    if w.shape != obs.shape or not (np.isfinite(w).all() and (w > 0).all()):
        raise bad_parameter(owner, "weights", f"{obs.size} positive finite weights", weights)
    total = obs.sum()
    if total == 0:
        return 1.0
    keep = w > 0
    expected = w[keep] / w.sum() * total
    chi2 = float((((obs[keep] - expected) ** 2) / expected).sum())
    return float(sps.chi2.sf(chi2, len(obs) - 1))


def make_spec(
    metric: str, control: Hashable, kw: Mapping[str, Any], **extra: Any
) -> ExperimentSpec:
    return ExperimentSpec(metric=metric, control=control, **kw, **extra)


def control_first(labels: pd.Index, control: Hashable, param_owner: str) -> npt.NDArray[np.intp]:
    """Positions of the variants with the control first; errors name what is wrong."""
    found = list(labels)
    hit = [i for i, v in enumerate(found) if _same(v, control)]
    if not hit:
        msg = (
            f"The 'control' parameter of {param_owner} must be one of the variants "
            f"{found[:12]}. Got {control!r} instead."
        )
        raise ParameterError(msg)
    if len(found) < 2:
        msg = (
            f"{param_owner} needs at least two variants to compare; the data has only "
            f"{found!r}.\nHint: check the variant column."
        )
        raise SchemaError(msg)
    rest = [i for i in range(len(found)) if i != hit[0]]
    return np.array([hit[0], *rest], dtype=np.intp)


def labels_array(labels: Sequence[Hashable]) -> npt.NDArray[np.object_]:
    out = np.empty(len(labels), dtype=object)
    out[:] = list(labels)
    return out


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b) or str(a) == str(b)
    except (TypeError, ValueError):
        return False


def split_weights(spec: ExperimentSpec, variants: list[Hashable], owner: str) -> list[float]:
    if spec.weights is None:
        return [1.0] * len(variants)
    out = []
    for v in variants:
        match = [w for k, w in spec.weights.items() if _same(k, v)]
        if not match:
            expected = f"a weight for every variant {variants[:12]}"
            raise bad_parameter(owner, "weights", expected, dict(spec.weights))
        out.append(float(match[0]))
    return out


# --------------------------------------------------------------------------- the analysis


def metric_block(
    arms: tuple[Arm, Arm] | None,
    sums: Mapping[str, FloatArray],
    kind: str,
    spec: ExperimentSpec,
) -> dict[str, FloatArray]:
    """Comparison columns for one metric: row 0 the control, rows 1.. the variants."""
    n_rows = len(next(iter(sums.values())))
    rel = not spec.absolute
    if kind == "cuped":
        keys = ("n", "s", "ss", "x", "xx", "sx")
        ctrl = tuple(np.repeat(sums[k][:1], n_rows - 1) for k in keys)
        trt = tuple(sums[k][1:] for k in keys)
        a, b, _ = cuped_pair(ctrl, trt)
    else:
        assert arms is not None
        whole_a, whole_b = arms
        a = Arm(*(np.repeat(getattr(whole_a, f)[:1], n_rows - 1) for f in ARM_FIELDS))
        b = Arm(*(getattr(whole_b, f)[1:] for f in ARM_FIELDS))
    e = effect(a, b, relative=rel)
    ok, reasons = inf.defined(e, relative=rel)
    if spec.method == "bayesian":
        cols = inf.bayesian(e, spec.alpha)
    elif spec.method == "sequential":
        cols = inf.sequential(e, spec.alpha, spec.sequential_tuning)
    else:
        cols = inf.frequentist(e, spec.alpha)
    out: dict[str, FloatArray] = {"lift": np.where(ok, e.estimate, np.nan)}
    for name, values in cols.items():
        out[name] = np.where(ok, values, np.nan)
    if kind == "cuped":
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = 1.0 - e.variance / e.raw_variance
        out["variance_reduction"] = np.where(ok, reduction, np.nan)
    control_row = {
        "lift": 0.0,
        "ci_low": 0.0,
        "ci_high": 0.0,
        "p_value": 1.0,
        "chance_to_win": 0.5,
        "risk": 0.0,
        "risk_control": 0.0,
        "variance_reduction": 0.0,
    }
    full = {k: np.concatenate([[control_row[k]], v]) for k, v in out.items()}
    full["_reason"] = np.array(["", *reasons], dtype=object)
    return full


ARM_FIELDS = ("n", "mean", "raw_mean", "variance", "raw_variance")


def finish(
    table: dict[str, Any],
    spec: ExperimentSpec,
    srm: float,
    labels: Sequence[str],
    owner: str,
) -> dict[str, Any]:
    """Corrections, significance, SRM; warnings for what has no answer."""
    is_control = np.asarray(table["is_control"], dtype=bool)
    reasons = np.asarray(table.pop("_reason"), dtype=object)
    undefined = (reasons != "") & ~is_control
    if spec.method != "bayesian":
        p = np.asarray(table["p_value"], dtype=np.float64)
        adj = np.where(is_control, 1.0, np.nan)
        test = ~is_control & ~undefined
        if test.any():
            if spec.correction == "holm":
                adj[test] = _stats.holm_pvalues(p[test])
            elif spec.correction == "bh":
                adj[test] = _stats.bh_qvalues(p[test])
            else:
                adj[test] = p[test]
        table["p_value_adjusted"] = adj
        significant = test & (adj <= spec.alpha)
    else:
        low, high = table["ci_low"], table["ci_high"]
        significant = ~is_control & ~undefined & ((low > 0) | (high < 0))
    table["significant"] = significant
    table["srm_p_value"] = np.full(len(is_control), srm)
    if undefined.any():
        where = [f"{labels[int(i)]}: {reasons[i]}" for i in np.flatnonzero(undefined)]
        warnings.warn(
            f"{owner}: {int(undefined.sum())} comparison(s) have no answer, so their lift, "
            f"interval and test are NaN ({'; '.join(where[:6])}).",
            DataQualityWarning,
            stacklevel=4,
        )
    if srm < SRM_THRESHOLD:
        warnings.warn(
            f"{owner}: sample ratio mismatch: the users per variant are unlikely under the "
            f"intended split (chi-square p = {srm:.2g} < {SRM_THRESHOLD}). Assignment or "
            "tracking is broken for some users; the comparisons may be biased. Hint: pass "
            "weights= if the split is not equal on purpose.",
            DataQualityWarning,
            stacklevel=4,
        )
    return table


def method_columns(spec: ExperimentSpec, kind: str) -> list[str]:
    tail = (
        ["chance_to_win", "risk", "risk_control"]
        if spec.method == "bayesian"
        else [
            "p_value",
            "p_value_adjusted",
        ]
    )
    if kind == "cuped":
        tail.append("variance_reduction")
    return ["lift", "ci_low", "ci_high", *tail, "significant", "srm_p_value"]


Arrays = dict[str, npt.NDArray[Any]]


def validated(
    frame: object, columns: list[Column], frame_name: str
) -> tuple[Arrays, RowAccounting]:
    """The named columns over the rows kept (by role; variant codes, and their labels
    as ``_labels``), and the accounting."""
    table = validate(frame, columns, frame_name=frame_name)
    out: Arrays = {c.role: table.numbers[c.role] for c in columns if c.kind == "number"}
    for c in columns:
        if c.kind == "category" and c.role != "variant":
            out[c.role] = np.asarray(table.labels[c.role], dtype=object)[table.codes[c.role]]
    codes, labels = table.codes["variant"], table.labels["variant"]
    out["variant"] = codes
    out["_labels"] = np.asarray(labels, dtype=object)[codes]
    return out, table.accounting


def group_sums(
    data: Arrays, sums: Mapping[str, npt.NDArray[np.float64]]
) -> tuple[list[Hashable], dict[str, FloatArray]]:
    """Per variant (first-appearance order of codes): the sums of each array."""
    codes = data["variant"]
    uniq, first = np.unique(codes, return_index=True)
    order = uniq[np.argsort(first)]
    labels = data["_labels"][np.sort(first)]
    out = {}
    for name, values in sums.items():
        totals = np.bincount(codes, weights=values, minlength=int(codes.max()) + 1)
        out[name] = totals[order]
    return list(labels), out


def settings(
    method: Method,
    alpha: float,
    absolute: bool,
    correction: Correction | None,
    sequential_tuning: float,
    weights: Mapping[Hashable, float] | None,
) -> dict[str, Any]:
    return {
        "method": method,
        "alpha": alpha,
        "absolute": absolute,
        "correction": correction,
        "sequential_tuning": float(sequential_tuning),
        "weights": weights,
    }


def check_counts(
    labels: Sequence[Hashable], n: FloatArray, x: FloatArray, users: str, conversions: str
) -> None:
    over = x > n
    if over.any():
        i = int(np.flatnonzero(over)[0])
        msg = (
            f"Column {conversions!r} of the counts frame must be at most {users!r} (a unit "
            f"converts once). Got {int(x[i])} conversions of {int(n[i])} users for variant "
            f"{labels[i]!r}.\nHint: count converting users, not conversion events."
        )
        raise SchemaError(msg)


def build_result(
    table: dict[str, Any],
    block: Mapping[str, Any],
    spec: ExperimentSpec,
    srm: float,
    labels: Sequence[str],
    owner: str,
    kind: str,
    inputs: Mapping[str, RowAccounting],
    notes: Sequence[str] = (),
) -> ExperimentResult:
    n_rows = len(table["variant"])
    if "is_control" not in table:
        table["is_control"] = np.arange(n_rows) == 0
    table.update(block)
    table = finish(table, spec, srm, labels, owner)
    tail = method_columns(spec, kind)
    head = [c for c in table if c not in (*tail, "is_control")]
    return ExperimentResult(
        table=pd.DataFrame({c: table[c] for c in [*head, *tail, "is_control"]}),
        spec=spec,
        kind=kind,
        provenance=Provenance(spec, dict(inputs), notes=tuple(notes)),
    )
