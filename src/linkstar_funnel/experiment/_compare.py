"""``compare_rates``, ``compare_means`` and ``compare_funnel``: variants against a control."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats as sps

from .. import stats as _stats
from .._counts import _floats, count_array, count_column
from .._params import ColumnName, Options, validate_params
from .._validators import bad_parameter
from ..errors import DataQualityWarning, ParameterError, SchemaError
from ..results import Provenance
from ..schema import MAX_SQUARABLE, Column, RowAccounting, validate
from . import _inference as inf
from ._moments import Arm, cuped_pair, effect, proportion_arm, ratio_arm, sample_mean_arm
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

__all__ = ["compare_funnel", "compare_means", "compare_rates", "srm_p_value"]

FloatArray = npt.NDArray[np.float64]
_COMMON: dict[str, Any] = {
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


def _spec(metric: str, control: Hashable, kw: Mapping[str, Any], **extra: Any) -> ExperimentSpec:
    return ExperimentSpec(metric=metric, control=control, **kw, **extra)


def _order(labels: pd.Index, control: Hashable, param_owner: str) -> npt.NDArray[np.intp]:
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


def _labels_array(labels: Sequence[Hashable]) -> npt.NDArray[np.object_]:
    out = np.empty(len(labels), dtype=object)
    out[:] = list(labels)
    return out


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b) or str(a) == str(b)
    except (TypeError, ValueError):
        return False


def _weights(spec: ExperimentSpec, variants: list[Hashable], owner: str) -> list[float]:
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


def _block(
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
        a = Arm(*(np.repeat(getattr(whole_a, f)[:1], n_rows - 1) for f in _ARM_FIELDS))
        b = Arm(*(getattr(whole_b, f)[1:] for f in _ARM_FIELDS))
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


_ARM_FIELDS = ("n", "mean", "raw_mean", "variance", "raw_variance")


def _finish(
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


def _method_columns(spec: ExperimentSpec, kind: str) -> list[str]:
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


def _validated(
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


def _group(
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


# --------------------------------------------------------------------------- rates


@validate_params(users=ColumnName(), conversions=ColumnName(), **_COMMON)
def compare_rates(
    counts: object,
    *,
    control: Hashable,
    variant: str = "variant",
    users: str = "users",
    conversions: str = "conversions",
    method: Method = "frequentist",
    alpha: float = 0.05,
    absolute: bool = False,
    correction: Correction | None = "holm",
    sequential_tuning: float = 5000.0,
    weights: Mapping[Hashable, float] | None = None,
) -> ExperimentResult:
    """Compare each variant's conversion rate with the control's.

    Parameters
    ----------
    counts
        One row per variant (rows of the same variant, e.g. per day, are added up):
        ``variant``, ``users`` (units assigned) and ``conversions`` (units that
        converted). Never modified.
    control
        The control's label in the variant column.
    variant, users, conversions
        Column names.
    method
        ``"frequentist"`` (two-sided Welch t-test on the delta-method variance),
        ``"bayesian"`` (posterior under gbstats' flat prior: chance to beat control,
        credible interval, risk) or ``"sequential"`` (always-valid intervals and p-values:
        safe to look at every day).
    alpha
        One minus the interval's level; each test's false-positive rate.
    absolute
        Differences of rates instead of relative lifts.
    correction
        ``"holm"`` (default), ``"bh"`` or ``None``: how p-values are adjusted across the
        variants; ``significant`` uses the adjusted p-value.
    sequential_tuning
        Tuning parameter of the sequential test (gbstats' default 5,000).
    weights
        Intended traffic per variant, e.g. ``{"control": 1, "B": 1}`` (equal by default),
        for the sample-ratio-mismatch check.

    Returns
    -------
    ExperimentResult
        ``to_frame()``: ``variant, users, conversions, rate, lift, ci_low, ci_high``, then
        ``p_value, p_value_adjusted`` (``chance_to_win, risk, risk_control`` for the
        Bayesian method), ``significant, srm_p_value, is_control``.

    Warns
    -----
    DataQualityWarning
        On a sample ratio mismatch (SRM p-value below 0.001), and for comparisons with no
        answer (a control without conversions has no relative lift: NaN, and said why).

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"variant": ["control", "B"], "users": [10_000, 10_000],
    ...                        "conversions": [300, 360]})
    >>> res = compare_rates(counts, control="control")
    >>> res.to_frame()[["variant", "rate", "lift", "ci_low", "ci_high", "p_value"]].round(4)
       variant   rate  lift  ci_low  ci_high  p_value
    0  control  0.030   0.0  0.0000   0.0000   1.0000
    1        B  0.036   0.2  0.0192   0.3808   0.0302
    >>> res.lines()
    ['B raises conversions by 20.0% (95% CI 1.9% to 38.1%).']
    """
    owner = "compare_rates"
    kw = _kw(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = _spec(conversions, control, kw)
    cols = [
        Column("variant", variant, "category"),
        Column("users", users, "number"),
        Column("conversions", conversions, "number"),
    ]
    data, accounting = _validated(counts, cols, "counts")
    n = count_column(data["users"], column=users, frame_name="counts")
    x = count_column(data["conversions"], column=conversions, frame_name="counts")
    labels, sums = _group(data, {"n": n.astype(np.float64), "x": x.astype(np.float64)})
    _check_counts(labels, sums["n"], sums["x"], users, conversions)
    order = _order(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    sums = {k: v[order] for k, v in sums.items()}
    arm = proportion_arm(sums["n"], sums["x"])
    block = _block((arm, arm), sums, "rates", spec)
    table = {
        "variant": _labels_array(labels),
        "users": sums["n"].astype(np.int64),
        "conversions": sums["x"].astype(np.int64),
        "rate": arm.mean,
    }
    srm = srm_p_value(sums["n"].tolist(), _weights(spec, labels, owner))
    return _result(table, block, spec, srm, [str(v) for v in labels], owner, "rates",
                   {"counts": accounting})  # fmt: skip


def _kw(
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


def _check_counts(
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


def _result(
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
    table = _finish(table, spec, srm, labels, owner)
    tail = _method_columns(spec, kind)
    head = [c for c in table if c not in (*tail, "is_control")]
    return ExperimentResult(
        table=pd.DataFrame({c: table[c] for c in [*head, *tail, "is_control"]}),
        spec=spec,
        kind=kind,
        provenance=Provenance(spec, dict(inputs), notes=tuple(notes)),
    )


# --------------------------------------------------------------------------- means


@validate_params(
    value=ColumnName(),
    covariate=[None, ColumnName()],
    denominator=[None, ColumnName()],
    **_COMMON,
)
def compare_means(
    per_user: object,
    *,
    control: Hashable,
    variant: str = "variant",
    value: str = "value",
    covariate: str | None = None,
    denominator: str | None = None,
    method: Method = "frequentist",
    alpha: float = 0.05,
    absolute: bool = False,
    correction: Correction | None = "holm",
    sequential_tuning: float = 5000.0,
    weights: Mapping[Hashable, float] | None = None,
) -> ExperimentResult:
    """Compare the mean of a per-user value (revenue, orders...) between variants.

    Parameters
    ----------
    per_user
        One row per unit (user): its ``variant`` and ``value`` (and ``covariate``,
        ``denominator``). Rows with a missing variant or number are dropped and counted.
        Never modified.
    control
        The control's label.
    variant, value
        Column names.
    covariate
        A pre-experiment column of the same metric (revenue in the weeks before): CUPED
        regresses it out, pooled over the two arms compared, which narrows the interval
        without biasing the lift. ``variance_reduction`` reports the share of the lift's
        variance removed.
    denominator
        A ratio metric ``sum(value) / sum(denominator)`` (revenue per order, AOV), with
        the delta-method variance over users. Not combined with ``covariate``.
    method, alpha, absolute, correction, sequential_tuning, weights
        As in :func:`compare_rates`.

    Returns
    -------
    ExperimentResult
        ``to_frame()``: ``variant, users, total, mean`` (``denominator_total`` for a ratio),
        ``lift, ci_low, ci_high``, the method's columns (``variance_reduction`` with a
        covariate), ``significant, srm_p_value, is_control``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> before = rng.gamma(2.0, 10.0, 4_000)
    >>> per_user = pd.DataFrame({"variant": np.repeat(["control", "B"], 2_000),
    ...                          "revenue_before": before})
    >>> lift = np.repeat([1.0, 1.05], 2_000)
    >>> per_user["revenue"] = (0.8 * before + rng.gamma(2.0, 5.0, 4_000)) * lift
    >>> plain = compare_means(per_user, value="revenue", control="control")
    >>> cuped = compare_means(per_user, value="revenue", control="control",
    ...                       covariate="revenue_before")
    >>> cols = ["variant", "lift", "ci_low", "ci_high", "variance_reduction"]
    >>> cuped.to_frame()[cols].round(3)
       variant   lift  ci_low  ci_high  variance_reduction
    0  control  0.000   0.000    0.000               0.000
    1        B  0.059   0.042    0.077               0.732
    >>> plain.to_frame()[["variant", "lift", "ci_low", "ci_high"]].round(3)
       variant   lift  ci_low  ci_high
    0  control  0.000   0.000    0.000
    1        B  0.068   0.034    0.102
    """
    owner = "compare_means"
    if covariate is not None and denominator is not None:
        msg = (
            "compare_means takes a covariate (CUPED) or a denominator (ratio metric), not "
            "both: CUPED for ratio metrics is not implemented.\nHint: drop one of them."
        )
        raise ParameterError(msg)
    kw = _kw(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = _spec(value, control, kw, covariate=covariate, denominator=denominator)
    cols = [Column("variant", variant, "category"), Column("value", value, "number",
                                                          max_abs=MAX_SQUARABLE)]  # fmt: skip
    extra = covariate if covariate is not None else denominator
    if extra is not None:
        cols.append(Column("extra", extra, "number", max_abs=MAX_SQUARABLE))
    data, accounting = _validated(per_user, cols, "per_user")
    y = data["value"]
    ones = np.ones(len(y))
    parts = {"n": ones, "s": y, "ss": y * y}
    if extra is not None:
        z = data["extra"]
        parts |= {"x": z, "xx": z * z, "sx": y * z}
    with np.errstate(over="ignore", invalid="ignore"):
        labels, sums = _group(data, parts)
    order = _order(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    sums = {k: v[order] for k, v in sums.items()}
    table: dict[str, Any] = {"variant": _labels_array(labels), "users": sums["n"].astype(np.int64)}
    table["total"] = sums["s"]
    if denominator is not None:
        arm = ratio_arm(sums["n"], sums["s"], sums["ss"], sums["x"], sums["xx"], sums["sx"])
        table["denominator_total"] = sums["x"]
        kind, arms = "ratio", (arm, arm)
    elif covariate is not None:
        arm = sample_mean_arm(sums["n"], sums["s"], sums["ss"])
        kind, arms = "cuped", None
    else:
        arm = sample_mean_arm(sums["n"], sums["s"], sums["ss"])
        kind, arms = "means", (arm, arm)
    table["mean"] = arm.mean
    _warn_empty_ratio(table, denominator, labels)
    block = _block(arms, sums, kind, spec)
    srm = srm_p_value(sums["n"].tolist(), _weights(spec, labels, owner))
    return _result(table, block, spec, srm, [str(v) for v in labels], owner, kind,
                   {"per_user": accounting})  # fmt: skip


def _warn_empty_ratio(table: dict[str, Any], denominator: str | None, labels: list[Any]) -> None:
    if denominator is None:
        return
    empty = table["denominator_total"] == 0
    if empty.any():
        which = [labels[i] for i in np.flatnonzero(empty)]
        warnings.warn(
            f"compare_means: the denominator {denominator!r} sums to 0 in variant(s) "
            f"{which}; their ratio is reported as 0 and they have no comparison.",
            DataQualityWarning,
            stacklevel=4,
        )


# --------------------------------------------------------------------------- funnels

_RATE = Options("conversion_from_start", "conversion_from_previous")


@validate_params(rate=_RATE, **_COMMON)
def compare_funnel(
    counts: object,
    *,
    control: Hashable,
    variant: str = "variant",
    rate: str = "conversion_from_start",
    method: Method = "frequentist",
    alpha: float = 0.05,
    absolute: bool = False,
    correction: Correction | None = "holm",
    sequential_tuning: float = 5000.0,
    weights: Mapping[Hashable, float] | None = None,
) -> ExperimentResult:
    """Compare every funnel step's conversion between variants and the control.

    Usually called as ``Funnel(stages).compute(events, by="variant").experiment(...)``.

    Parameters
    ----------
    counts
        A funnel's tidy counts (``FunnelResult.to_frame()``): ``variant``, ``stage``,
        ``step`` (1, 2, ...) and ``users`` reaching it. Never modified.
    control
        The control's label.
    variant
        The variant column.
    rate
        ``"conversion_from_start"`` (default: users reaching the step out of users
        entering the funnel, the unbiased comparison when the variant can change who gets
        that far) or ``"conversion_from_previous"`` (out of users reaching the previous
        step).
    method, alpha, absolute, correction, sequential_tuning, weights
        As in :func:`compare_rates`; the correction runs over every step and variant.

    Returns
    -------
    ExperimentResult
        ``to_frame()``: ``stage, step, variant, users`` (the rate's base),
        ``conversions`` (users reaching the step), ``rate, lift, ...`` as in
        :func:`compare_rates`, one row per step 2.. and variant. The SRM check uses the
        users entering the funnel.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({
    ...     "variant": ["control"] * 3 + ["B"] * 3, "stage": ["visit", "cart", "paid"] * 2,
    ...     "step": [1, 2, 3] * 2, "users": [8_000, 800, 200, 8_000, 900, 215]})
    >>> res = compare_funnel(counts, control="control")
    >>> res.to_frame()[["stage", "variant", "rate", "lift", "significant"]].round(4)
      stage  variant    rate   lift  significant
    0  cart  control  0.1000  0.000        False
    1  cart        B  0.1125  0.125         True
    2  paid  control  0.0250  0.000        False
    3  paid        B  0.0269  0.075        False
    >>> res.lines()
    ['B raises cart by 12.5% (95% CI 2.4% to 22.6%); paid not yet conclusive.']
    """
    owner = "compare_funnel"
    kw = _kw(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = _spec("funnel", control, kw)
    cols = [
        Column("variant", variant, "category"),
        Column("stage", "stage", "category"),
        Column("step", "step", "number"),
        Column("users", "users", "number"),
    ]
    data, accounting = _validated(counts, cols, "counts")
    stage_names = data["stage"]
    steps = count_column(data["step"], column="step", frame_name="counts")
    users = count_column(data["users"], column="users", frame_name="counts")
    labels, _ = _group(data, {"n": np.ones(len(data["variant"]))})
    k_n = int(steps.max())
    reach = _reach_matrix(data["variant"], steps, users, labels, k_n)
    names = _stage_names(stage_names, steps, k_n)
    order = _order(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    reach = reach[order]
    if k_n < 2:
        msg = "compare_funnel needs at least two steps: step 1 is the base of every rate."
        raise SchemaError(msg)
    parts, blocks, row_labels = [], [], []
    for k in range(1, k_n):
        base = reach[:, 0] if rate == "conversion_from_start" else reach[:, k - 1]
        conv = reach[:, k]
        _check_counts(labels, base, conv, "users", names[k])
        arm = proportion_arm(base, conv)
        blocks.append(_block((arm, arm), {"n": base, "x": conv}, "rates", spec))
        g_n = len(labels)
        parts.append(
            {
                "stage": _labels_array([names[k]] * g_n),
                "step": np.full(g_n, k + 1, dtype=np.int64),
                "variant": _labels_array(labels),
                "users": base.astype(np.int64),
                "conversions": conv.astype(np.int64),
                "rate": arm.mean,
                "is_control": np.arange(g_n) == 0,
            }
        )
        row_labels += [f"{v} at {names[k]}" for v in labels]
    table = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    block = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    srm = srm_p_value(reach[:, 0].tolist(), _weights(spec, labels, owner))
    notes = [f"rates are {rate.replace('_', ' ')}"]
    return _result(table, block, spec, srm, row_labels, owner, "funnel", {"counts": accounting},
                   notes)  # fmt: skip


def _reach_matrix(
    codes: npt.NDArray[np.int64],
    steps: npt.NDArray[np.int64],
    users: npt.NDArray[np.int64],
    labels: list[Hashable],
    k_n: int,
) -> FloatArray:
    """(variants x steps) users, variants in first-appearance order; every cell once."""
    uniq, first = np.unique(codes, return_index=True)
    rank = np.empty(int(uniq.max()) + 1, dtype=np.int64)
    rank[uniq[np.argsort(first)]] = np.arange(len(uniq))
    if (steps < 1).any():
        msg = "Column 'step' of the counts frame must number steps from 1."
        raise SchemaError(msg)
    cell = rank[codes] * k_n + (steps - 1)
    seen = np.bincount(cell, minlength=len(labels) * k_n)
    if (seen != 1).any():
        i = int(np.flatnonzero(seen != 1)[0])
        what = "no row" if seen[i] == 0 else f"{int(seen[i])} rows"
        msg = (
            f"The counts frame must have one row per variant and step; variant "
            f"{labels[i // k_n]!r} has {what} for step {i % k_n + 1}.\nHint: pass a "
            "FunnelResult's to_frame() computed with by=<variant column>."
        )
        raise SchemaError(msg)
    out = np.zeros(len(labels) * k_n)
    out[cell] = users
    return out.reshape(len(labels), k_n)


def _stage_names(names: npt.NDArray[Any], steps: npt.NDArray[np.int64], k_n: int) -> list[str]:
    out = [""] * k_n
    for name, s in zip(names, steps, strict=True):
        out[int(s) - 1] = str(name)
    return out
