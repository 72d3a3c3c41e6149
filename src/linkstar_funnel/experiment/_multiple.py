"""``correct``: one multiple-comparison correction over several metrics of an experiment."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from .. import stats as _stats
from .._params import Options, Satisfies, validate_params
from ..errors import ParameterError
from ._result import ExperimentResult
from ._spec import Correction

__all__ = ["correct"]

_RESULTS = Satisfies(
    lambda v: (
        isinstance(v, list | tuple) and bool(v) and all(isinstance(r, ExperimentResult) for r in v)
    ),
    "a non-empty list of ExperimentResult",
)


@validate_params(results=_RESULTS, correction=[None, Options("holm", "bh")])
def correct(
    results: Sequence[ExperimentResult], *, correction: Correction | None = "holm"
) -> list[ExperimentResult]:
    """Adjust the p-values of several results together: several metrics, one experiment.

    Each result corrects over its own variants (and funnel steps); when an experiment is
    judged on several metrics (conversion, revenue per user, AOV...), the chance of a false
    positive grows with every metric too. This adjusts every comparison of every result as
    one family and recomputes ``p_value_adjusted`` and ``significant``.

    Parameters
    ----------
    results
        Frequentist or sequential results with the same ``alpha``.
    correction
        ``"holm"``, ``"bh"`` or ``None`` (each p-value as it is).

    Returns
    -------
    list of ExperimentResult
        The results in the same order, with the joint adjustment (and a provenance note).

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.experiment import compare_rates
    >>> a = compare_rates(pd.DataFrame({"variant": ["A", "B"], "users": [9_000, 9_000],
    ...                                 "conversions": [270, 330]}), control="A")
    >>> b = compare_rates(pd.DataFrame({"variant": ["A", "B"], "users": [9_000, 9_000],
    ...                                 "conversions": [90, 108]}), control="A")
    >>> [round(float(r.to_frame()["p_value_adjusted"].iloc[1]), 4) for r in (a, b)]
    [0.0243, 0.2403]
    >>> [round(float(r.to_frame()["p_value_adjusted"].iloc[1]), 4) for r in correct([a, b])]
    [0.0485, 0.2403]
    """
    alphas = {r.spec.alpha for r in results}
    if any(r.spec.method == "bayesian" for r in results) or len(alphas) > 1:
        msg = (
            "correct() adjusts p-values of frequentist or sequential results sharing one "
            f"alpha. Got methods {sorted({r.spec.method for r in results})} and alphas "
            f"{sorted(alphas)}.\nHint: Bayesian results have no p-values to adjust."
        )
        raise ParameterError(msg)
    alpha = alphas.pop()
    tables = [r.table for r in results]
    pieces = []
    for t in tables:
        p = t["p_value"].to_numpy(dtype=np.float64)
        pieces.append(~t["is_control"].to_numpy(dtype=bool) & ~np.isnan(p))
    p_all = np.concatenate(
        [t["p_value"].to_numpy(dtype=np.float64)[m] for t, m in zip(tables, pieces, strict=True)]
    )
    if correction == "holm":
        adjusted = _stats.holm_pvalues(p_all)
    elif correction == "bh":
        adjusted = _stats.bh_qvalues(p_all)
    else:
        adjusted = p_all
    out, start = [], 0
    note = f"p-values adjusted together over {len(p_all)} comparisons in {len(results)} results ({correction})"
    for r, t, mask in zip(results, tables, pieces, strict=True):
        table = t.copy()
        adj = table["p_value_adjusted"].to_numpy(dtype=np.float64).copy()
        k = int(mask.sum())
        adj[mask] = adjusted[start : start + k]
        start += k
        table["p_value_adjusted"] = adj
        table["significant"] = mask & (adj <= alpha)
        provenance = attrs.evolve(r.provenance, notes=(*r.provenance.notes, note))
        spec = attrs.evolve(r.spec, correction=correction)
        out.append(attrs.evolve(r, table=table, spec=spec, provenance=provenance))
    return out
