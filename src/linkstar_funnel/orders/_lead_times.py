"""Lead times between order steps: Kaplan-Meier quantiles and the share over an SLA."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import validate_params
from .._times import NAT
from ..errors import DataQualityWarning, EmptyFrameError, ParameterError
from ..results import Provenance, ResultMixin, Summary
from ..stats import wilson_interval
from ._km import km_quantiles
from ._observe import BENCHMARK, PERIOD, groups, observations, period_start
from ._read import OrderTimes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..benchmark import Benchmark, BenchmarkComparisonResult

__all__ = ["LeadTimeSpec", "LeadTimesResult", "lead_times"]

IntArray = npt.NDArray[np.int64]
#: Quantiles reported, and their column names.
QUANTILES: tuple[tuple[str, float], ...] = (("median", 0.5), ("p75", 0.75), ("p90", 0.9))


@attrs.frozen
class LeadTimeSpec:
    """What :meth:`Timeline.lead_times` was asked: step pairs, SLAs, segments, alpha."""

    pairs: tuple[str, ...]
    sla: Mapping[str, pd.Timedelta] = attrs.field(factory=dict, eq=False)
    by: tuple[str, ...] = ()
    alpha: float = 0.05
    observation_end: pd.Timestamp | None = None


def _pair_arrays(data: OrderTimes, start: str, stop: str) -> dict[str, npt.NDArray[Any]]:
    """Per order: its duration from ``start`` to ``stop`` and how it ended."""
    end = data.end_ns
    t0 = data.time_of(start)
    t1 = data.time_of(stop)
    on = (t0 != NAT) & (t0 <= end)
    reached = on & (t1 != NAT) & (t1 <= end)
    backwards = reached & (t1 < t0)
    completed = reached & ~backwards
    waiting = on & ~reached
    skipped = np.zeros(len(t0), dtype=bool)
    for s in data.steps[data.steps.index(stop) + 1 :]:
        t = data.time_of(s)
        skipped |= (t != NAT) & (t <= end)
    missing = waiting & skipped
    censor_at = np.full(len(t0), end, dtype=np.int64)
    ended = np.zeros(len(t0), dtype=bool)
    for o in data.outcomes:  # an order refunded or cancelled first will not reach the step
        t = data.time_of(o)
        hit = (t != NAT) & (t <= end) & (t >= t0) & (t <= censor_at)
        censor_at = np.where(hit, t, censor_at)
        ended |= hit
    open_ = waiting & ~missing
    stopped = open_ & ended
    base = np.where(on, t0, 0)
    duration = np.where(completed, np.where(completed, t1, 0) - base, 0)
    duration = np.where(open_, censor_at - base, duration)
    return {
        "in_pair": completed | open_ | backwards | missing,
        "start": t0,
        "duration": duration,
        "completed": completed,
        "open": open_ & ~stopped,
        "stopped": stopped,
        "left_out": backwards | missing,
    }


def lead_times(
    data: OrderTimes,
    pairs: list[tuple[str, str]],
    sla: Mapping[str, pd.Timedelta],
    by: tuple[str, ...],
    alpha: float,
    spec: LeadTimeSpec,
    provenance: Provenance,
) -> LeadTimesResult:
    """Lead times of each pair per segment (see :meth:`Timeline.lead_times`)."""
    segs = groups(data.segments, by, len(data.order))
    group_of = np.empty(len(data.order), dtype=np.int64)
    for gi, (_, pos) in enumerate(segs):
        group_of[pos] = gi
    rows: list[dict[str, Any]] = []
    parts = []
    for a, b in pairs:
        name = f"{a}->{b}"
        arr = _pair_arrays(data, a, b)
        limit = sla.get(name)
        ok = arr["in_pair"] & ~arr["left_out"]
        for gi, (labels, _) in enumerate(segs):
            mine = arr["in_pair"] & (group_of == gi)
            use = mine & ok
            if not use.any():
                continue
            dur, done = arr["duration"][use], arr["completed"][use]
            values, known = km_quantiles(dur, done, tuple(p for _, p in QUANTILES))
            row: dict[str, Any] = dict(zip(by, labels, strict=True))
            row.update(
                pair=name,
                orders=int(use.sum()),
                completed=int(done.sum()),
                open=int(arr["open"][use].sum()),
                stopped=int(arr["stopped"][use].sum()),
                left_out=int((mine & ~ok).sum()),
            )
            for (q, _), v, k in zip(QUANTILES, values, known, strict=True):
                row[q] = int(v) if k else NAT
            if limit is not None:
                over, decided = _over(dur, done, limit)
                row.update(sla=limit, over_sla=over, decided=decided)
            rows.append(row)
        keep = np.flatnonzero(arr["in_pair"])
        rec = pd.DataFrame({k: v[keep] for k, v in arr.items() if k != "in_pair"})
        rec.insert(0, "pair", name)
        for k in by:
            rec[k] = data.segments[k].to_numpy()[keep]
        parts.append(rec)
    if not rows:
        msg = (
            f"No order has a usable lead time for {[f'{a}->{b}' for a, b in pairs]} by "
            "observation_end: no order reached a pair's first step, or every such order's "
            "times contradict each other."
        )
        raise EmptyFrameError(msg)
    records = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame(rows)
    for q, _ in QUANTILES:
        table[q] = table[q].to_numpy(np.int64).view("m8[ns]")
    if sla:
        table["sla"] = np.array([v.value for v in table["sla"]], dtype=np.int64).view("m8[ns]")
        table = _shares(table, alpha)
    _warn_unknown(table)
    return LeadTimesResult(
        table=table, records=records, spec=spec, by=by, tz=data.tz, provenance=provenance
    )


def _over(dur: IntArray, completed: npt.NDArray[np.bool_], limit: pd.Timedelta) -> tuple[int, int]:
    """Orders known to be over the SLA, and orders whose side of it is known."""
    over = dur > limit.value
    decided = completed | over  # an open order past the SLA is over it already
    return int(over[decided].sum()), int(decided.sum())


def _shares(table: pd.DataFrame, alpha: float) -> pd.DataFrame:
    over = table["over_sla"].to_numpy(np.float64)
    decided = table["decided"].to_numpy(np.float64)
    share = np.full(len(table), np.nan)
    low = np.full(len(table), np.nan)
    high = np.full(len(table), np.nan)
    ok = decided > 0
    if ok.any():
        share[ok] = over[ok] / decided[ok]
        low[ok], high[ok] = wilson_interval(over[ok], decided[ok], alpha=alpha)
    table["share_over_sla"], table["ci_low"], table["ci_high"] = share, low, high
    if not ok.all():
        warnings.warn(
            f"share_over_sla is NaN in {int((~ok).sum())} row(s): every order there is "
            "still open and within its SLA, so no order's side of the SLA is known yet.",
            DataQualityWarning,
            stacklevel=4,
        )
    return table


def _warn_unknown(table: pd.DataFrame) -> None:
    unknown = {name: int(table[name].isna().sum()) for name, _ in QUANTILES}
    if any(unknown.values()):
        said = ", ".join(f"{k} in {v}" for k, v in unknown.items() if v)
        warnings.warn(
            f"Lead-time quantiles are unknown (NaT) where too many orders are still open for "
            f"the Kaplan-Meier estimate to reach them: {said} row(s).",
            DataQualityWarning,
            stacklevel=4,
        )


@attrs.frozen(eq=False)
class LeadTimesResult(ResultMixin):
    """Lead times between order steps per segment, open orders censored.

    Attributes
    ----------
    table
        See :meth:`to_frame`.
    records
        One row per order and step pair: ``pair``, ``start`` (ns), ``duration`` (ns, to
        the step or to censoring), ``completed``, ``open``, ``stopped``, ``left_out``,
        segments.
    spec
        The :class:`LeadTimeSpec`.
    by
        The segment columns.
    tz
        The zone of the times (``None`` for naive times).
    provenance
        The timeline's rows and data-quality findings.
    """

    table: pd.DataFrame
    records: pd.DataFrame
    spec: LeadTimeSpec
    by: tuple[str, ...]
    tz: Any
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """``[by...]``, ``pair`` (``"paid->shipped"``), ``orders`` (in the estimate),
        ``completed``, ``open`` (still open at ``observation_end``: censored), ``stopped``
        (refunded, returned or cancelled first: censored then), ``left_out`` (times
        contradicting each other), ``median``, ``p75``, ``p90`` (Kaplan-Meier, as
        timedeltas; NaT where the estimate never gets there), and with ``sla``: ``sla``,
        ``over_sla``, ``decided`` (orders whose side of the SLA is known),
        ``share_over_sla`` = over_sla / decided, ``ci_low``/``ci_high`` (Wilson). A copy."""
        return self.table.copy()

    def rate_observations(self) -> pd.DataFrame:
        """The share over SLA as rate observations (the ``RateSource`` protocol).

        One row per pair with an SLA and segment: ``stage`` = ``"<pair> over SLA"``,
        ``base`` = the pair's first step, ``step`` = True, ``successes`` = orders over the
        SLA, ``trials`` = orders whose side of the SLA is known.

        Raises
        ------
        ParameterError
            The lead times were computed without ``sla``.
        """
        self._need_sla()
        t = self.table.loc[self.table["sla"].notna()]
        frame = pd.DataFrame({k: t[k].to_numpy() for k in self.by})
        frame["stage"] = [f"{p} over SLA" for p in t["pair"]]
        frame["base"] = [str(p).split("->")[0] for p in t["pair"]]
        frame["step"] = True
        frame["successes"] = t["over_sla"].to_numpy()
        frame["trials"] = t["decided"].to_numpy()
        return observations(frame, self.by, "lead times with an SLA")

    @validate_params(period=PERIOD)
    def trend_observations(self, period: str = "D", tz: str | None = None) -> pd.DataFrame:
        """The share over SLA per period of the first step, as rate observations.

        For ``lf.monitor.detect(obs, date="period", metric="stage", by=...)`` or
        ``Benchmark.from_history``. Orders of the last days are mostly undecided (within
        their SLA, still open) and are left out, so recent periods have few trials rather
        than a biased share.

        Parameters
        ----------
        period
            ``"D"``, ``"W"`` or ``"M"``, of the time at the pair's first step.
        tz
            Zone to read periods in (default: the data's own).
        """
        self._need_sla()
        rec = self.records.loc[
            ~self.records["left_out"] & self.records["pair"].isin(list(self.spec.sla))
        ]
        limit = np.array([self.spec.sla[p].value for p in rec["pair"]], dtype=np.int64)
        over = rec["duration"].to_numpy() > limit
        decided = rec["completed"].to_numpy() | over
        frame = rec[list(self.by)].copy() if self.by else pd.DataFrame(index=rec.index)
        frame.insert(0, "period", period_start(rec["start"].to_numpy(), self.tz, period, tz))
        frame["stage"] = [f"{p} over SLA" for p in rec["pair"]]
        frame["base"] = [str(p).split("->")[0] for p in rec["pair"]]
        frame["successes"] = (over & decided).astype(np.int64)
        frame["trials"] = decided.astype(np.int64)
        keys = ["period", *self.by, "stage", "base"]
        out = frame.groupby(keys, dropna=False, sort=True, observed=True)[
            ["successes", "trials"]
        ].sum()
        out = out.reset_index()
        out = out.loc[out["trials"] > 0]
        out["step"] = True
        out = out[[*keys, "step", "successes", "trials"]]
        return observations(out, self.by, "decided orders")

    @validate_params(bench=BENCHMARK)
    def compare(self, bench: Benchmark, **kwargs: Any) -> BenchmarkComparisonResult:
        """Compare the share over SLA with a benchmark: ``bench.compare(self, **kwargs)``."""
        return bench.compare(self, **kwargs)

    def _need_sla(self) -> None:
        if "sla" not in self.table.columns:
            msg = (
                "These lead times were computed without sla=, so there is no share over an "
                "SLA to observe.\nHint: tl.lead_times(sla={'paid->shipped': '2D'})."
            )
            raise ParameterError(msg)

    def summary(self) -> Summary:
        """Orders, open orders and the median of each pair."""
        t = self.table
        facts = (
            ("pairs", ", ".join(dict.fromkeys(t["pair"].astype(str)))),
            ("orders (all pairs)", f"{int(t['orders'].sum()):,}"),
            ("still open (censored)", f"{int(t['open'].sum()):,}"),
            ("left out (contradicting times)", f"{int(t['left_out'].sum()):,}"),
            ("observation_end", str(self.spec.observation_end)),
        )
        cols = [*self.by, "pair", "orders", "open", "median", "p90"]
        cols += [c for c in ("share_over_sla",) if c in t.columns]
        return Summary("Order lead times", facts, t[cols].head(10), tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Median (bar) and 90th percentile (tick) per pair and segment, in days."""
        from ..plotting import PALETTE, get_axes, style_axes

        ax = get_axes(ax)
        t = self.table
        labels = [
            " ".join([str(p), *(str(t[k].iloc[i]) for k in self.by)])
            for i, p in enumerate(t["pair"])
        ]
        day = pd.Timedelta(days=1)
        median = t["median"].dt.total_seconds().to_numpy(np.float64) / day.total_seconds()
        p90 = t["p90"].dt.total_seconds().to_numpy(np.float64) / day.total_seconds()
        y = np.arange(len(t))
        ax.barh(y, np.nan_to_num(median), color=PALETTE[0], label="median", **kwargs)
        ax.plot(p90, y, "|", color=PALETTE[3], markersize=12, label="p90")
        ax.set_yticks(y, labels)
        ax.set_xlabel("days")
        ax.legend(loc="lower right")
        return style_axes(ax, title="Lead times", grid_axis="x")
