"""The LTV section's tables, built from an :class:`~._ltv_cohorts.LTVView`.

Each ``*_frame`` takes ``unit``, a label suffix such as ``" (GBP)"``; :data:`BAND` names the
interval columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ltv import BacktestResult
from ._ltv_cohorts import ALPHA, BACKTEST_MODELS, LTVView, weighted

__all__ = [
    "BAND",
    "SHORT",
    "backtest_frame",
    "bgnbd_frame",
    "by_segment",
    "cohort_frame",
    "latest_year",
    "params_frame",
    "segment_frame",
]

# ``unit`` is a label suffix such as " (GBP)"; BAND names the interval columns.
BAND = f"{1 - ALPHA:.0%}"
SHORT = dict(zip(BACKTEST_MODELS, ("cohort", "BG/NBD+GG"), strict=True))
_PARAMS = {
    "r": "purchase rate: Gamma shape",
    "alpha": "purchase rate: Gamma scale (weeks)",
    "a": "drop-out after a purchase: Beta a",
    "b": "drop-out after a purchase: Beta b",
    "p": "spend per purchase: Gamma shape",
    "q": "spend scale across customers: Gamma shape",
    "v": "spend scale across customers: Gamma scale",
}


def latest_year(view: LTVView) -> tuple[int, pd.DataFrame]:
    """The year of the last cohort, and the 12-month forecast rows of that year's cohorts."""
    f = view.at_12m.frame
    year = int(f["cohort"].max().year)
    return year, f[f["cohort"].dt.year == year]


def by_segment(view: LTVView, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`weighted` by segment (then ``keys``): largest first, the pooled "other" last."""
    assert view.segment is not None
    out = weighted(frame, [view.segment, *keys])
    rank = (out[view.segment].astype(str) == str(view.other)).astype(int)
    order = np.lexsort((out[view.segment].astype(str), -out["customers"], rank))
    return out.iloc[order].reset_index(drop=True)


def segment_frame(view: LTVView, unit: str) -> pd.DataFrame:
    """Predicted 12-month value per customer by segment, for the latest year's cohorts."""
    year, sel = latest_year(view)
    name = view.segment or "segment"
    rows = [by_segment(view, sel, ["age"])] if view.segment is not None else []
    rows.append(weighted(sel, ["age"]).assign(**{name: f"all, acquired {year}"}))
    out = pd.concat(rows, ignore_index=True)
    return pd.DataFrame(
        {
            name: out[name].astype(str),
            "customers": out["customers"],
            f"12-month value{unit}": out["value"].round(0),
            f"{BAND} low": out["lower"].round(0),
            f"{BAND} high": out["upper"].round(0),
        }
    )


def cohort_frame(view: LTVView, unit: str) -> pd.DataFrame:
    """Predicted 12-month value per customer by first-purchase month."""
    rows = weighted(view.at_12m.frame, ["cohort", "age"])
    until = view.fit.observation_end
    cohorts = rows["cohort"]
    if cohorts.dt.tz is None and until.tz is not None:
        until = until.tz_localize(None)
    seen = (until - cohorts).dt.days
    return pd.DataFrame(
        {
            "first purchase": cohorts.dt.strftime("%b %Y"),
            "customers": rows["customers"],
            "observed (days)": np.minimum(seen, 364).astype(np.int64),
            f"12-month value{unit}": rows["value"].round(0),
            f"{BAND} low": rows["lower"].round(0),
            f"{BAND} high": rows["upper"].round(0),
        }
    )


def bgnbd_frame(view: LTVView, unit: str) -> pd.DataFrame:
    """Per segment: mean P(alive), lapsed share, expected purchases and CLV, next 12 months."""
    frame = pd.DataFrame(
        {"p_alive": view.p_alive, "purchases": view.expected_purchases, "clv": view.clv}
    )
    name = view.segment or "segment"
    seg = view.customer_segment.reindex(frame.index).astype(str).to_numpy()
    frame[name] = seg if view.segment is not None else "all"
    frame["lapsed"] = (frame["p_alive"] < 0.5).astype(np.float64)
    g = frame.groupby(name, sort=False)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "mean P(alive)": g["p_alive"].mean(),
            "P(alive) < 50%": g["lapsed"].mean(),
            "purchases": g["purchases"].mean(),
            f"CLV per customer{unit}": g["clv"].mean().round(0),
            f"CLV total{unit}": g["clv"].sum().round(0),
        }
    ).reset_index()
    rank = (out[name].astype(str) == str(view.other)).astype(int)
    order = np.lexsort((out[name].astype(str), -out["customers"], rank))
    return out.iloc[order].reset_index(drop=True)


def params_frame(view: LTVView, unit: str) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma estimates with standard errors and intervals.

    At the NBD limit (no drop-out in the data) the purchase model is labelled as such and
    ``b``, which has no meaning there, is left out.
    """
    parts = []
    for model, fit in ((view.bg.model, view.bg), ("Gamma-Gamma", view.gg)):
        p = fit.params_frame(ALPHA).reset_index()
        p = p[p["estimate"].notna()]
        p.insert(0, "model", model)
        parts.append(p)
    out = pd.concat(parts, ignore_index=True)
    keys = out["parameter"].astype(str)
    out.insert(2, "meaning", [_PARAMS[k] + (unit if k == "v" else "") for k in keys])
    return out.rename(
        columns={"std_error": "std. error", "lower": f"{BAND} low", "upper": f"{BAND} high"}
    )


def backtest_frame(bt: BacktestResult, unit: str) -> pd.DataFrame:
    """Holdout revenue per cohort (segments summed): actual, each model's forecast and error."""
    g = bt.cohorts.pivot_table(
        index="cohort",
        columns="model",
        values=["customers", "actual", "predicted"],
        aggfunc="sum",
        observed=True,
    )
    first = BACKTEST_MODELS[0]
    out = pd.DataFrame({"first purchase": pd.DatetimeIndex(g.index).strftime("%b %Y")})
    out["customers"] = g[("customers", first)].to_numpy()
    act = g[("actual", first)].to_numpy()
    out[f"actual{unit}"] = act.round(0)
    for name in BACKTEST_MODELS:
        pred = g[("predicted", name)].to_numpy()
        out[f"{SHORT[name]}{unit}"] = pred.round(0)
        out[f"{SHORT[name]} error"] = np.abs(pred - act) / np.where(act > 0, act, np.nan)
    return out
