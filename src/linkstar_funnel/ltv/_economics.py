"""LTV:CAC and payback period per channel, from a cohort LTV fit and ad spend."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import ColumnName, Duration, InstanceOf, Real, Satisfies, validate_params
from .._validators import to_timedelta
from ..errors import DataQualityWarning, ParameterError, SchemaError
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, validate
from ._cohort_fit import CohortLTVResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["UnitEconomicsResult", "unit_economics"]


@attrs.frozen(eq=False)
class UnitEconomicsResult(ResultMixin):
    """Per channel: customers, spend, CAC, LTV (with interval), LTV:CAC and payback."""

    frame: pd.DataFrame = attrs.field(repr=False)
    at: pd.Timedelta
    margin: float
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """``channel``, ``customers``, ``spend``, ``cac``, ``ltv``, ``ltv_lower``,
        ``ltv_upper``, ``ltv_cac``, ``payback`` (age when cumulative margin reaches CAC;
        NaT when not within the horizon)."""
        return self.frame.copy()

    def summary(self) -> Summary:
        """The table, with the LTV age and margin."""
        facts = (("LTV age", f"{self.at.days} days"), ("margin", f"{self.margin:.0%}"))
        table = self.frame.copy()
        # Payback periods are timedeltas, which pandas counts as numbers but cannot round.
        numbers = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
        table[numbers] = table[numbers].round(2)
        return Summary(
            "LTV:CAC by channel",
            facts=facts,
            table=table,
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """LTV:CAC per channel, with the break-even line at 1."""
        from ..plotting import PALETTE, get_axes, style_axes

        ax = get_axes(ax)
        f = self.frame.dropna(subset=["ltv_cac"]).sort_values("ltv_cac")
        colors = [PALETTE[2] if v >= 1 else PALETTE[3] for v in f["ltv_cac"]]
        ax.barh(f["channel"].astype(str), f["ltv_cac"], color=colors, **kwargs)
        ax.axvline(1.0, color="#444444", lw=1, ls="--")
        ax.set_xlabel(f"LTV:CAC ({self.at.days}-day value * {self.margin:.0%} margin / CAC)")
        return style_axes(ax, title="LTV:CAC by channel", grid_axis="x")


def _acquisitions_ok(value: object) -> bool:
    if not isinstance(value, Mapping | pd.Series):
        return False
    numbers = pd.to_numeric(pd.Series(dict(value) if isinstance(value, Mapping) else value))
    return bool(np.all(np.isfinite(numbers.to_numpy(np.float64)) & (numbers.to_numpy() >= 0)))


@validate_params(
    fit=InstanceOf(CohortLTVResult, description="a CohortLTVResult (CohortLTV(...).fit(...))"),
    channel=ColumnName(),
    cost=ColumnName(),
    acquisitions=[
        None,
        Satisfies(
            _acquisitions_ok,
            "a mapping or Series of finite customer counts ≥ 0 by channel",
        ),
    ],
    at=Duration(),
    margin=Real(0, 1, closed="right"),
    alpha=Real(0, 1, closed="neither"),
)
def unit_economics(
    fit: CohortLTVResult,
    spend: pd.DataFrame,
    *,
    channel: str = "channel",
    cost: str = "cost",
    acquisitions: Mapping[str, float] | pd.Series | None = None,
    at: object = "365D",
    margin: float = 1.0,
    alpha: float = 0.05,
) -> UnitEconomicsResult:
    """LTV:CAC and payback per channel.

    Parameters
    ----------
    fit
        A :class:`CohortLTVResult` whose ``by`` includes ``channel``.
    spend
        Ad spend with ``channel`` and ``cost`` columns (e.g. ``make_demo_store().spend``),
        covering the same acquisition period as the fit's cohorts. Costs must be ≥ 0; rows
        with a missing channel or cost are dropped and counted.
    acquisitions
        Customers acquired per channel (e.g. from an attribution result); default: the
        fit's customers by channel of first order.
    at
        Age at which LTV is read.
    margin
        Share of revenue kept as contribution margin, in (0, 1].
    alpha
        The LTV interval covers ``1 - alpha``.

    Returns
    -------
    UnitEconomicsResult
        A channel without spend in ``spend`` (organic, direct), or without acquired
        customers, has no CAC: ``spend``/``cac``/``ltv_cac`` NaN and ``payback`` NaT, with a
        :class:`~linkstar_funnel.errors.DataQualityWarning` naming those channels.

    Examples
    --------
    >>> import warnings
    >>> import linkstar_funnel as lf
    >>> store = lf.datasets.make_demo_store(n_users=4000, seed=1)
    >>> fit = lf.ltv.CohortLTV(horizon="84D", use_prophet=False).fit(store.orders, by="channel")
    >>> with warnings.catch_warnings(record=True, action="always") as caught:  # no spend
    ...     econ = lf.ltv.unit_economics(fit, store.spend, at="84D", margin=0.4)
    >>> list(econ.to_frame().columns)
    ['channel', 'customers', 'spend', 'cac', 'ltv', 'ltv_lower', 'ltv_upper', 'ltv_cac', 'payback']
    """
    if channel not in fit.by:
        msg = (
            f"The fit has no {channel!r} segment (segments: {list(fit.by)}).\n"
            f"Hint: fit with by={channel!r}."
        )
        raise ParameterError(msg)
    table = validate(
        spend,
        [Column("channel", channel, "category"), Column("cost", cost, "number")],
        frame_name="spend",
    )
    costs = table.numbers["cost"]
    if (costs < 0).any():
        msg = (
            f"Column {cost!r} of the spend frame must hold costs ≥ 0; found "
            f"{int((costs < 0).sum()):,} negative values (e.g. {float(costs[costs < 0][0]):g})."
        )
        raise SchemaError(msg)
    age = to_timedelta(at, param="at", owner="unit_economics")
    curve = fit.predict(alpha=alpha).ltv()
    by_channel = _by_channel(curve, list(fit.by), channel)
    ages = sorted(by_channel["age"].unique())
    read_age = min(ages, key=lambda a: abs(a - age))
    at_age = by_channel[by_channel["age"] == read_age].set_index(channel)
    names = np.asarray(table.labels["channel"].astype(str), dtype=object)
    rows = np.bincount(table.codes["channel"], minlength=len(names))
    totals = np.bincount(table.codes["channel"], weights=costs, minlength=len(names))
    # a channel is in the spend only if it has rows (not merely an unused category)
    cost_by = pd.Series(totals[rows > 0], index=names[rows > 0]).groupby(level=0).sum()
    acq = (
        pd.Series(acquisitions, dtype=np.float64)
        if acquisitions is not None
        else at_age["customers"]
    )
    channels = sorted(set(at_age.index) | set(cost_by.index))
    out = pd.DataFrame({"channel": channels})
    out["customers"] = acq.reindex(channels).to_numpy(dtype=np.float64)
    out["spend"] = cost_by.reindex(channels).to_numpy(dtype=np.float64)  # NaN: no spend given
    has_cac = (out["customers"] > 0).to_numpy() & out["spend"].notna().to_numpy()
    out["cac"] = np.where(has_cac, out["spend"] / out["customers"].where(has_cac, 1.0), np.nan)
    out["ltv"] = at_age["value"].reindex(channels).to_numpy() * margin
    out["ltv_lower"] = at_age["lower"].reindex(channels).to_numpy() * margin
    out["ltv_upper"] = at_age["upper"].reindex(channels).to_numpy() * margin
    positive = has_cac & (out["cac"].to_numpy() > 0)
    out["ltv_cac"] = np.where(positive, out["ltv"] / out["cac"].where(positive, 1.0), np.nan)
    payback = []
    for ch, cac in zip(out["channel"], out["cac"], strict=True):
        g = by_channel[by_channel[channel] == ch].sort_values("age")
        reached = g[g["value"] * margin >= cac] if np.isfinite(cac) else g.iloc[:0]
        payback.append(reached["age"].iloc[0] if len(reached) else pd.NaT)
    out["payback"] = pd.to_timedelta(pd.Series(payback, dtype="timedelta64[ns]"))
    notes = [f"LTV read at age {read_age.days} days", "CAC = spend / customers acquired"]
    no_cac = out.loc[~has_cac, "channel"].tolist()
    if no_cac:
        reason = (
            f"no spend or no acquired customers for {', '.join(map(repr, no_cac))}: "
            "their CAC, LTV:CAC and payback are not defined (NaN, NaT)"
        )
        notes.append(reason)
        warnings.warn(f"unit_economics: {reason}.", DataQualityWarning, stacklevel=2)
    return UnitEconomicsResult(
        out, read_age, margin, Provenance(fit.spec, {"spend": table.accounting}, tuple(notes))
    )


def _by_channel(curve: pd.DataFrame, by: list[str], channel: str) -> pd.DataFrame:
    if by == [channel]:
        return curve
    w = curve["customers"].to_numpy(dtype=np.float64)
    g = curve.assign(_v=curve["value"] * w, _l=curve["lower"] * w, _u=curve["upper"] * w, _w=w)
    s = g.groupby([channel, "age"], observed=True)[["_v", "_l", "_u", "_w"]].sum()
    return pd.DataFrame(
        {
            "customers": s["_w"],
            "value": s["_v"] / s["_w"],
            "lower": s["_l"] / s["_w"],
            "upper": s["_u"] / s["_w"],
        }
    ).reset_index()
