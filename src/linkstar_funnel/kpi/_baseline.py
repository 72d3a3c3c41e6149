"""Baselines: what each node usually is, from the median and spread of recent periods.

Every node is evaluated per calendar period (leaves summed over the period's days); the
last ``periods`` *complete* periods give the median, the 25th and 75th percentiles and
their distance (IQR). A first period the data starts inside of, and a last period it
ends inside of, are incomplete: left out and counted. A baseline is a realistic starting point for a target
(:meth:`BaselineResult.targets`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Real, validate_params
from ..errors import DataQualityWarning, ParameterError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._calendar import no_rows, period_bounds, period_starts, read_daily
from ._compute import compute_nodes
from ._format import fmt_number
from ._inputs import by_tuple

if TYPE_CHECKING:
    from collections.abc import Mapping

    from matplotlib.axes import Axes

    from ._tree import KPITree

__all__ = ["BaselineResult", "baseline"]

FloatArray = npt.NDArray[np.float64]
OWNER = "KPITree.baseline"


@attrs.frozen(eq=False)
class BaselineResult(ResultMixin):
    """Median and spread of every node over the last complete periods.

    Attributes
    ----------
    tree
        The tree.
    table
        The rows of :meth:`to_frame`.
    values
        Every node per period (and segment): the periods the baseline is taken from.
    period
        ``"D"``, ``"W"`` or ``"M"``.
    by
        The segment columns.
    """

    tree: KPITree
    table: pd.DataFrame
    values: pd.DataFrame
    period: str
    by: tuple[str, ...]
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``by...``, ``node``, ``owner``, ``unit``, ``median``, ``p25``, ``p75``, ``iqr``,
        ``periods`` (how many periods the figures come from), ``first``, ``last``."""
        return self.table.copy()

    @validate_params(lift=Real(-1, 10, closed="right"))
    def targets(self, lift: float = 0.0) -> pd.DataFrame:
        """Targets at the median times ``1 + lift``: ``by...``, ``node``, ``target``, ``owner``.

        ``lift`` is in (-1, 10]: from just above -100% to +1,000%.

        Nodes whose median is not positive are left out (a target must be > 0).

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.kpi import KPITree
        >>> tree = KPITree.from_formula("gmv = orders * aov; aov = revenue / orders")
        >>> days = pd.date_range("2026-01-05", periods=28, freq="D")
        >>> df = pd.DataFrame({"date": days, "orders": 10, "revenue": 500.0})
        >>> tree.baseline(df, periods=4, period="W").targets(lift=0.1).round(2)
              node  target owner
        0      gmv  3850.0  None
        1   orders    77.0  None
        2      aov    55.0  None
        3  revenue  3850.0  None
        """
        t = self.table[self.table["median"] > 0]
        out = t[[*self.by, "node"]].copy()
        with np.errstate(over="ignore"):
            out["target"] = t["median"] * (1 + lift)
        if not np.isfinite(out["target"].to_numpy(dtype=np.float64)).all():
            msg = "The targets go beyond the largest float64 number (about 1.8e308)."
            raise ParameterError(msg)
        out["owner"] = t["owner"]
        return out.reset_index(drop=True)

    def summary(self) -> Summary:
        """Periods used and the table, rounded."""
        shown = self.table.copy()
        for col in ("median", "p25", "p75", "iqr"):
            shown[col] = shown[col].map(fmt_number)
        first, last = self.table["first"].min(), self.table["last"].max()
        return Summary(
            f"Baseline: {self.tree.root}",
            facts=(("periods", f"{first.date()} to {last.date()} ({self.period})"),),
            table=shown,
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The root per period, with its median and interquartile band."""
        root = self.tree.root
        ax = get_axes(ax)
        v = self.values
        series = (
            v.groupby("period_start")[root].sum() if self.by else v.set_index("period_start")[root]
        )
        ax.plot(series.index, series.to_numpy(), marker="o", color=PALETTE[0], **kwargs)
        q25, med, q75 = np.nanpercentile(series.to_numpy(), [25, 50, 75])
        ax.axhline(med, color=PALETTE[1], linewidth=1.2, label="median")
        ax.axhspan(q25, q75, color=PALETTE[1], alpha=0.15, label="25th-75th percentile")
        ax.legend(frameon=False, fontsize=8)
        return style_axes(ax, title=f"{root} per period: baseline")


def baseline(
    tree: KPITree,
    history: object,
    *,
    periods: int = 8,
    period: str = "W",
    by: str | Sequence[str] | None = None,
    date: str = "date",
    columns: Mapping[str, str] | None = None,
) -> BaselineResult:
    """See :meth:`KPITree.baseline`."""
    seg = by_tuple(by, OWNER)
    daily = read_daily(tree, history, time=date, by=seg, columns=columns, frame_name="history")
    first_day, last_day = daily.day.min(), daily.day.max()
    starts = period_starts(daily.day, period)
    first_start, _ = period_bounds(first_day, period)
    last_start, end = period_bounds(last_day, period)
    late = np.asarray(starts == last_start) if end - pd.Timedelta(days=1) > last_day else None
    early = np.asarray(starts == first_start) if first_day > first_start else None
    keep = np.ones(len(starts), dtype=bool)
    accounting = daily.accounting
    for mask, which in ((early, "first"), (late, "last")):
        if mask is not None:
            accounting = accounting.with_dropped(
                f"in the incomplete {which} period", int((mask & keep).sum()), column=date
            )
            keep &= ~mask
    uniq = np.sort(pd.unique(np.asarray(starts[keep])))
    chosen = uniq[-periods:]
    in_window = keep & np.isin(np.asarray(starts), chosen)
    accounting = accounting.with_dropped(
        f"before the last {periods} periods", int((keep & ~in_window).sum()), column=date
    )
    if not in_window.any():
        raise no_rows(accounting, "history", f"no complete {period} period")
    frame = daily.keys[in_window].reset_index(drop=True)
    frame["period_start"] = np.asarray(starts[in_window])
    for leaf, v in daily.leaves.items():
        frame[leaf] = v[in_window]
    keys = [*seg, "period_start"]
    agg = frame.groupby(keys, sort=True, dropna=False)[list(tree.leaves)].sum().reset_index()
    with np.errstate(all="ignore"):
        nodes = compute_nodes(
            tree, {k: agg[k].to_numpy(dtype=np.float64) for k in tree.leaves},
            zero_division="nan", overflow="warn",
        )  # fmt: skip
    values = agg[keys].copy()
    for name in tree.names:
        values[name] = nodes[name]
    rows = []
    groups = values.groupby(list(seg), sort=True, dropna=False) if seg else [((), values)]
    for key, part in groups:
        key_t = key if isinstance(key, tuple) else (key,)
        for name in tree.names:
            x = part[name].to_numpy(dtype=np.float64)
            x = x[np.isfinite(x)]
            q25, med, q75 = np.percentile(x, [25, 50, 75]) if len(x) else (np.nan,) * 3
            rows.append(
                {
                    **dict(zip(seg, key_t, strict=True)),
                    "node": name,
                    "owner": tree.node(name).owner,
                    "unit": tree.node(name).unit,
                    "median": float(med),
                    "p25": float(q25),
                    "p75": float(q75),
                    "iqr": float(q75 - q25),
                    "periods": len(x),
                    "first": pd.Timestamp(part["period_start"].min()),
                    "last": pd.Timestamp(part["period_start"].max()),
                }
            )
    table = pd.DataFrame(rows)
    table["periods"] = table["periods"].astype(np.int64)
    notes = [f"{len(chosen)} complete period(s) of {period} (asked: {periods})"]
    empty = table.loc[table["periods"] == 0, "node"].unique().tolist()
    if empty:
        warnings.warn(
            f"{OWNER}: no finite value for {', '.join(map(repr, empty))} in some segment (a "
            "zero denominator in every period): median and spread are NaN there.",
            DataQualityWarning,
            stacklevel=4,
        )
        notes.append(f"NaN baseline (zero denominators): {', '.join(empty)}")
    return BaselineResult(
        tree=tree,
        table=table,
        values=values,
        period=period,
        by=seg,
        provenance=Provenance(spec=tree, inputs={"history": accounting}, notes=tuple(notes)),
    )
