"""Refund, return and cancel rates of orders, with Wilson intervals."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import Duration, validate_params
from .._times import NAT
from .._validators import format_duration
from ..errors import DataQualityWarning, EmptyFrameError
from ..results import Provenance, ResultMixin, Summary
from ..stats import wilson_interval
from ._observe import BENCHMARK, PERIOD, groups, observations, period_start
from ._read import OrderTimes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..benchmark import Benchmark, BenchmarkComparisonResult

__all__ = ["OrderRatesResult", "RateSpec", "order_rates", "rate_base"]


@attrs.frozen
class RateSpec:
    """What :meth:`Timeline.rates` was asked: segments and alpha."""

    by: tuple[str, ...] = ()
    alpha: float = 0.05
    observation_end: pd.Timestamp | None = None
    settle: pd.Timedelta | None = None


def rate_base(data: OrderTimes, outcome: str) -> str:
    """The step an outcome's rate is measured from: returns from delivery, others from the
    first step (payment)."""
    if outcome == "returned" and "delivered" in data.steps:
        return "delivered"
    return data.steps[0]


def order_rates(
    data: OrderTimes, by: tuple[str, ...], alpha: float, spec: RateSpec, provenance: Provenance
) -> OrderRatesResult:
    """Outcome rates per segment (see :meth:`Timeline.rates`)."""
    if not data.outcomes:
        msg = (
            "The timeline has no refund, return or cancel times, so there is no rate to "
            "measure.\nHint: pass refunded=, returned= or cancelled= when building it."
        )
        raise EmptyFrameError(msg)
    end = data.end_ns
    latest = end - (spec.settle.value if spec.settle is not None else 0)
    wait = format_duration(spec.settle) if spec.settle is not None else ""
    segs = groups(data.segments, by, len(data.order))
    group_of = np.empty(len(data.order), dtype=np.int64)
    for gi, (_, pos) in enumerate(segs):
        group_of[pos] = gi
    parts = []
    rows_out: list[dict[str, Any]] = []
    for outcome in data.outcomes:
        base = rate_base(data, outcome)
        t0, t1 = data.time_of(base), data.time_of(outcome)
        on = (t0 != NAT) & (t0 <= latest)
        unsettled = int(((t0 != NAT) & (t0 > latest) & (t0 <= end)).sum())
        if unsettled:
            note = (
                f"{unsettled:,} orders with {base!r} within settle ("
                f"{wait}) of observation_end left out of the "
                f"{outcome} rate"
            )
            provenance = attrs.evolve(provenance, notes=(*provenance.notes, note))
        happened = on & (t1 != NAT) & (t1 <= end)
        early = happened & (t1 < t0)
        success = happened & ~early
        for gi, (labels, _) in enumerate(segs):
            mine = on & (group_of == gi)
            if not mine.any():
                continue
            row: dict[str, Any] = dict(zip(by, labels, strict=True))
            row.update(
                outcome=outcome,
                base=base,
                successes=int((mine & success).sum()),
                trials=int((mine & ~early).sum()),
                left_out=int((mine & early).sum()),
            )
            rows_out.append(row)
        rows = np.flatnonzero(on)
        rec = pd.DataFrame(
            {
                "outcome": outcome,
                "base": base,
                "start": t0[rows],
                "success": success[rows],
                "left_out": early[rows],
            }
        )
        for k in by:
            rec[k] = data.segments[k].to_numpy()[rows]
        parts.append(rec)
    if not rows_out:
        msg = f"No order reached {data.steps[0]!r} by observation_end: there is no rate to measure."
        raise EmptyFrameError(msg)
    records = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame(rows_out)
    x = table["successes"].to_numpy(np.float64)
    n = table["trials"].to_numpy(np.float64)
    rate, low, high = (np.full(len(table), np.nan) for _ in range(3))
    ok = n > 0
    if ok.any():
        rate[ok] = x[ok] / n[ok]
        low[ok], high[ok] = wilson_interval(x[ok], n[ok], alpha=alpha)
    if not ok.all():
        warnings.warn(
            f"rate is NaN in {int((~ok).sum())} row(s): every order there has its outcome "
            "time before its base step's time (left out).",
            DataQualityWarning,
            stacklevel=4,
        )
    table["rate"], table["ci_low"], table["ci_high"] = rate, low, high
    return OrderRatesResult(table, records, spec, by, data.tz, provenance)


@attrs.frozen(eq=False)
class OrderRatesResult(ResultMixin):
    """Refund, return and cancel rates per segment, with Wilson intervals.

    Attributes
    ----------
    table
        See :meth:`to_frame`.
    records
        One row per order and outcome: ``outcome``, ``base``, ``start`` (ns, the base
        step's time), ``success``, ``left_out``, segments.
    spec
        The :class:`RateSpec`.
    by
        The segment columns.
    tz
        The zone of the times (``None`` for naive times).
    provenance
        The timeline's rows and data-quality findings.
    """

    table: pd.DataFrame
    records: pd.DataFrame
    spec: RateSpec
    by: tuple[str, ...]
    tz: Any
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``[by...]``, ``outcome`` (``"refunded"``, ``"returned"``, ``"cancelled"``),
        ``base`` (the step measured from: ``"delivered"`` for returns, the first step
        otherwise), ``successes`` (orders with the outcome), ``trials`` (orders at the base
        step by ``observation_end``, less ``settle``), ``left_out`` (outcome before the base step: not
        counted), ``rate``, ``ci_low``, ``ci_high`` (Wilson, ``1 - alpha``). A copy."""
        return self.table.copy()

    def rate_observations(self) -> pd.DataFrame:
        """The rates as rate observations (the ``RateSource`` protocol): ``stage`` = the
        outcome, ``base``, ``step`` = True, ``successes``, ``trials``, segments."""
        t = self.table
        frame = pd.DataFrame({k: t[k].to_numpy() for k in self.by})
        frame["stage"] = t["outcome"].to_numpy()
        frame["base"] = t["base"].to_numpy()
        frame["step"] = True
        frame["successes"] = t["successes"].to_numpy()
        frame["trials"] = t["trials"].to_numpy()
        return observations(frame, self.by, "rates")

    @validate_params(period=PERIOD, settle=[None, Duration()])
    def trend_observations(
        self, period: str = "D", tz: str | None = None, *, settle: str | None = None
    ) -> pd.DataFrame:
        """Rates per period of the base step, as rate observations (``period`` column).

        For ``lf.monitor.detect(obs, date="period", metric="stage", by=...)`` (a daily
        refund rate) or ``Benchmark.from_history``. Refunds come days after payment, so
        the last periods read low until their orders have had time: leave them out with
        ``settle``.

        Parameters
        ----------
        period
            ``"D"``, ``"W"`` or ``"M"``, of the base step's time.
        tz
            Zone to read periods in (default: the data's own).
        settle
            Leave out orders whose base step is less than this long before
            ``observation_end`` (``"30D"``): their outcomes are mostly still to come.

        Raises
        ------
        EmptyFrameError
            No order is left (every one within ``settle`` of the end).
        """
        rec = self.records.loc[~self.records["left_out"]]
        if settle is not None:
            end = self.spec.observation_end
            assert end is not None  # set by Timeline.rates
            rec = rec.loc[rec["start"].to_numpy() <= end.value - pd.Timedelta(settle).value]
        frame = rec[list(self.by)].copy() if self.by else pd.DataFrame(index=rec.index)
        frame.insert(0, "period", period_start(rec["start"].to_numpy(), self.tz, period, tz))
        frame["stage"] = rec["outcome"].to_numpy()
        frame["base"] = rec["base"].to_numpy()
        frame["successes"] = rec["success"].to_numpy().astype(np.int64)
        frame["trials"] = 1
        keys = ["period", *self.by, "stage", "base"]
        out = frame.groupby(keys, dropna=False, sort=True, observed=True)[
            ["successes", "trials"]
        ].sum()
        out = out.reset_index()
        out["step"] = True
        out = out[[*keys, "step", "successes", "trials"]]
        return observations(out, self.by, f"orders settled for {settle}")

    @validate_params(bench=BENCHMARK)
    def compare(self, bench: Benchmark, **kwargs: Any) -> BenchmarkComparisonResult:
        """Compare the rates with a benchmark: ``bench.compare(self, **kwargs)``."""
        return bench.compare(self, **kwargs)

    def summary(self) -> Summary:
        """The rate of each outcome over all segments, and the table's first rows."""
        t = self.table
        totals = t.groupby("outcome", sort=False)[["successes", "trials"]].sum()
        facts = tuple(
            (f"{o} / {t.loc[t['outcome'] == o, 'base'].iloc[0]}",
             f"{int(r.successes):,} of {int(r.trials):,}")
            for o, r in totals.iterrows()
        )  # fmt: skip
        cols = [*self.by, "outcome", "successes", "trials", "rate", "ci_low", "ci_high"]
        return Summary(
            "Order outcome rates", facts, t[cols].head(10), tuple(self.provenance.lines())
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Each rate with its interval, per outcome and segment."""
        from ..plotting import PALETTE, get_axes, percent_axis, style_axes

        ax = get_axes(ax)
        t = self.table
        labels = [
            " ".join([str(o), *(str(t[k].iloc[i]) for k in self.by)])
            for i, o in enumerate(t["outcome"])
        ]
        y = np.arange(len(t))
        rate = t["rate"].to_numpy(np.float64)
        err = np.clip(
            np.vstack([rate - t["ci_low"].to_numpy(), t["ci_high"].to_numpy() - rate]), 0, 1
        )
        ax.errorbar(rate, y, xerr=np.nan_to_num(err), fmt="o", color=PALETTE[0], **kwargs)
        ax.set_yticks(y, labels)
        percent_axis(ax, "x")
        return style_axes(ax, title="Order outcome rates", grid_axis="x")
