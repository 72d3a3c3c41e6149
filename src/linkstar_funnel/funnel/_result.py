"""The :class:`FunnelResult`: counts and rates per stage and segment, plus the drill-down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import Options, Real, Satisfies, validate_params
from ..errors import SchemaError
from ..results import Provenance, ResultMixin, Summary
from ..schema import RowAccounting
from ._checks import PERIOD, TZ
from ._entries import EntryCounts, trends_frame
from ._exports import FunnelExports
from ._insights import FunnelInsights

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..experiment import ExperimentResult

__all__ = ["Attempts", "FunnelResult", "Segments", "StepDurations", "counts_frame"]

IntArray = npt.NDArray[np.int64]
NOT_REACHED = "(not reached)"
OTHER = "other"
_NAT = np.iinfo(np.int64).min
_QUANTILES = Satisfies(
    lambda v: (
        isinstance(v, list | tuple | np.ndarray)
        and np.ndim(v) == 1
        and all(Real(0, 1).accepts(q) for q in v)
        and len(set(map(float, v))) == len(v)
    ),
    "a list of distinct numbers in [0, 1]",
)


@attrs.frozen(eq=False)
class Segments:
    """Final segments: one label row per segment, each record's segment code, and the map
    from an engine's segment codes (-1: none) to the final ones (-1: not in the funnel)."""

    labels: pd.DataFrame
    codes: IntArray
    remap: IntArray

    def of(self, engine_codes: IntArray) -> IntArray:
        """Final codes of engine segment codes (the engine's ``-1`` is "(not reached)")."""
        n = len(self.remap) - 1
        return self.remap[np.where(engine_codes < 0, n, engine_codes)]

    @classmethod
    def build(
        cls,
        by: tuple[str, ...],
        labels: pd.DataFrame,
        codes: IntArray,
        level: npt.NDArray[np.int8],
        top_n: int | None,
        weights: IntArray | None = None,
    ) -> Segments:
        """Add a "(not reached)" segment for code -1 and fold small segments into "other"
        (``weights``: records per row, default 1)."""
        if not by:
            zeros = np.zeros(len(level), dtype=np.int64)
            return cls(pd.DataFrame(index=range(1)), zeros, np.zeros(1, dtype=np.int64))
        labels = labels.astype(object)
        n = len(labels)
        codes = np.where(codes < 0, n, codes)
        labels = pd.concat(
            [labels, pd.DataFrame({b: [NOT_REACHED] for b in by})], ignore_index=True
        )
        w = None if weights is None else weights[level >= 1]
        size = np.bincount(codes[level >= 1], weights=w, minlength=n + 1)
        # Segments of entities in the funnel (level 0: never entered; -1: excluded, counted).
        used = np.flatnonzero(np.bincount(codes[(level > 0) | (level == -1)], minlength=n + 1))
        if top_n is not None and len(used) > top_n:
            ranked = used[np.lexsort((used, -size[used]))]
            keep = np.sort(ranked[:top_n])
            remap = np.full(n + 1, len(keep), dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            remap[np.setdiff1d(np.arange(n + 1), used)] = -1
            other = pd.DataFrame({b: [OTHER] for b in by})
            labels = pd.concat([labels.iloc[keep], other], ignore_index=True)
            return cls(_missing_as_none(labels), remap[codes], remap)
        remap = np.full(n + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        labels = _missing_as_none(labels.iloc[used].reset_index(drop=True))
        return cls(labels, remap[codes], remap)


def _missing_as_none(labels: pd.DataFrame) -> pd.DataFrame:
    """Missing segment values as ``None`` (concatenation may have turned them into NaN)."""
    labels = labels.astype(object)
    return labels.where(labels.notna(), None)


def counts_frame(
    stages: Sequence[str],
    seg_labels: pd.DataFrame,
    codes: IntArray,
    level: npt.NDArray[np.integer[Any]],
    weights: IntArray | None = None,
) -> pd.DataFrame:
    """Entities reaching each step, per segment: ``[by...], stage, step, users``
    (``weights``: entities per row, default 1)."""
    k_n = len(stages)
    ok = (level >= 0) & (codes >= 0)
    g_n = len(seg_labels)
    table = np.bincount(
        codes[ok] * (k_n + 1) + level[ok].astype(np.int64),
        weights=None if weights is None else weights[ok],
        minlength=g_n * (k_n + 1),
    ).reshape(g_n, k_n + 1)
    table = np.rint(table).astype(np.int64)
    reach = np.cumsum(table[:, ::-1], axis=1)[:, ::-1][:, 1:]
    return tidy_counts(stages, seg_labels, reach)


def tidy_counts(stages: Sequence[str], seg_labels: pd.DataFrame, reach: IntArray) -> pd.DataFrame:
    """Long frame from a (segments x stages) count matrix, with rates and drop-off.

    A rate whose base is 0 (nobody reached the previous, or first, stage) is 0: nobody
    converted. The table never holds NaN; ``users`` and ``drop_off`` show the empty base.
    """
    g_n, k_n = reach.shape
    users = reach.astype(np.int64)
    prev = np.concatenate([users[:, :1], users[:, :-1]], axis=1)
    first = users[:, :1]
    from_prev = users / np.where(prev > 0, prev, 1)  # users is 0 wherever prev is
    from_start = users / np.where(first > 0, first, 1)
    out = seg_labels.loc[np.repeat(np.arange(g_n), k_n)].reset_index(drop=True)
    out["stage"] = np.tile(np.asarray(stages, dtype=object), g_n)
    out["step"] = np.tile(np.arange(1, k_n + 1), g_n)
    out["users"] = users.ravel()
    out["conversion_from_previous"] = from_prev.ravel()
    out["conversion_from_start"] = from_start.ravel()
    out["drop_off"] = (prev - users).ravel()
    return out


@attrs.frozen(eq=False)
class Attempts:
    """Per-entity (per-attempt with ``counting="totals"``) outcomes, for the drill-down.

    Reach times and chain starts are stored ragged: attempt ``i`` reached steps
    ``0 .. n_i - 1`` (``n_i = offsets[i+1] - offsets[i]``), their times at
    ``reach_ns[offsets[i]:offsets[i+1]]``.
    """

    level: npt.NDArray[np.int8]
    segment: IntArray
    segment_labels: pd.DataFrame
    offsets: IntArray
    reach_ns: IntArray
    start_ns: IntArray
    tz: str | dt.tzinfo | None
    user_labels: dict[str, pd.Index]
    in_funnel: npt.NDArray[np.bool_] | None = None
    data_end_ns: int = 0
    window_ns: int = 0

    def step(self, values: IntArray, s: int) -> tuple[npt.NDArray[np.bool_], IntArray]:
        """Which attempts reached step ``s`` (0-based; exclusions dropped), and their
        ``values`` there."""
        ok = (np.diff(self.offsets) > s) & (self.level >= 0)
        return ok, values[self.offsets[:-1][ok] + s]

    def dense(self, values: IntArray, s: int) -> IntArray:
        """``values`` at step ``s`` for every attempt (NaT marker where not reached)."""
        ok = np.diff(self.offsets) > s
        out = np.full(len(ok), _NAT, dtype=np.int64)
        out[ok] = values[self.offsets[:-1][ok] + s]
        return out

    def times(self, ns: IntArray) -> pd.Series[Any]:
        """Nanoseconds (NaT marker allowed) as datetimes in the input's zone."""
        idx = pd.DatetimeIndex(ns.view("datetime64[ns]"))
        if self.tz is not None:
            idx = idx.tz_localize("UTC").tz_convert(self.tz)
        return pd.Series(idx)


class StepDurations(Protocol):
    """Per step k = 2..K (element ``k - 2``), nanoseconds for each entity reaching k:
    chain duration (``to_convert``) and time since first reaching k - 1
    (``between_steps``)."""

    @property
    def to_convert(self) -> Sequence[IntArray]: ...

    @property
    def between_steps(self) -> Sequence[IntArray]: ...


@attrs.frozen(eq=False)
class FunnelResult(FunnelInsights, FunnelExports, ResultMixin):
    """Users (or sessions, or attempts) reaching each stage, with rates, per segment.

    Built by :meth:`Funnel.compute` (from events) or :meth:`Funnel.from_counts` (from
    aggregated counts; no drill-down or times then). Also a benchmark ``RateSource``
    (:meth:`rate_observations`, :meth:`compare`) and a KPI ``NodeSource``
    (:meth:`kpi_values`).
    """

    stages: tuple[str, ...]
    counts: pd.DataFrame
    by: tuple[str, ...]
    provenance: Provenance
    attempts: Attempts | None = None
    excluded: int = 0
    #: Entry counts for :meth:`trends` (computed on first use); None without events.
    entries: Callable[[], EntryCounts] | None = None
    #: Durations for :meth:`time_to_convert` and :meth:`time_between_steps` (computed on
    #: first use; None: not available, e.g. without events).
    durations: Callable[[], StepDurations | None] | None = None

    @classmethod
    def build(
        cls,
        *,
        spec: Any,
        counts: pd.DataFrame,
        by: tuple[str, ...],
        attempts: Attempts | None,
        accounting: RowAccounting | None,
        excluded: int = 0,
        entries: Callable[[], EntryCounts] | None = None,
        durations: Callable[[], StepDurations | None] | None = None,
        notes: Sequence[str] = (),
    ) -> FunnelResult:
        """Assemble a result with its provenance (``notes``: an engine's, after the
        funnel's own)."""
        lines: list[str] = []
        if excluded:
            lines.append(f"{excluded:,} entities dropped by exclusion steps")
        counting = getattr(spec, "counting", "users")
        if counting != "users":
            lines.append(f"the 'users' column counts {counting} (counting={counting!r})")
        inputs = {"events": accounting} if accounting is not None else {}
        stages = tuple(counts["stage"].iloc[: len(counts["stage"].unique())])
        return cls(
            stages=stages,
            counts=counts,
            by=by,
            provenance=Provenance(spec=spec, inputs=inputs, notes=(*lines, *notes)),
            attempts=attempts,
            excluded=excluded,
            entries=entries,
            durations=durations,
        )

    # ------------------------------------------------------------------ tables

    def to_frame(self) -> pd.DataFrame:
        """Tidy counts: ``[by...], stage, step, users, conversion_from_previous,
        conversion_from_start, drop_off`` (a fresh copy).

        Rates are shares of the previous (first) stage's users; where that stage was
        reached by nobody in the segment, the rate is 0 (nobody converted), never NaN.
        """
        return self.counts.copy()

    def experiment(self, control: object, **kwargs: Any) -> ExperimentResult:
        """Every step's conversion per variant (the ``by`` column) against ``control``.

        A thin front to :func:`linkstar_funnel.experiment.compare_funnel` (its keywords:
        ``method``, ``alpha``, ``rate``, ``absolute``, ``correction``, ``weights``...) on
        this result's counts; the funnel must be computed with ``by=`` the variant column
        alone. Entities with no variant ("(not reached)") are left out.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> import linkstar_funnel as lf
        >>> rng = np.random.default_rng(0)
        >>> users = np.arange(4_000)
        >>> variant = np.where(users % 2 == 0, "control", "B")
        >>> cart = rng.random(4_000) < np.where(variant == "B", 0.12, 0.08)
        >>> events = pd.DataFrame({
        ...     "user_id": np.concatenate([users, users[cart]]),
        ...     "timestamp": pd.Timestamp("2026-01-05")
        ...     + pd.to_timedelta(np.r_[np.zeros(4_000), np.ones(cart.sum())], unit="h"),
        ...     "event": ["visit"] * 4_000 + ["add_to_cart"] * int(cart.sum()),
        ...     "variant": np.r_[variant, variant[cart]]})
        >>> funnel = lf.Funnel(["visit", "add_to_cart"]).compute(events, by="variant")
        >>> funnel.experiment(control="control").lines()
        ['B raises add_to_cart by 39.5% (95% CI 12.7% to 66.3%).']
        """
        from ..experiment import compare_funnel

        if len(self.by) != 1:
            msg = (
                "experiment() compares variants: compute the funnel with by= the variant "
                f"column alone. Got by={list(self.by)!r}."
            )
            raise SchemaError(msg)
        counts = self.counts.loc[self.counts[self.by[0]] != NOT_REACHED]
        return compare_funnel(counts, variant=self.by[0], control=control, **kwargs)

    def _need_events(self, what: str) -> Attempts:
        if self.attempts is None:
            msg = (
                f"{what} needs the event log's per-entity detail; this result was built "
                "from aggregated counts or by a SQL engine, which keep none.\nHint: use "
                "Funnel(...).compute(events) on a pandas frame for per-user detail."
            )
            raise SchemaError(msg)
        return self.attempts

    def users(self) -> pd.DataFrame:
        """Per entity (per attempt with ``counting="totals"``): id, segment, level, whether
        an exclusion dropped it, and the time it first reached each step (``<stage>_time``)."""
        att = self._need_events("users()")
        out = pd.DataFrame({k: v.to_numpy() for k, v in att.user_labels.items()})
        if self.by:
            for b in self.by:
                labels = np.concatenate([att.segment_labels[b].to_numpy(dtype=object), [None]])
                out[b] = labels[att.segment]  # code -1: never entered, no segment
        out["level"] = np.maximum(att.level, 0).astype(np.int64)
        out["excluded"] = att.level == -1
        for s, name in enumerate(self.stages):
            out[f"{name}_time"] = att.times(att.dense(att.reach_ns, s)).to_numpy()
        if att.in_funnel is not None:  # entities with no stage event are not in the funnel
            out = out.loc[att.in_funnel].reset_index(drop=True)
        return out

    @renamed_params(freq="period")
    @validate_params(period=PERIOD, tz=TZ)
    def trends(self, period: str = "W", tz: str | None = None) -> pd.DataFrame:
        """Counts and rates by entry period (when the entity first reached step 1).

        Parameters
        ----------
        period
            ``"D"``, ``"W"`` (weeks starting Monday) or ``"M"`` (``freq=`` is its
            deprecated name).
        tz
            Time zone to read periods in (``None``: the input's own zone or wall clock).

        Returns
        -------
        pandas.DataFrame
            ``period, [by...], stage, step, users, conversion_from_previous,
            conversion_from_start, drop_off, complete``. ``complete`` is False for periods
            whose last entrants' window had not closed by the last event in the data.
        """
        if self.entries is None:
            msg = (
                "trends() needs the event log; this result was built from aggregated "
                "counts.\nHint: use Funnel(...).compute(events) for trends by entry period."
            )
            raise SchemaError(msg)
        return trends_frame(self.stages, self.by, self.entries(), period, tz)

    def _step_durations(self, what: str) -> StepDurations:
        """The durations per step (element ``k - 2`` for step k), for ``what``."""
        durations = None if self.durations is None else self.durations()
        if durations is None:
            msg = (
                f"{what} needs the event log; this result was built from aggregated "
                "counts.\nHint: use Funnel(...).compute(events) for times between steps."
            )
            raise SchemaError(msg)
        return durations

    @validate_params(quantiles=_QUANTILES)
    def time_between_steps(
        self, quantiles: Sequence[float] = (0.25, 0.5, 0.75, 0.9)
    ) -> pd.DataFrame:
        """Time from first reaching step k to first reaching step k+1, over entities that
        reached k+1: ``from_stage, to_stage, n, mean, q25, q50, ...`` (Timedeltas; a
        quantile that is not a whole percentage is named like ``q2.5``)."""
        gaps = self._step_durations("time_between_steps()").between_steps
        return self._stats_frame(
            [
                self._stats(self.stages[s - 1], self.stages[s], gaps[s - 1], quantiles)
                for s in range(1, len(self.stages))
            ],
            quantiles,
        )

    @validate_params(quantiles=_QUANTILES)
    def time_to_convert(self, quantiles: Sequence[float] = (0.25, 0.5, 0.75, 0.9)) -> pd.DataFrame:
        """Chain duration to each step k ≥ 2 (first reach of k minus the latest start among
        chains reaching k then): ``from_stage, to_stage, n, mean, q25, q50, ...``."""
        durations = self._step_durations("time_to_convert()").to_convert
        return self._stats_frame(
            [
                self._stats(self.stages[0], self.stages[s], durations[s - 1], quantiles)
                for s in range(1, len(self.stages))
            ],
            quantiles,
        )

    @staticmethod
    def _stats_frame(rows: list[dict[str, Any]], quantiles: Sequence[float]) -> pd.DataFrame:
        """The rows as a frame; a one-step funnel has none but keeps the columns."""
        columns = ["from_stage", "to_stage", "n", "mean"]
        return pd.DataFrame(rows, columns=columns + [quantile_name(float(q)) for q in quantiles])

    @staticmethod
    def _stats(a: str, b: str, ns: IntArray, quantiles: Sequence[float]) -> dict[str, Any]:
        row: dict[str, Any] = {"from_stage": a, "to_stage": b, "n": len(ns)}
        empty = len(ns) == 0
        row["mean"] = pd.NaT if empty else pd.Timedelta(int(ns.mean()), unit="ns")
        for q in quantiles:
            val = pd.NaT if empty else pd.Timedelta(int(np.quantile(ns, float(q))), unit="ns")
            row[quantile_name(float(q))] = val
        return row

    # ------------------------------------------------------------------ display

    def summary(self) -> Summary:
        """Headline counts and overall conversion; the counts table; provenance notes."""
        total = self.counts.groupby("step", sort=True)["users"].sum()
        first, last = int(total.iloc[0]), int(total.iloc[-1])
        rate = f"{last / first:.1%}" if first else "n/a"
        facts = (
            ("stages", " → ".join(self.stages)),
            (f"entered ({self.stages[0]})", f"{first:,}"),
            (f"converted ({self.stages[-1]})", f"{last:,}"),
            ("overall conversion", rate),
        )
        table = self.counts.copy()
        for col in ("conversion_from_previous", "conversion_from_start"):
            table[col] = table[col].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
        return Summary("Funnel", facts=facts, table=table, notes=tuple(self.provenance.lines()))

    @renamed_params(freq="period")
    @validate_params(kind=Options("funnel", "trends", "time_to_convert"))
    def plot(self, ax: Axes | None = None, *, kind: str = "funnel", **kwargs: Any) -> Axes:
        """Draw the funnel (bars), its trends (lines) or the time-to-convert histogram.

        Parameters
        ----------
        ax
            Axes to draw on (default: a new figure).
        kind
            ``"funnel"``: bars per stage (one colour per segment) labelled with the
            conversion from the previous step; extra keywords go to ``Axes.bar``.
            ``"trends"``: a rate by entry period, one line per segment (the 7 largest) or
            overall; periods whose window is still open are dashed with hollow markers.
            Keywords ``period`` ("W"), ``tz``, ``stage`` (default the last) and ``rate``
            (``"conversion_from_start"`` or ``"conversion_from_previous"``).
            ``"time_to_convert"``: :meth:`time_to_convert_histogram` as bars labelled with
            each bin's share; keywords ``from_step``, ``to_step``, ``bins``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> events = make_demo_store(n_users=3000, seed=1).events
        >>> result = lf.Funnel(["visit", "add_to_cart", "payment"]).compute(events, by="device")
        >>> result.plot(kind="trends").get_title(loc="left")
        'Conversion visit → payment by entry week'
        >>> result.plot(kind="time_to_convert").get_title(loc="left")
        'Time to convert: visit → payment'
        """
        from ._plots import plot

        return plot(self, ax, kind, **kwargs)


def quantile_name(q: float) -> str:
    """Column name of a quantile: ``q25`` for 0.25, ``q2.5`` for 0.025, ``q99.9`` for 0.999.

    Examples
    --------
    >>> [quantile_name(q) for q in (0.0, 0.05, 0.25, 0.251, 1.0)]
    ['q00', 'q05', 'q25', 'q25.1', 'q100']
    """
    pct = round(q * 100, 10)
    return f"q{int(pct):02d}" if pct == int(pct) else f"q{pct:g}"
