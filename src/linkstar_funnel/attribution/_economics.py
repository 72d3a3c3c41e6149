"""Channel economics: cost per acquisition (CPA / CAC) and ROAS per channel per model."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import InstanceOf, Options, validate_params
from ..errors import DataQualityWarning, ParameterError, SchemaError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, RowAccounting, validate
from ._compare import AttributionComparisonResult
from ._journeys import check_total, weighted_bincount
from ._result import AttributionResult
from ._specs import ECONOMICS_PARAMS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ChannelEconomicsResult", "channel_economics"]


@attrs.frozen(eq=False)
class ChannelEconomicsResult(ResultMixin):
    """Spend, attributed conversions and value, CPA and ROAS per model and channel.

    ``cpa = spend / conversions`` (the CAC when conversions are first purchases; NaN when
    a channel has no spend, as organic and direct channels have no CAC, or no attributed
    conversions) and ``roas = value / spend`` (NaN without spend). A
    :class:`~linkstar_funnel.DataQualityWarning` and the provenance notes name the channels
    where either is NaN, and why.
    """

    table: pd.DataFrame = attrs.field(eq=False)
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``model``, ``channel``, ``spend``, ``conversions``, ``value``, ``cpa``, ``roas``."""
        return self.table.copy()

    def summary(self) -> Summary:
        """CPA and ROAS per channel and model."""
        t = self.table
        spend = t.groupby("model", sort=False)["spend"].sum()
        facts = (("spend", f"{float(spend.iloc[0]) if len(spend) else 0.0:,.2f}"),)
        shown = t.round({"spend": 2, "conversions": 2, "value": 2, "cpa": 2, "roas": 2})
        return Summary(
            "Channel economics", facts=facts, table=shown, notes=tuple(self.provenance.lines())
        )

    @validate_params(metric=Options("roas", "cpa"))
    def plot(self, ax: Axes | None = None, *, metric: str = "roas", **kwargs: Any) -> Axes:
        """Bars of ``metric`` (``"roas"`` or ``"cpa"``) per channel, one colour per model."""
        wide = self.table.pivot_table(
            index="channel", columns="model", values=metric, sort=False, dropna=False
        )
        wide = wide[list(dict.fromkeys(self.table["model"]))]
        ax = get_axes(ax)
        n = max(wide.shape[1], 1)
        width = 0.8 / n
        x = np.arange(len(wide), dtype=np.float64)
        for i, model in enumerate(wide.columns):
            ax.bar(
                x + (i - (n - 1) / 2) * width,
                wide[model].to_numpy(),
                width=width,
                label=str(model),
                color=PALETTE[i % len(PALETTE)],
                **kwargs,
            )
        ax.set_xticks(x, [str(c) for c in wide.index], rotation=30, ha="right")
        ax.set_ylabel(metric.upper())
        ax.legend(frameon=False, fontsize=8)
        return style_axes(ax, title=f"{metric.upper()} by channel and model")


@validate_params(
    attribution=InstanceOf(
        AttributionResult,
        AttributionComparisonResult,
        description="an AttributionResult or an AttributionComparisonResult",
    ),
    **ECONOMICS_PARAMS,
)
def channel_economics(
    attribution: AttributionResult | AttributionComparisonResult,
    spend: object,
    *,
    channel: str = "channel",
    cost: str = "cost",
    channel_map: Mapping[str, str] | None = None,
) -> ChannelEconomicsResult:
    """CPA and ROAS per channel for one result or every model of a comparison.

    Parameters
    ----------
    attribution
        An :class:`AttributionResult` or an :class:`AttributionComparisonResult`.
    spend
        A frame with a channel column and a cost column (any extra columns, such as date or
        campaign, are summed over: filter the frame to the journeys' period first), or a
        mapping ``{channel: cost}``.
    channel, cost
        Column names in ``spend``.
    channel_map
        Optional mapping from spend labels to the attribution's channel names (e.g. when
        spend is by campaign).

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["ads > email", "ads"], "conv": [2, 2], "rev": [100.0, 60.0]})
    >>> j = la.Journeys.from_paths(df, conversions="conv", value="rev")
    >>> res = la.LastTouch().attribute(j)
    >>> res.economics({"ads": 30.0, "email": 10.0}).to_frame()
            model channel  spend  conversions  value  cpa  roas
    0  Last touch     ads   30.0          2.0   60.0 15.0   2.0
    1  Last touch   email   10.0          2.0  100.0  5.0  10.0
    """
    if isinstance(attribution, AttributionComparisonResult):
        pairs = list(zip(attribution.labels, attribution.results, strict=True))
        base_inputs = dict(attribution.provenance.inputs)
    else:
        pairs = [(attribution.name, attribution)]
        base_inputs = dict(attribution.provenance.inputs)
    costs, accounting = _spend_by_channel(
        spend, channel=channel, cost=cost, channel_map=channel_map
    )
    rows = []
    for label, res in pairs:
        credit = pd.DataFrame(
            {"conversions": res.credit("conversions"), "value": res.credit("value")}
        )
        chans = list(dict.fromkeys([*credit.index, *costs.index]))
        credit = credit.reindex(chans, fill_value=0.0)
        s = costs.reindex(chans, fill_value=0.0).to_numpy(dtype=np.float64)
        conv = credit["conversions"].to_numpy(dtype=np.float64)
        val = credit["value"].to_numpy(dtype=np.float64)
        with np.errstate(over="ignore"):  # beyond float64: inf, and a warning below
            cpa = np.divide(s, conv, out=np.full(len(s), np.nan), where=(conv > 0) & (s > 0))
            roas = np.divide(val, s, out=np.full(len(s), np.nan), where=s > 0)
        rows.append(
            pd.DataFrame(
                {
                    "model": label,
                    "channel": chans,
                    "spend": s,
                    "conversions": conv,
                    "value": val,
                    "cpa": cpa,
                    "roas": roas,
                }
            )
        )
    table = pd.concat(rows, ignore_index=True)
    unmatched = sorted(set(costs.index) - {c for _, r in pairs for c in r.channels})
    notes = ["cpa = spend / attributed conversions; roas = attributed value / spend"]
    if unmatched:
        notes.append(f"spend on channels with no journeys: {', '.join(map(str, unmatched))}")
    reasons = _nan_reasons(table)
    notes += reasons
    if reasons:
        warnings.warn("channel_economics: " + "; ".join(reasons) + ".", DataQualityWarning, 2)
    _warn_overflow(table)
    if accounting is not None:
        base_inputs["spend"] = accounting
    prov = Provenance(spec=tuple(r.model for _, r in pairs), inputs=base_inputs, notes=tuple(notes))
    return ChannelEconomicsResult(table=table, provenance=prov)


def _nan_reasons(table: pd.DataFrame) -> list[str]:
    """Why cpa or roas is NaN: which channels have no spend, or no attributed conversions."""
    out = []
    no_spend = table["spend"] <= 0
    free = _channels(table, no_spend)
    if free:
        out.append(f"cpa and roas are NaN for channels with no spend (no CAC): {free}")
    unconverted = _channels(table, ~no_spend & (table["conversions"] <= 0))
    if unconverted:
        out.append(
            f"cpa is NaN for channels with spend but no attributed conversions: {unconverted}"
        )
    return out


def _warn_overflow(table: pd.DataFrame) -> None:
    for col in ("cpa", "roas"):
        huge = np.isinf(table[col].to_numpy())
        if huge.any():
            names = _channels(table, pd.Series(huge, index=table.index))
            warnings.warn(
                f"{col} is beyond the largest float64 number for the channels {names} (a "
                f"tiny denominator): shown as inf.",
                DataQualityWarning,
                stacklevel=3,
            )


def _channels(table: pd.DataFrame, mask: pd.Series[bool]) -> str:
    names = list(dict.fromkeys(str(c) for c in table.loc[mask, "channel"]))
    return ", ".join(names[:12]) + (f" (+{len(names) - 12} more)" if len(names) > 12 else "")


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _spend_by_channel(
    spend: object, *, channel: str, cost: str, channel_map: Mapping[str, str] | None
) -> tuple[pd.Series[float], RowAccounting | None]:
    accounting: RowAccounting | None = None
    if isinstance(spend, Mapping):
        labels = [str(k) for k in spend]
        bad = [(k, v) for k, v in spend.items() if not _is_number(v)]
        if bad:
            msg = (
                "The 'spend' parameter of channel_economics must map channels to costs "
                f"(numbers ≥ 0). Got {bad[0][1]!r} for {bad[0][0]!r} instead."
            )
            raise ParameterError(msg)
        values = np.array([float(v) for v in spend.values()], dtype=np.float64)
        where = "spend mapping"
    else:
        table = validate(
            spend,
            [Column("channel", channel, "category"), Column("cost", cost, "number")],
            frame_name="spend",
        )
        labels = [str(x) for x in table.labels["channel"]]
        values = weighted_bincount(table.codes["channel"], table.numbers["cost"], len(labels))
        accounting = table.accounting
        where = f"column {cost!r} of the spend frame"
    if not np.isfinite(values).all() or (values < 0).any():
        bad = values[~(np.isfinite(values) & (values >= 0))][0]
        msg = f"The {where} must hold costs ≥ 0. Got {float(bad)!r} instead."
        raise SchemaError(msg)
    check_total(values, f"The {where}")
    if channel_map:
        labels = [str(channel_map.get(lab, lab)) for lab in labels]
    out = (
        pd.Series(values, index=pd.Index(labels, name="channel")).groupby(level=0, sort=False).sum()
    )
    return out, accounting
