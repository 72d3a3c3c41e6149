"""The :class:`RetentionResult`: the cohort table, its weighted curve, summary and plots."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._params import Options, Real, validate_params
from ..errors import DataQualityWarning
from ..results import Provenance, ResultMixin, Summary
from ..stats import wilson_interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["RetentionResult"]


@attrs.frozen(eq=False)
class RetentionResult(ResultMixin):
    """A retention table: one row per cohort, segment and period ``0..periods``.

    Columns of :meth:`to_frame`: ``cohort`` (start of the cohort period, wall clock of the
    spec's ``tz``), the ``by`` columns, ``period`` (n), ``users`` (cohort members),
    ``retained``, ``rate``, ``complete``, and with ``value=`` also ``revenue`` (of the
    returning events in period ``cohort + n``) and ``nrr`` (revenue at n / revenue at 0).
    Cohorts without members have no rows.
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    by: tuple[str, ...]
    period: str
    has_value: bool
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The cohort table (a copy)."""
        return self.frame.copy()

    @validate_params(alpha=Real(0, 1, closed="neither"))
    def curve(self, alpha: float = 0.05) -> pd.DataFrame:
        """The retention curve: per segment and period, the cohort-size-weighted rate.

        Only complete cells count (period 0: every cohort), so a partly observed period
        never reads as a drop. Columns: the ``by`` columns, ``period``, ``cohorts``,
        ``users``, ``retained``, ``rate`` and its Wilson interval ``low``, ``high`` at
        ``1 - alpha``; with ``value=`` also ``revenue`` and ``nrr`` (revenue over the
        period-0 revenue of the same cohorts).
        """
        f = self.frame
        n = f["period"].to_numpy()
        use = f[f["complete"].to_numpy() | (n == 0)]
        if self.has_value:
            # Rows come in blocks of periods 0..periods per cohort cell.
            revenue = f["revenue"].to_numpy()
            use = use.assign(_r0=revenue[np.arange(len(f)) - n][use.index.to_numpy()])
        keys = [*self.by, "period"]
        sums = ["users", "retained", *(["revenue", "_r0"] if self.has_value else [])]
        grouped = use.groupby(keys, sort=True, dropna=False)
        g: pd.DataFrame = grouped[sums].sum()
        g.insert(0, "cohorts", grouped.size().to_numpy())
        g = g.reset_index()
        users = g["users"].to_numpy(dtype=np.int64)
        retained = g["retained"].to_numpy(dtype=np.int64)
        g["rate"] = retained / users
        low, high = wilson_interval(retained, users, alpha=alpha)
        g["low"], g["high"] = low, high
        if self.has_value:
            den = g.pop("_r0").to_numpy(dtype=np.float64)
            zero = den == 0
            if zero.any():
                warnings.warn(
                    f"{int(zero.sum()):,} point(s) of the curve have no period-0 revenue: "
                    "their net revenue retention is NaN.",
                    DataQualityWarning,
                    stacklevel=3,
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                g["nrr"] = np.where(
                    zero, np.nan, g["revenue"].to_numpy() / np.where(zero, 1.0, den)
                )
        return g

    def summary(self) -> Summary:
        """Cohorts, members and the pooled curve's first periods."""
        f = self.frame
        first = f[f["period"] == 0]
        curve = self.curve()
        total = curve.groupby("period", sort=True)[["users", "retained"]].sum()
        rate = (total["retained"] / total["users"]).rename("rate")
        table = pd.DataFrame(
            {
                "period": rate.index,
                "users": total["users"].to_numpy(),
                "rate": [f"{r:.1%}" for r in rate.to_numpy()],
            }
        ).head(13)
        spec = self.provenance.spec
        facts = (
            ("cohorts", f"{first['cohort'].nunique():,} ({self.period})"),
            ("cohort members", f"{int(first['users'].sum()):,}"),
            ("cohort", str(getattr(spec, "cohort", ""))),
            ("returns", str(getattr(spec, "returns", ""))),
            ("segments", ", ".join(self.by) if self.by else "none"),
        )
        notes = (
            "rates pool complete cells only (weighted by cohort size)",
            *self.provenance.lines(),
        )
        return Summary("Retention", facts=facts, table=table, notes=notes)

    @validate_params(kind=Options("triangle", "curve"))
    def plot(
        self,
        ax: Axes | None = None,
        *,
        kind: Literal["triangle", "curve"] = "triangle",
        **kwargs: Any,
    ) -> Axes:
        """The cohort triangle as a heat map (``kind="triangle"``, segments pooled;
        incomplete cells hatched), or the retention curve per segment with its interval
        (``kind="curve"``)."""
        from ._plot import plot_curve, plot_triangle

        if kind == "curve":
            return plot_curve(self.curve(), self.by, self.period, ax=ax, **kwargs)
        return plot_triangle(self.frame, self.period, ax=ax, **kwargs)
