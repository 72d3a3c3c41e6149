"""Derived views of a :class:`FunnelResult`: the bottleneck ranked by impact."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ParameterError

if TYPE_CHECKING:
    from ._result import FunnelResult


def bottleneck(
    result: FunnelResult,
    reference: Mapping[str, float] | None = None,
    *,
    freq: str = "W",
    min_entrants: int = 30,
) -> pd.DataFrame:
    """Steps ranked by the final conversions gained if each matched a reference rate.

    For every segment and step k ≥ 2, the step's conversion from the previous step is
    replaced by the reference rate (all other steps kept) and the resulting final-step count
    is compared with the observed one: ``gain = entrants * Π rates' - observed final``.

    Parameters
    ----------
    reference
        Stage name -> reference conversion from the previous step. By default, the
        segment's own best rate over complete entry periods (``freq``) with at least
        ``min_entrants`` entrants (needs the event log).

    Returns
    -------
    pandas.DataFrame
        ``[by...], stage, step, rate, reference_rate, final_now, final_at_reference, gain``,
        most impactful first (steps already at or above the reference gain 0).
    """
    frame = result.to_frame()
    by = list(result.by)
    if reference is None:
        trends = result.trends(freq)
        trends = trends[trends["complete"]]
        entrants = trends.groupby(["period", *by], sort=False)["users"].transform("max")
        good = trends[(entrants >= min_entrants) & (trends["step"] > 1)]
        best = good.groupby([*by, "stage"], sort=False, dropna=False)[
            "conversion_from_previous"
        ].max()
        ref = frame.join(best.rename("reference_rate"), on=[*by, "stage"])["reference_rate"]
    else:
        unknown = sorted(set(reference) - set(result.stages))
        bad = [v for v in reference.values() if not 0.0 <= float(v) <= 1.0]
        if unknown or bad:
            msg = (
                "The 'reference' parameter of bottleneck must map stage names to rates in "
                f"[0, 1]. Got unknown stages {unknown} / rates {bad} instead."
            )
            raise ParameterError(msg)
        ref = frame["stage"].map(dict(reference)).astype(float)
    frame = frame.assign(reference_rate=ref.to_numpy(dtype=float))
    rows = []
    groups = frame.groupby(by, sort=False, dropna=False) if by else [((), frame)]
    for _, grp in groups:
        rates = np.nan_to_num(grp["conversion_from_previous"].to_numpy(dtype=float))
        users = grp["users"].to_numpy()
        final_now = int(users[-1])
        for i in range(1, len(grp)):
            target = grp["reference_rate"].iloc[i]
            if np.isnan(target):
                continue
            alt = rates.copy()
            alt[i] = max(target, rates[i])
            final_alt = float(users[0] * np.prod(alt[1:]))
            row = grp.iloc[i][[*by, "stage", "step"]].to_dict()
            row.update(
                rate=rates[i],
                reference_rate=target,
                final_now=final_now,
                final_at_reference=final_alt,
                gain=final_alt - final_now,
            )
            rows.append(row)
    cols = [
        *by,
        "stage",
        "step",
        "rate",
        "reference_rate",
        "final_now",
        "final_at_reference",
        "gain",
    ]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("gain", ascending=False, kind="stable").reset_index(drop=True)
