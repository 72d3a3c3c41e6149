"""A :class:`FunnelResult` as input to other analyses: benchmark rate observations
(:class:`~linkstar_funnel.benchmark.RateSource`) and KPI-tree leaf values
(:class:`~linkstar_funnel.kpi.NodeSource`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from .._deprecation import renamed_params
from .._params import Boolean, Satisfies, validate_params
from .._validators import bad_parameter
from ..errors import EmptyFrameError, ParameterError
from ._checks import PERIOD, TZ, VALUE_PER_ORDER, result_method

if TYPE_CHECKING:
    from ..benchmark import Benchmark, BenchmarkComparisonResult
    from ._result import FunnelResult

__all__ = ["FunnelExports", "kpi_names"]

_MISSING = "(missing)"
_KPI = "FunnelResult.kpi_values"
_NAMES = [
    None,
    Satisfies(
        lambda v: isinstance(v, str) or all(isinstance(n, str) for n in v),
        "a KPI name or a list of names",
    ),
]


def _is_benchmark(value: object) -> bool:
    from ..benchmark import Benchmark

    return isinstance(value, Benchmark)


def kpi_names(stages: Iterable[str]) -> list[str]:
    """The keys of :meth:`FunnelExports.kpi_values`, in order."""
    names = list(stages)
    return ["entrants", *(f"{s}_rate" for s in names[1:]), "cvr"]


def _labelled(frame: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Missing segment labels as "(missing)", so grouping keeps their rows."""
    if not by:
        return frame
    return frame.assign(**{b: frame[b].astype(object).where(frame[b].notna(), _MISSING)
                           for b in by})  # fmt: skip


class FunnelExports:
    """The :class:`FunnelResult` methods that feed benchmarks and KPI trees."""

    __slots__ = ()

    def _me(self) -> FunnelResult:
        return cast("FunnelResult", self)

    @validate_params(value_per_order=VALUE_PER_ORDER)
    @result_method
    def rate_observations(self, *, value_per_order: float | None = None) -> pd.DataFrame:
        """Rate observations for benchmark comparisons (the ``RateSource`` protocol).

        One row per pair of stages ``base`` before ``stage`` and per segment, built with
        :func:`~linkstar_funnel.benchmark.observations_from_counts` from
        :meth:`to_frame`: ``[by...], base, stage, successes, trials, step,
        orders_per_success`` (and ``value_per_success`` with ``value_per_order``).
        Missing segment labels read ``"(missing)"``.

        Parameters
        ----------
        value_per_order
            Average order value, to state a comparison's impact in money.

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> events = make_demo_store(n_users=3000, seed=1).events
        >>> stages = ["visit", "add_to_cart", "checkout", "payment"]
        >>> result = lf.Funnel(stages).compute(events)
        >>> obs = result.rate_observations()
        >>> obs.loc[obs["step"], ["base", "stage", "successes", "trials"]]
                  base        stage  successes  trials
        0        visit  add_to_cart        265    1189
        2  add_to_cart     checkout        139     265
        5     checkout      payment         89     139
        """
        me = self._me()
        return _observations(
            _labelled(me.to_frame(), me.by), me.stages, list(me.by), value_per_order
        )

    @renamed_params(freq="period")
    @validate_params(period=PERIOD, tz=TZ, complete_only=Boolean(), value_per_order=VALUE_PER_ORDER)
    @result_method
    def trend_observations(
        self,
        period: str = "W",
        tz: str | None = None,
        *,
        complete_only: bool = True,
        value_per_order: float | None = None,
    ) -> pd.DataFrame:
        """Rate observations per entry period, for ``Benchmark.from_history``.

        As :meth:`rate_observations`, from :meth:`trends` (``period``, ``tz``), with a
        ``period`` column (the period's start).

        Parameters
        ----------
        period, tz
            As in :meth:`trends` (``freq=`` is the deprecated name of ``period``).
        complete_only
            Leave out periods whose entrants' window had not closed by the end of the data
            (their rates are biased low).
        value_per_order
            Average order value.

        Raises
        ------
        EmptyFrameError
            No complete period (with ``complete_only``).

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> store = make_demo_store(n_users=3000, seed=1)
        >>> result = lf.Funnel(["visit", "add_to_cart", "checkout", "payment"]).compute(store.events)
        >>> history = result.trend_observations("W")
        >>> history["period"].nunique()
        10
        >>> bench = lf.Benchmark.from_history(history, weeks=8)
        >>> result.compare(bench).to_frame()["verdict"].value_counts().to_dict()
        {'in line': 6}
        """
        me = self._me()
        trends = me.trends(period, tz)
        if complete_only:
            trends = trends.loc[trends["complete"]]
            if trends.empty:
                msg = (
                    "No entry period is complete: every period's window was still open at the "
                    "end of the data.\nHint: pass complete_only=False, or a shorter period."
                )
                raise EmptyFrameError(msg)
        frame = _labelled(trends.drop(columns="complete"), me.by)
        return _observations(frame, me.stages, ["period", *me.by], value_per_order)

    @validate_params(bench=Satisfies(_is_benchmark, "a Benchmark"))
    @result_method
    def compare(self, bench: Benchmark, **kwargs: Any) -> BenchmarkComparisonResult:
        """Compare this funnel's rates with a benchmark: ``bench.compare(self, **kwargs)``.

        Parameters
        ----------
        bench
            A :class:`~linkstar_funnel.benchmark.Benchmark` (industry figures, targets, or
            ``Benchmark.from_history(result.trend_observations())``). Its stages must use
            this funnel's stage names.
        **kwargs
            ``alpha``, ``test``, ``min_difference``, ``value_per_order``: see
            :func:`linkstar_funnel.benchmark.compare`.

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.benchmark import get_benchmark
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> events = make_demo_store(n_users=3000, seed=1).events
        >>> stages = ["visit", "add_to_cart", "checkout", "payment"]
        >>> cmp = lf.Funnel(stages).compute(events).compare(get_benchmark("littledata-2019-10"))
        >>> cmp.to_frame()[["stage", "base", "observed", "reference", "verdict"]].round(3)
                 stage      base  observed  reference verdict
        0  add_to_cart     visit     0.223      0.052   above
        1      payment  checkout     0.640      0.452   above
        """
        return bench.compare(self, **kwargs)

    @validate_params(period=[None, PERIOD], tz=TZ, names=_NAMES)
    @result_method
    def kpi_values(
        self,
        period: str | None = None,
        *,
        tz: str | None = None,
        names: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Leaf values for a KPI tree (the ``NodeSource`` protocol): step rates and CVR.

        Keys (see :func:`kpi_names`): ``"entrants"`` (entities at step 1),
        ``"<stage>_rate"`` for every stage after the first (its conversion from the
        previous stage), and ``"cvr"`` (last stage / entrants, the product of the step
        rates). Over all segments. A rate whose base is 0 is NaN.

        ``KPITree.evaluate(values=...)`` refuses names that are not leaves of its tree, so
        pass the tree's leaves as ``names`` (``values=result.kpi_values(names=tree.leaves)``);
        ``KPITree.decompose`` takes the full mapping.

        Parameters
        ----------
        period
            ``None``: one number per key, over the whole result (aggregated results too).
            ``"D"``, ``"W"`` or ``"M"``: a Series per key indexed by entry period (see
            :meth:`trends`; recent periods may be incomplete).
        tz
            Time zone of the periods.
        names
            Only these keys (e.g. a tree's leaves).

        Examples
        --------
        >>> import linkstar_funnel as lf
        >>> from linkstar_funnel.datasets import make_demo_store
        >>> from linkstar_funnel.kpi import KPITree
        >>> store = make_demo_store(n_users=3000, seed=1)
        >>> stages = [lf.Stage("visit"), lf.Stage("click", event="product_view"),
        ...           lf.Stage("cart", event="add_to_cart"), lf.Stage("order", event="payment")]
        >>> result = lf.Funnel(stages).compute(store.events)
        >>> {k: round(v, 4) for k, v in result.kpi_values().items()}
        {'entrants': 1189.0, 'click_rate': 0.7023, 'cart_rate': 0.3078, 'order_rate': 0.3307, 'cvr': 0.0715}
        >>> tree = KPITree.from_formula("cvr = click_rate * cart_rate * order_rate")
        >>> tree.evaluate(values=result.kpi_values(names=tree.leaves)).wide().round(4)
              cvr  click_rate  cart_rate  order_rate
        0  0.0715      0.7023     0.3078      0.3307
        """
        me = self._me()
        keys = kpi_names(me.stages)
        wanted = keys if names is None else _wanted(names, keys)
        if period is None:
            per_step = me.counts.groupby("step", sort=True)["users"].sum().to_numpy(np.float64)
            users = per_step[None, :]
            index: pd.Index | None = None
        else:
            trends = me.trends(period, tz)
            wide = trends.pivot_table(
                index="period", columns="step", values="users", aggfunc="sum", fill_value=0
            )
            users = wide.reindex(columns=range(1, len(me.stages) + 1), fill_value=0).to_numpy(
                np.float64
            )
            index = pd.Index(wide.index, name="period")
        with np.errstate(divide="ignore", invalid="ignore"):
            prev = users[:, :-1]
            rates = np.where(prev > 0, users[:, 1:] / np.where(prev > 0, prev, 1.0), np.nan)
            first = users[:, 0]
            cvr = np.where(first > 0, users[:, -1] / np.where(first > 0, first, 1.0), np.nan)
        columns = np.column_stack([first, rates, cvr])
        out: dict[str, Any] = {}
        for j, key in enumerate(keys):
            if key in wanted:
                col = columns[:, j]
                out[key] = float(col[0]) if index is None else pd.Series(col, index=index, name=key)
        return {k: out[k] for k in wanted}


def _wanted(names: Iterable[str], keys: list[str]) -> list[str]:
    if isinstance(names, str):
        names = [names]
    chosen = list(names)
    unknown = [n for n in chosen if n not in keys]
    if unknown:
        raise bad_parameter(_KPI, "names", f"names among {keys}", unknown)
    return chosen


def _observations(
    frame: pd.DataFrame, stages: tuple[str, ...], keys: list[str], value: float | None
) -> pd.DataFrame:
    from ..benchmark import observations_from_counts

    if len(stages) < 2:  # a one-step funnel has no rate between stages
        msg = (
            "Rate observations need a funnel of at least 2 stages (rates are between "
            f"stages). Got the one-stage funnel {list(stages)!r} instead."
        )
        raise ParameterError(msg)
    return observations_from_counts(frame, stages=stages, by=keys, value_per_order=value)
