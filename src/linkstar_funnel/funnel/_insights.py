"""Derived views of a :class:`FunnelResult`: the bottleneck ranked by impact, and the
time-to-convert histogram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._deprecation import renamed_params
from .._params import ColumnName, Columns, Duration, Integer, Real, Satisfies, validate_params
from .._validators import bad_parameter
from ._checks import PERIOD, REFERENCE, STEP, result_method
from ._drivers import step_after_first

if TYPE_CHECKING:
    from ._result import FunnelResult

IntArray = npt.NDArray[np.int64]
_HIST = "FunnelResult.time_to_convert_histogram"
_BOTTLENECK = "FunnelResult.bottleneck"
#: Most bins of the time-to-convert histogram given as a count.
MAX_BINS = 100_000


def bottleneck(
    result: FunnelResult,
    reference: Mapping[str, float] | None = None,
    *,
    period: str = "W",
    min_entrants: int = 30,
) -> pd.DataFrame:
    """Steps ranked by the final conversions gained if each matched a reference rate.

    For every segment and step k ≥ 2, the step's conversion from the previous step is
    replaced by the reference rate (all other steps kept) and the resulting final-step count
    is compared with the observed one: ``gain = entrants * Π rates' - observed final``.

    Parameters
    ----------
    reference
        Stage name -> reference conversion from the previous step. By default, the
        segment's own best rate over complete entry periods (``period``) with at least
        ``min_entrants`` entrants (needs the event log).

    Returns
    -------
    pandas.DataFrame
        ``[by...], stage, step, rate, reference_rate, final_now, final_at_reference, gain``,
        most impactful first (steps already at or above the reference gain 0).
    """
    frame = result.to_frame()
    by = list(result.by)
    if reference is None:
        trends = result.trends(period)
        trends = trends[trends["complete"]]
        entrants = trends.groupby(["period", *by], sort=False, dropna=False)["users"].transform(
            "max"
        )
        good = trends[(entrants >= min_entrants) & (trends["step"] > 1)]
        best = good.groupby([*by, "stage"], sort=False, dropna=False)[
            "conversion_from_previous"
        ].max()
        ref = frame.join(best.rename("reference_rate"), on=[*by, "stage"])["reference_rate"]
    else:
        unknown = sorted(map(str, set(reference) - set(result.stages)))
        if unknown:
            raise bad_parameter(
                _BOTTLENECK,
                "reference",
                f"a mapping of stage names ({', '.join(result.stages)}) to rates",
                unknown,
            )
        ref = frame["stage"].map({k: float(v) for k, v in reference.items()}).astype(float)
    frame = frame.assign(reference_rate=ref.to_numpy(dtype=float))
    rows = []
    groups = frame.groupby(by, sort=False, dropna=False) if by else [((), frame)]
    for _, grp in groups:
        rates = np.nan_to_num(grp["conversion_from_previous"].to_numpy(dtype=float))
        users = grp["users"].to_numpy()
        final_now = int(users[-1])
        for i in range(1, len(grp)):
            target = grp["reference_rate"].iloc[i]
            if np.isnan(target):
                continue
            alt = rates.copy()
            alt[i] = max(target, rates[i])
            final_alt = float(users[0] * np.prod(alt[1:]))
            row = grp.iloc[i][[*by, "stage", "step"]].to_dict()
            row.update(
                rate=rates[i],
                reference_rate=target,
                final_now=final_now,
                final_at_reference=final_alt,
                gain=final_alt - final_now,
            )
            rows.append(row)
    cols = [
        *by,
        "stage",
        "step",
        "rate",
        "reference_rate",
        "final_now",
        "final_at_reference",
        "gain",
    ]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("gain", ascending=False, kind="stable").reset_index(drop=True)


#: Bin edges of the default time-to-convert histogram: durations people think in.
HUMAN_EDGES: tuple[pd.Timedelta, ...] = tuple(
    pd.Timedelta(v)
    for v in (
        "0s", "10s", "30s", "1min", "2min", "5min", "10min", "30min", "1h", "3h", "6h",
        "12h", "1D", "2D", "3D", "5D", "7D", "10D", "14D", "21D", "30D", "60D", "90D",
        "180D", "365D",
    )
)  # fmt: skip


def conversion_durations(result: FunnelResult, from_step: int, to_step: int) -> IntArray:
    """Nanoseconds from ``from_step`` to ``to_step`` for the entities reaching ``to_step``.

    From step 1 it is the chain's duration (as in ``time_to_convert``); from a later step,
    the time between first reaching the two steps (as in ``time_between_steps``).
    """
    what = "time_to_convert_histogram()"
    if result.attempts is None and (from_step == 1 or to_step == from_step + 1):
        durations = result._step_durations(what)  # an engine without a drill-down
        steps = durations.to_convert if from_step == 1 else durations.between_steps
        return np.asarray(steps[to_step - 2], dtype=np.int64)
    att = result._need_events(what)
    ok, reach = att.step(att.reach_ns, to_step - 1)
    if from_step == 1:
        _, start = att.step(att.start_ns, to_step - 1)
    else:
        start = att.reach_ns[att.offsets[:-1][ok] + from_step - 1]
    return np.asarray(reach - start, dtype=np.int64)


def _edges(bins: object, low: int, top: int) -> IntArray:
    expected = "'auto', a positive number of bins or increasing non-negative durations"
    if isinstance(bins, str) and bins == "auto":
        ladder = np.array([e.value for e in HUMAN_EDGES], dtype=np.int64)
        if top >= ladder[-1]:
            ladder = np.append(ladder, top + 1)
        last = min(int(np.searchsorted(ladder, top, side="right")), len(ladder) - 1)
        first = max(int(np.searchsorted(ladder, low, side="right")) - 1, 0)
        return ladder[first : last + 1]
    if isinstance(bins, int | np.integer) and not isinstance(bins, bool):
        if not 1 <= bins <= MAX_BINS:
            raise bad_parameter(_HIST, "bins", expected + f" (at most {MAX_BINS:,} bins)", bins)
        return np.linspace(0, max(top, 1), int(bins) + 1).round().astype(np.int64)
    durations = Duration(positive=False)
    if (
        isinstance(bins, str)
        or not isinstance(bins, Sequence)
        or len(bins) < 2
        or not all(durations.accepts(b) for b in bins)
    ):
        raise bad_parameter(_HIST, "bins", expected, bins)
    edges = np.array([pd.Timedelta(b).value for b in bins], np.int64)
    if edges[0] < 0 or (np.diff(edges) <= 0).any():
        raise bad_parameter(_HIST, "bins", expected, bins)
    return edges


def time_to_convert_histogram(
    result: FunnelResult,
    from_step: int | str = 1,
    to_step: int | str | None = None,
    bins: int | str | Sequence[object] = "auto",
) -> pd.DataFrame:
    """See :meth:`FunnelResult.time_to_convert_histogram`."""
    k_n = len(result.stages)
    to_s = k_n if to_step is None else step_after_first(result.stages, to_step, owner=_HIST,
                                                        param="to_step")  # fmt: skip
    names = list(result.stages)
    if isinstance(from_step, str) and from_step in names:
        from_s = names.index(from_step) + 1
    elif isinstance(from_step, int) and not isinstance(from_step, bool) and 1 <= from_step < to_s:
        from_s = from_step
    else:
        raise bad_parameter(_HIST, "from_step", f"a step before to_step={to_s}", from_step)
    if from_s >= to_s:
        raise bad_parameter(_HIST, "from_step", f"a step before to_step={to_s}", from_step)
    ns = conversion_durations(result, from_s, to_s)
    edges = _edges(bins, int(ns.min()) if len(ns) else 0, int(ns.max()) if len(ns) else 0)
    users, _ = np.histogram(ns, bins=edges)
    out = pd.DataFrame(
        {
            "bin_start": pd.to_timedelta(edges[:-1], unit="ns"),
            "bin_end": pd.to_timedelta(edges[1:], unit="ns"),
            "users": users.astype(np.int64),
        }
    )
    out["share"] = out["users"] / max(len(ns), 1)  # no entity: every share is 0
    out.attrs.update(from_stage=names[from_s - 1], to_stage=names[to_s - 1], n=len(ns))
    return out


class FunnelInsights:
    """The :class:`FunnelResult` methods that rank, compare and time conversions."""

    __slots__ = ()

    def _me(self) -> FunnelResult:
        return cast("FunnelResult", self)

    @renamed_params(freq="period")
    @validate_params(reference=REFERENCE, period=PERIOD, min_entrants=Integer(0))
    @result_method
    def bottleneck(
        self,
        reference: Mapping[str, float] | None = None,
        *,
        period: str = "W",
        min_entrants: int = 30,
    ) -> pd.DataFrame:
        """Steps ranked by final conversions gained if each matched a reference rate
        (by default the segment's own best complete period); see ``_insights.bottleneck``."""
        return bottleneck(self._me(), reference, period=period, min_entrants=min_entrants)

    @validate_params(
        step=STEP,
        columns=[None, Columns()],
        time=ColumnName(),
        alpha=Real(0, 1, closed="neither"),
        min_users=Integer(1),
    )
    @result_method
    def converters_vs_dropouts(
        self,
        step: int | str,
        *,
        columns: str | Sequence[str] | None = None,
        events: object = None,
        time: str = "timestamp",
        alpha: float = 0.05,
        min_users: int = 30,
    ) -> pd.DataFrame:
        """Which property values over-index among the entities converting at ``step``.

        Among entities that reached the step before ``step`` (exclusions left out),
        *converters* reached ``step`` and *dropouts* did not. For every value of every
        column, a 2x2 table (converters / dropouts with / without the value) gives:

        * ``users``, ``converters``, ``dropouts`` with the value, and its
          ``conversion_rate``;
        * ``share_converters`` / ``share_dropouts``: the value's share of all converters /
          dropouts;
        * ``odds_ratio`` (converting with the value vs without it) and its ``1 - alpha``
          Woolf (log) interval ``ci_low``, ``ci_high``; a table with a zero cell gets 0.5
          added to every cell (Haldane);
        * ``p_value``: Fisher's exact test (two-sided) when a cell's expected count is
          below 5, else Pearson's chi-square without continuity correction (``test``
          says which), and Benjamini-Hochberg ``q_value`` over all rows.

        Rows are sorted by odds ratio, the strongest over-indexing first.

        Parameters
        ----------
        step
            A step number ≥ 2 or a stage name other than the first.
        columns
            Column(s) to compare. Default: the result's ``by`` columns (the entity's
            segment as the breakdown attributed it). Other columns are read from
            ``events``: the value on the entity's earliest event (first row on ties);
            a missing value reads ``"(missing)"``.
        events, time
            The event frame the result was computed from and its time column, needed for
            columns outside ``by``.
        alpha
            1 - confidence level of the intervals.
        min_users
            Leave out values held by fewer entities (converters + dropouts); how many
            values and entities were left out is in ``.attrs``.

        Returns
        -------
        pandas.DataFrame
            ``column, value, users, converters, dropouts, conversion_rate,
            share_converters, share_dropouts, odds_ratio, ci_low, ci_high, p_value,
            q_value, test``; ``.attrs`` names the ``stage`` and ``previous_stage``.

        Raises
        ------
        ParameterError
            A bad ``step``, ``columns``, ``alpha``, ``min_users``, or no ``events``.
        SchemaError
            The result was built from aggregated counts.

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> events = make_demo_store(n_users=3000, seed=1).events
        >>> result = lf.Funnel(["visit", "add_to_cart", "payment"]).compute(events, by="device")
        >>> cvd = result.converters_vs_dropouts("add_to_cart", columns=["device", "platform"],
        ...                                     events=events)
        >>> cvd[["column", "value", "users", "conversion_rate", "odds_ratio"]].round(2)
             column        value  users  conversion_rate  odds_ratio
        0    device      desktop    241             0.29        1.62
        1    device       tablet    118             0.25        1.15
        2  platform     own_site    570             0.23        1.06
        3  platform       amazon    301             0.23        1.05
        4  platform  tiktok_shop    318             0.21        0.88
        5    device       mobile    830             0.20        0.64
        """
        from ._drivers import converters_vs_dropouts

        return converters_vs_dropouts(
            self._me(),
            step,
            columns=columns,
            events=events,
            time=time,
            alpha=alpha,
            min_users=min_users,
        )

    @validate_params(
        from_step=STEP,
        to_step=[None, *STEP],
        bins=Satisfies(lambda v: v is not None, "'auto', a number of bins or durations"),
    )
    @result_method
    def time_to_convert_histogram(
        self,
        from_step: int | str = 1,
        to_step: int | str | None = None,
        bins: int | str | Sequence[object] = "auto",
    ) -> pd.DataFrame:
        """Entities converting from ``from_step`` to ``to_step``, by time taken.

        From step 1 the time is the chain's duration to ``to_step`` (as in
        :meth:`time_to_convert`); from a later step, the time between first reaching
        the two steps (as in :meth:`time_between_steps`). Over entities reaching
        ``to_step``; all segments together.

        Parameters
        ----------
        from_step, to_step
            Step numbers or stage names; ``to_step`` defaults to the last step.
        bins
            ``"auto"``: edges people think in (10s, 30s, 1min, ..., 1h, 3h, ..., 1d, 2d,
            ..., 7d, 14d, ...) from the shortest time to the longest. An integer: that many equal bins
            from 0 to the longest time. A list of increasing durations ("1h", ...): these
            edges; times outside them are not counted. Bins hold their start, not their
            end, except the last, which holds both.

        Returns
        -------
        pandas.DataFrame
            ``bin_start, bin_end`` (Timedeltas), ``users``, ``share`` (of the entities
            reaching ``to_step``); ``.attrs`` names ``from_stage``, ``to_stage`` and ``n``.

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> events = make_demo_store(n_users=3000, seed=1).events
        >>> result = lf.Funnel(["visit", "add_to_cart", "payment"]).compute(events)
        >>> result.time_to_convert_histogram(bins=["0s", "1h", "1D", "7D"])
                bin_start         bin_end  users     share
        0 0 days 00:00:00 0 days 01:00:00     66  0.741573
        1 0 days 01:00:00 1 days 00:00:00      5  0.056180
        2 1 days 00:00:00 7 days 00:00:00     18  0.202247
        """
        return time_to_convert_histogram(self._me(), from_step, to_step, bins)
