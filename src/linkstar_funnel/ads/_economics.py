"""Ad economics at any grain: CTR, CPC, CPM, CVR, CPA, ROAS, ACoS, TACoS and MER."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import ColumnName, Columns, Options, Satisfies, validate_params
from ..errors import DataQualityWarning, ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._inputs import as_list, credit_down, read_rates, read_spend, total_revenue_of
from ._metrics import METRICS, ratio_metrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AdEconomicsResult", "economics"]

_AMOUNTS = ("cost", "impressions", "clicks", "orders", "revenue")
_TEXT = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_TEXT_MAP = Satisfies(
    lambda m: isinstance(m, Mapping) and all(isinstance(v, str) and v for v in m.values()),
    "a mapping from labels to names (non-empty strings)",
)


@attrs.frozen(eq=False)
class AdEconomicsResult(ResultMixin):
    """Spend, delivery, credited conversions and the ad metrics, one row per ``by`` key.

    Attributes
    ----------
    table
        The rows of :meth:`to_frame`.
    by
        The key columns.
    unmatched
        Conversion rows that no spend row matched: their key columns, ``orders`` and
        ``revenue`` (left out of every row, never spread elsewhere).
    total_revenue
        The shop's total revenue behind TACoS and MER (NaN when not given).
    currency
        The reporting currency, when known.
    provenance
        Row accounting of spend, conversions and total revenue; notes name every NaN
        metric and why.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    unmatched: pd.DataFrame
    total_revenue: float
    currency: str | None
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``by...``, ``cost``, ``impressions``, ``clicks``, ``orders``, ``revenue``, then
        ``ctr``, ``cpc``, ``cpm``, ``cvr``, ``cpa``, ``roas``, ``acos``, ``tacos``, ``mer``.

        Columns whose inputs were not given are left out (no ``ctr`` without impressions).
        A metric is NaN where its denominator is 0; :func:`economics` warned and the
        provenance notes say where and why.
        """
        return self.table.copy()

    def totals(self) -> pd.DataFrame:
        """One row for all spend: the sums, and every metric on the sums."""
        sums = {c: float(self.table[c].sum()) for c in _AMOUNTS if c in self.table}
        cols: dict[str, Any] = {k: np.array([v]) for k, v in sums.items()}
        if not np.isnan(self.total_revenue):
            cols["total_revenue"] = np.array([self.total_revenue])
            cols["total_cost"] = np.array([sums["cost"]])
        metrics, _ = ratio_metrics(cols)
        out = pd.DataFrame({k: v for k, v in cols.items() if k in _AMOUNTS})
        for name, values in metrics.items():
            out[name] = values
        return out

    def summary(self) -> Summary:
        """Totals and the metrics per row (rounded)."""
        tot = self.totals().iloc[0]
        unit = f" {self.currency}" if self.currency else ""
        facts = [("cost", f"{tot['cost']:,.2f}{unit}")]
        for name in ("revenue", "roas", "acos", "tacos", "mer"):
            if name in tot and np.isfinite(tot[name]):
                facts.append((name, f"{tot[name]:,.2f}" + (unit if name == "revenue" else "")))
        if len(self.unmatched):
            facts.append(("unmatched conversion rows", f"{len(self.unmatched):,}"))
        return Summary(
            "Ad economics by " + ", ".join(self.by),
            facts=tuple(facts),
            table=self.table.round(3),
            notes=tuple(self.provenance.lines()),
        )

    @validate_params(metric=Options(*(m.name for m in METRICS)))
    def plot(self, ax: Axes | None = None, *, metric: str = "roas", **kwargs: Any) -> Axes:
        """Bars of ``metric`` per row (the 20 rows with the most cost)."""
        if metric not in self.table:
            msg = f"This result has no {metric!r}: its inputs were not given."
            raise ParameterError(msg)
        top = self.table.nlargest(20, "cost").iloc[::-1]
        labels = top[list(self.by)].astype(str).agg(" / ".join, axis=1)
        ax = get_axes(ax, figsize=(7.0, 1.5 + 0.3 * len(top)))
        ax.barh(labels.to_numpy(), top[metric].to_numpy(), color=PALETTE[0], **kwargs)
        ax.set_xlabel(metric.upper())
        return style_axes(ax, title=f"{metric.upper()} by {', '.join(self.by)}", grid_axis="x")


def _warn_nan(reasons: Mapping[str, tuple[int, str]]) -> list[str]:
    lines = [f"{name} is NaN in {n:,} row(s): {why}" for name, (n, why) in reasons.items()]
    if lines:
        warnings.warn(
            "ads.economics: " + "; ".join(lines) + " (a ratio with nothing to divide by).",
            DataQualityWarning,
            stacklevel=4,
        )
    return lines


def _warn_inf(metrics: Mapping[str, np.ndarray[Any, Any]]) -> None:
    huge = [k for k, v in metrics.items() if np.isinf(v).any()]
    if huge:
        warnings.warn(
            f"ads.economics: {', '.join(huge)} beyond the largest float64 number (a tiny "
            "denominator): shown as inf.",
            DataQualityWarning,
            stacklevel=4,
        )


@validate_params(
    by=Columns(),
    cost=ColumnName(),
    impressions=[None, ColumnName()],
    clicks=[None, ColumnName()],
    channel=ColumnName(),
    channel_map=[None, _TEXT_MAP],
    currency=[None, ColumnName()],
    reporting_currency=[None, _TEXT],
)
def economics(
    spend: object,
    *,
    by: str | Sequence[str],
    cost: str = "cost",
    impressions: str | None = None,
    clicks: str | None = None,
    conversions: object = None,
    total_revenue: object = None,
    channel: str = "channel",
    channel_map: Mapping[str, str] | None = None,
    currency: str | None = None,
    rates: object = None,
    reporting_currency: str | None = None,
) -> AdEconomicsResult:
    """Ad metrics per ``by`` key, with conversions from any attribution model.

    Parameters
    ----------
    spend
        One row per ad, day or any grain finer than ``by``: the ``by`` columns, ``cost``
        and optionally ``impressions`` and ``clicks`` (summed per key). Rows with a
        missing key or amount are dropped and counted; negative amounts are an error.
    by
        Key column(s) of the result, e.g. ``["channel", "campaign", "creative"]``.
    cost, impressions, clicks
        Column names in ``spend`` (leave ``impressions``/``clicks`` out when absent).
    conversions
        An :class:`~linkstar_funnel.attribution.AttributionResult` (its channel labels
        name values of the ``channel`` column), or a frame with some of the ``by``
        columns and ``orders`` and ``revenue``. Credit given at a coarser grain than
        ``by`` is split across the matching spend rows in proportion to their clicks (to
        their cost without clicks). Conversion rows matching no spend row are reported in
        :attr:`AdEconomicsResult.unmatched` and the provenance, not spread.
    total_revenue
        All revenue, paid and organic, for TACoS and MER: a number or an orders frame
        with a ``revenue`` column (summed; filter it to the spend's dates first).
    channel, channel_map
        For an attribution result: the ``by`` column its labels match, and an optional
        relabelling of its channels.
    currency
        The currency column, in every frame that has it (default: a column called
        ``currency`` when there is one). Mixed currencies need ``rates``.
    rates
        ``{currency: rate}`` or a frame (``currency``, ``rate``): one unit of the currency
        is worth ``rate`` units of the reporting currency.
    reporting_currency
        The currency amounts are reported in (its rate, if listed, must be 1).

    Returns
    -------
    AdEconomicsResult

    Raises
    ------
    SchemaError
        Negative amounts; currencies mixed without ``rates``; key columns that hold
        numbers on one side and text on the other.
    ParameterError
        A rate missing for a currency found, or ``channel`` not among ``by``.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel import ads
    >>> spend = pd.DataFrame({"campaign": ["brand", "generic"], "cost": [100.0, 300.0],
    ...                       "impressions": [10_000, 60_000], "clicks": [500, 900]})
    >>> conv = pd.DataFrame({"campaign": ["brand", "generic"], "orders": [25, 30],
    ...                      "revenue": [1_000.0, 1_200.0]})
    >>> econ = ads.economics(spend, by="campaign", impressions="impressions",
    ...                      clicks="clicks", conversions=conv, total_revenue=4_000.0)
    >>> econ.to_frame()[["campaign", "ctr", "cpc", "cpm", "cpa", "roas", "acos", "tacos"]]
      campaign    ctr       cpc   cpm   cpa  roas  acos  tacos
    0    brand  0.050  0.200000  10.0   4.0  10.0  0.10  0.025
    1  generic  0.015  0.333333   5.0  10.0   4.0  0.25  0.075
    """
    keys = as_list(by)
    amounts = {"cost": cost}
    if impressions is not None:
        amounts["impressions"] = impressions
    if clicks is not None:
        amounts["clicks"] = clicks
    clash = [c for c in keys if c in amounts.values()]
    if clash:
        msg = f"The column {clash[0]!r} is both a 'by' key and an amount of ads.economics."
        raise ParameterError(msg)
    rate_table = read_rates(rates, reporting_currency)
    table, spend_acc, unit = read_spend(
        spend, by=keys, amounts=amounts, currency=currency, rates=rate_table
    )
    inputs = {"spend": spend_acc}
    notes: list[str] = []
    unmatched = pd.DataFrame(columns=[*keys, "orders", "revenue"])
    if conversions is not None:
        credit = credit_down(
            table, conversions, by=keys, channel=channel, channel_map=channel_map,
            currency=currency, rates=rate_table,
        )  # fmt: skip
        table["orders"] = credit.orders
        table["revenue"] = credit.revenue
        unmatched = credit.unmatched
        inputs["conversions"] = credit.accounting
        notes += credit.notes
    total = float("nan")
    columns = {c: table[c].to_numpy(dtype=np.float64) for c in _AMOUNTS if c in table}
    if total_revenue is not None:
        total, total_acc = total_revenue_of(total_revenue, currency=currency, rates=rate_table)
        if total_acc is not None:
            inputs["total_revenue"] = total_acc
        columns["total_revenue"] = np.full(len(table), total)
        columns["total_cost"] = np.full(len(table), float(columns["cost"].sum()))
        notes.append("tacos = cost / total revenue; mer = total revenue / total cost (all rows)")
    metrics, reasons = ratio_metrics(columns)
    for name, values in metrics.items():
        table[name] = values
    notes += _warn_nan(reasons)
    _warn_inf(metrics)
    return AdEconomicsResult(
        table=table,
        by=tuple(keys),
        unmatched=unmatched,
        total_revenue=total,
        currency=unit if unit is not None else reporting_currency,
        provenance=Provenance(spec="ads.economics", inputs=inputs, notes=tuple(notes)),
    )
