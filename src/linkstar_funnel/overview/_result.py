"""The :class:`OverviewResult` result and the spec it keeps as provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._params import InstanceOf, validate_params
from ..errors import ColumnNotFoundError
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MISSING_LABEL", "OverviewResult", "OverviewSpec"]

#: How a missing segment value is labelled in an overview.
MISSING_LABEL = "(missing)"


@attrs.frozen
class OverviewSpec:
    """The settings an overview was computed with (kept as provenance).

    Parameters
    ----------
    kind
        ``"events"`` or ``"orders"``.
    columns
        Role → column name (``{"user": "user_id", ...}``).
    by
        Segment columns counted.
    tz
        Time zone the days and the date range are read in (``None``: the input's own).
    """

    kind: Literal["events", "orders"]
    columns: tuple[tuple[str, str], ...]
    by: tuple[str, ...]
    tz: str | None


@attrs.frozen(eq=False)
class OverviewResult(ResultMixin):
    """What is in an event log or order table: totals, date range, segments, daily series.

    Build it with :func:`describe_events` or :func:`describe_orders`.

    Attributes
    ----------
    kind
        ``"events"`` or ``"orders"``.
    entity
        What the distinct people are called: ``"users"`` or ``"customers"``.
    n_rows
        Rows used (after dropping rows with a missing id, time or required value).
    n_entities
        Distinct users (or customers) in the rows used.
    n_orders
        Distinct order ids (orders with an order column only).
    revenue
        Total revenue of the rows used (orders only).
    start, end
        First and last time seen, in ``tz`` (or the input's own zone; naive if naive).
    tz
        The zone days are read in, or ``None``.
    provenance
        The :class:`OverviewSpec` and the row accounting (rows in, used, dropped by reason).
    """

    kind: Literal["events", "orders"]
    entity: str
    n_rows: int
    n_entities: int
    start: pd.Timestamp
    end: pd.Timestamp
    tz: str | None
    _segments: pd.DataFrame = attrs.field(repr=False, alias="segments")
    _daily: pd.DataFrame = attrs.field(repr=False, alias="daily")
    provenance: Provenance = attrs.field(repr=False)
    n_orders: int | None = None
    revenue: float | None = None

    @property
    def by(self) -> tuple[str, ...]:
        """The segment columns counted."""
        spec = self.provenance.spec
        return spec.by if isinstance(spec, OverviewSpec) else ()

    @property
    def columns(self) -> dict[str, str]:
        """Role → column name used (``{"user": "user_id", "time": "timestamp", ...}``)."""
        spec = self.provenance.spec
        return dict(spec.columns) if isinstance(spec, OverviewSpec) else {}

    @property
    def n_days(self) -> int:
        """Calendar days from the first to the last day with data, inclusive."""
        return len(self._daily)

    @validate_params(dimension=[None, InstanceOf(str, description="a segment column name")])
    def segments(self, dimension: str | None = None) -> pd.DataFrame:
        """Rows, distinct people (and revenue) per value of each segment column.

        Parameters
        ----------
        dimension
            One segment column (or ``"event"`` for event names); ``None`` gives all.

        Returns
        -------
        pandas.DataFrame
            ``dimension``, ``value``, ``rows``, ``share`` (of rows), ``users`` or
            ``customers`` (and ``revenue`` for orders), largest first within a dimension.
        """
        out = self._segments
        if dimension is not None:
            known = list(dict.fromkeys(out["dimension"]))
            if dimension not in known:
                raise ColumnNotFoundError(dimension, known, role="dimension", frame_name="overview")
            out = out[out["dimension"] == dimension].reset_index(drop=True)
        return out.copy()

    def daily(self) -> pd.DataFrame:
        """One row per calendar day (days without data included, as zeros).

        Returns
        -------
        pandas.DataFrame
            ``date`` (midnight, naive, in ``tz``), ``rows``, ``users``/``customers``
            (and ``revenue`` for orders).
        """
        return self._daily.copy()

    def to_frame(self) -> pd.DataFrame:
        """The whole overview in tidy long format.

        Returns
        -------
        pandas.DataFrame
            ``dimension`` (``"total"``, ``"event"``, a segment column or ``"date"``),
            ``level`` (the value as text; ISO dates for ``"date"``), ``metric`` (``"rows"``,
            ``"users"``/``"customers"``, ``"revenue"``...) and ``value`` (float).
        """
        metrics = [m for m in ("rows", self.entity, "revenue") if m in self._segments]
        totals: dict[str, float] = {"rows": self.n_rows, self.entity: self.n_entities}
        if self.n_orders is not None:
            totals["orders"] = self.n_orders
        if self.revenue is not None:
            totals["revenue"] = self.revenue
        total = pd.DataFrame(
            {
                "dimension": "total",
                "level": "all",
                "metric": list(totals),
                "value": np.array(list(totals.values()), dtype=np.float64),
            }
        )
        seg = self._segments.melt(
            id_vars=["dimension", "value"], value_vars=metrics, var_name="metric", value_name="v"
        ).rename(columns={"value": "level", "v": "value"})
        day = self._daily.assign(level=self._daily["date"].dt.strftime("%Y-%m-%d")).melt(
            id_vars=["level"], value_vars=metrics, var_name="metric", value_name="value"
        )
        day.insert(0, "dimension", "date")
        out = pd.concat([total, seg, day], ignore_index=True)
        out["value"] = out["value"].astype(np.float64)
        return out[["dimension", "level", "metric", "value"]]

    def date_range_text(self) -> str:
        """The date range for reading, e.g. ``"2026-03-01 → 2026-03-31 (Asia/Shanghai)"``."""
        zone = self.tz or (str(self.start.tz) if self.start.tz is not None else None)
        where = f" ({zone})" if zone else ""
        return f"{self.start:%Y-%m-%d} → {self.end:%Y-%m-%d}{where}"

    def summary(self) -> Summary:
        """Key facts, the largest values per segment, and the rows dropped and why."""
        acc = next(iter(self.provenance.inputs.values()))
        facts: list[tuple[str, str]] = [
            ("rows", f"{acc.rows_in:,} in, {acc.rows_used:,} used, {acc.rows_dropped:,} dropped"),
            (self.entity, f"{self.n_entities:,}"),
        ]
        if self.n_orders is not None:
            facts.append(("orders", f"{self.n_orders:,}"))
        if self.revenue is not None:
            facts.append(("revenue", f"{self.revenue:,.2f}"))
        facts.append(("date range", f"{self.date_range_text()}, {self.n_days:,} days"))
        for dim in dict.fromkeys(self._segments["dimension"]):
            seg = self._segments[self._segments["dimension"] == dim]
            top = seg.iloc[0]
            facts.append(
                (dim, f"{len(seg):,} values; largest {top['value']} ({top['share']:.1%} of rows)")
            )
        table = self._segments[["dimension", "value", "rows", "share", self.entity]].copy()
        table["share"] = table["share"].map("{:.1%}".format)
        notes = tuple(str(d) for d in acc.dropped) + self.provenance.notes
        title = "Data overview: " + self.kind
        return Summary(title, facts=tuple(facts), table=table.reset_index(drop=True), notes=notes)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Daily rows and distinct people as two lines on one time axis.

        Parameters
        ----------
        ax
            Axes to draw on; a new figure when ``None``.
        **kwargs
            Passed to :meth:`matplotlib.axes.Axes.plot` for both lines (e.g. ``linewidth``).

        Returns
        -------
        matplotlib.axes.Axes
        """
        # Imported here so that importing the library never loads matplotlib.
        import matplotlib.dates as mdates
        from matplotlib.ticker import FuncFormatter

        ax = get_axes(ax)
        daily = self._daily
        x = daily["date"].to_numpy()
        rows_label = "events" if self.kind == "events" else "orders"
        if self.n_orders is not None and self.n_orders != self.n_rows:
            rows_label = "order rows"  # one row per order line
        width = float(kwargs.pop("linewidth", 1.8))
        marker = "o" if len(daily) <= 45 else None
        # People drawn dashed under the rows line: when the two coincide (one order per
        # customer and day) both stay visible.
        ax.plot(
            x,
            daily[self.entity].to_numpy(),
            label=f"{self.entity} per day",
            color=PALETTE[1],
            linestyle="--",
            linewidth=width,
            marker=marker,
            markersize=3,
            zorder=3,
            **kwargs,
        )
        ax.plot(
            x,
            daily["rows"].to_numpy(),
            label=f"{rows_label} per day",
            color=PALETTE[0],
            linewidth=width,
            marker=marker,
            markersize=3,
            zorder=2,
            **kwargs,
        )
        ax.fill_between(x, daily["rows"].to_numpy(), color=PALETTE[0], alpha=0.08, zorder=1)
        locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        span = len(daily)
        fmt = "%d %b" if span <= 180 else "%b %Y" if span <= 3 * 366 else "%Y"
        ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))  # type: ignore[no-untyped-call]
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        top = float(daily["rows"].max()) if len(daily) else 1.0
        ax.set_ylim(0, max(top, 1.0) * 1.25)  # headroom for the legend
        if len(x):
            ax.set_xlim(x[0], x[-1])
        zone = f" ({self.tz})" if self.tz else ""
        ax.set_xlabel(f"day{zone}")
        ax.set_ylabel("count")
        handles, labels = ax.get_legend_handles_labels()
        # Rows first in the legend, as in the title.
        ax.legend(handles[::-1], labels[::-1], loc="upper left", frameon=False, ncols=2)
        what = "Events" if self.kind == "events" else "Orders"
        style_axes(ax)
        # Bold: DejaVu Sans has no semibold weight (matplotlib would log a findfont warning).
        title = f"{what} and {self.entity} per day, {self.date_range_text()}"
        ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
        return ax
