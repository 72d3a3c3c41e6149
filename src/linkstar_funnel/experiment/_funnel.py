"""``compare_funnel``: every step of a funnel, per variant, against the control."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._counts import count_column
from .._params import Options, validate_params
from ..errors import SchemaError
from ..schema import Column
from ._analysis import (
    COMMON,
    FloatArray,
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
from ._moments import proportion_arm
from ._result import ExperimentResult
from ._spec import Correction, Method

__all__ = ["compare_funnel"]

_RATE = Options("conversion_from_start", "conversion_from_previous")


@validate_params(rate=_RATE, **COMMON)
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
    kw = settings(method, alpha, absolute, correction, sequential_tuning, weights)
    spec = make_spec("funnel", control, kw)
    cols = [
        Column("variant", variant, "category"),
        Column("stage", "stage", "category"),
        Column("step", "step", "number"),
        Column("users", "users", "number"),
    ]
    data, accounting = validated(counts, cols, "counts")
    stage_names = data["stage"]
    steps = count_column(data["step"], column="step", frame_name="counts")
    users = count_column(data["users"], column="users", frame_name="counts")
    labels, _ = group_sums(data, {"n": np.ones(len(data["variant"]))})
    k_n = int(steps.max())
    reach = _reach_matrix(data["variant"], steps, users, labels, k_n)
    names = _stage_names(stage_names, steps, k_n)
    order = control_first(pd.Index(labels, dtype=object), control, owner)
    labels = [labels[i] for i in order]
    reach = reach[order]
    if k_n < 2:
        msg = "compare_funnel needs at least two steps: step 1 is the base of every rate."
        raise SchemaError(msg)
    parts, blocks, row_labels = [], [], []
    for k in range(1, k_n):
        base = reach[:, 0] if rate == "conversion_from_start" else reach[:, k - 1]
        conv = reach[:, k]
        check_counts(labels, base, conv, "users", names[k])
        arm = proportion_arm(base, conv)
        blocks.append(metric_block((arm, arm), {"n": base, "x": conv}, "rates", spec))
        g_n = len(labels)
        parts.append(
            {
                "stage": labels_array([names[k]] * g_n),
                "step": np.full(g_n, k + 1, dtype=np.int64),
                "variant": labels_array(labels),
                "users": base.astype(np.int64),
                "conversions": conv.astype(np.int64),
                "rate": arm.mean,
                "is_control": np.arange(g_n) == 0,
            }
        )
        row_labels += [f"{v} at {names[k]}" for v in labels]
    table = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    block = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    srm = srm_p_value(reach[:, 0].tolist(), split_weights(spec, labels, owner))
    notes = [f"rates are {rate.replace('_', ' ')}"]
    return build_result(table, block, spec, srm, row_labels, owner, "funnel", {"counts": accounting},
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
