"""``compare_rates`` and ``compare_means``: rates and per-user values against a control."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._counts import count_column
from .._params import ColumnName, validate_params
from ..errors import DataQualityWarning, ParameterError
from ..schema import MAX_SQUARABLE, Column
from ._analysis import (
    COMMON,
    build_result,
    check_counts,
    control_first,
    group_sums,
    labels_array,
    make_spec,
    metric_block,
    settings,
    split_weights,
    srm_p_value,
    validated,
)
from ._moments import proportion_arm, ratio_arm, sample_mean_arm
from ._result import ExperimentResult
from ._spec import (
    Correction,
    Method,
)

__all__ = ["compare_means", "compare_rates"]

# --------------------------------------------------------------------------- rates


@validate_params(users=ColumnName(), conversions=ColumnName(), **COMMON)
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
    kw = settings(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = make_spec(conversions, control, kw)
    cols = [
        Column("variant", variant, "category"),
        Column("users", users, "number"),
        Column("conversions", conversions, "number"),
    ]
    data, accounting = validated(counts, cols, "counts")
    n = count_column(data["users"], column=users, frame_name="counts")
    x = count_column(data["conversions"], column=conversions, frame_name="counts")
    labels, sums = group_sums(data, {"n": n.astype(np.float64), "x": x.astype(np.float64)})
    check_counts(labels, sums["n"], sums["x"], users, conversions)
    order = control_first(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    sums = {k: v[order] for k, v in sums.items()}
    arm = proportion_arm(sums["n"], sums["x"])
    block = metric_block((arm, arm), sums, "rates", spec)
    table = {
        "variant": labels_array(labels),
        "users": sums["n"].astype(np.int64),
        "conversions": sums["x"].astype(np.int64),
        "rate": arm.mean,
    }
    srm = srm_p_value(sums["n"].tolist(), split_weights(spec, labels, owner))
    return build_result(table, block, spec, srm, [str(v) for v in labels], owner, "rates",
                   {"counts": accounting})  # fmt: skip


# --------------------------------------------------------------------------- means


@validate_params(
    value=ColumnName(),
    covariate=[None, ColumnName()],
    denominator=[None, ColumnName()],
    **COMMON,
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
    kw = settings(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = make_spec(value, control, kw, covariate=covariate, denominator=denominator)
    cols = [Column("variant", variant, "category"), Column("value", value, "number",
                                                          max_abs=MAX_SQUARABLE)]  # fmt: skip
    extra = covariate if covariate is not None else denominator
    if extra is not None:
        cols.append(Column("extra", extra, "number", max_abs=MAX_SQUARABLE))
    data, accounting = validated(per_user, cols, "per_user")
    y = data["value"]
    ones = np.ones(len(y))
    parts = {"n": ones, "s": y, "ss": y * y}
    if extra is not None:
        z = data["extra"]
        parts |= {"x": z, "xx": z * z, "sx": y * z}
    with np.errstate(over="ignore", invalid="ignore"):
        labels, sums = group_sums(data, parts)
    order = control_first(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    sums = {k: v[order] for k, v in sums.items()}
    table: dict[str, Any] = {"variant": labels_array(labels), "users": sums["n"].astype(np.int64)}
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
    block = metric_block(arms, sums, kind, spec)
    srm = srm_p_value(sums["n"].tolist(), split_weights(spec, labels, owner))
    return build_result(table, block, spec, srm, [str(v) for v in labels], owner, kind,
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
