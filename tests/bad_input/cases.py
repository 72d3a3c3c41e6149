"""The catalogue of public entry points driven by the generated bad-input tests.

Each :class:`Case` is one good call of a public entry point on small, seeded data: the
frames it reads and the keyword parameters it takes. The tests in ``test_bad_input.py``
corrupt one frame column or one parameter at a time and hold the library to its promise:
a ``LinkstarError`` subclass, a counted drop, or a correct result; never another
exception, never NaN/inf in an output without a warning, never a mutated input.

A new public entry point joins here (or is listed in ``EXEMPT`` with the reason it takes
no user input): ``test_every_public_entry_point_is_covered`` fails until it does.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np
import pandas as pd

import linkstar_funnel as lf

Frames = dict[str, pd.DataFrame]


@attrs.frozen
class Case:
    """One good call: ``call(**frames, **params)``, and what it covers."""

    name: str
    call: Callable[..., object]
    covers: tuple[object, ...]
    frames: Callable[[], Frames] = dict
    #: The good keyword parameters, or a function making them (for data built lazily).
    params: Mapping[str, object] | Callable[[], Mapping[str, object]] = attrs.field(factory=dict)
    #: Per frame, the columns worth corrupting (default: every column).
    columns: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: Parameters not worth fuzzing (callbacks, the result objects a method hangs on).
    fixed: tuple[str, ...] = ()
    #: Whether frame-shape corruptions apply (not where the call takes a column, not a frame).
    shapes: bool = True

    def good_params(self) -> dict[str, object]:
        return dict(self.params() if callable(self.params) else self.params)


# ----------------------------------------------------------------------------- data


@functools.cache
def store() -> lf.datasets.DemoStore:
    return lf.datasets.make_demo_store(n_users=1_500, seed=3, days=28)


@functools.cache
def retail() -> pd.DataFrame:
    """Online Retail orders of 150 customers, Dec 2010 - Sep 2011 (LTV inputs)."""
    orders = lf.datasets.online_retail_orders()
    orders = orders[orders["timestamp"] < pd.Timestamp("2011-10-01", tz="Europe/London")]
    keep = orders["customer_id"].drop_duplicates().iloc[:150]
    out = orders[orders["customer_id"].isin(keep)].reset_index(drop=True)
    return out[["order_id", "customer_id", "timestamp", "revenue", "country"]]


def events() -> Frames:
    cols = ["user_id", "timestamp", "event", "session_id", "country", "channel"]
    return {"events": store().events[cols].iloc[:3_000].reset_index(drop=True)}


def orders() -> Frames:
    return {"orders": retail().copy()}


STAGES = [lf.Stage("impression"), lf.Stage("click"), lf.Stage("visit"), lf.Stage("payment")]


@functools.cache
def funnel_result() -> lf.FunnelResult:
    return lf.Funnel(STAGES, window="7D").compute(events()["events"], by="country")


@functools.cache
def journeys() -> lf.Journeys:
    s = store()
    return lf.Journeys.from_touchpoints(
        s.touchpoints, s.orders, conversion_user="customer_id", value="revenue"
    )


@functools.cache
def attribution_result() -> lf.AttributionResult:
    return lf.LastTouch().attribute(journeys())


TREE = "gmv = sessions * cvr * aov\ncvr = orders / sessions\naov = revenue / orders"


@functools.cache
def tree() -> lf.KPITree:
    return lf.KPITree.from_formula(TREE)


def kpi_frame() -> Frames:
    return {
        "frame": pd.DataFrame(
            {
                "month": ["2024-01", "2024-01", "2024-02", "2024-02"],
                "country": ["UK", "DE", "UK", "DE"],
                "sessions": [1000, 500, 1200, 400],
                "orders": [20, 10, 30, 12],
                "revenue": [1000.0, 600.0, 1500.0, 660.0],
            }
        )
    }


def before_after() -> Frames:
    before = pd.DataFrame(
        {
            "country": ["UK", "DE"],
            "sessions": [1000, 500],
            "orders": [20, 10],
            "revenue": [1e3, 6e2],
        }
    )
    after = pd.DataFrame(
        {
            "country": ["UK", "DE"],
            "sessions": [1200, 400],
            "orders": [30, 12],
            "revenue": [15e2, 66e1],
        }
    )
    return {"before": before, "after": after}


def mix_frames() -> Frames:
    before = pd.DataFrame({"seg": ["a", "b"], "weight": [100.0, 50.0], "rate": [0.1, 0.2]})
    after = pd.DataFrame({"seg": ["a", "b"], "weight": [80.0, 90.0], "rate": [0.12, 0.15]})
    return {"before": before, "after": after}


@functools.cache
def rfm() -> lf.ltv.RFMResult:
    return lf.ltv.rfm_summary(retail(), observation_end="2011-09-30")


@functools.cache
def betageo_fit() -> Any:
    return lf.ltv.BetaGeo().fit(rfm())


@functools.cache
def gammagamma_fit() -> Any:
    return lf.ltv.GammaGamma().fit(rfm())


COHORT = lf.ltv.CohortLTV(horizon="180D", step="7D", use_prophet=False, min_customers=20)


@functools.cache
def cohort_fit() -> lf.ltv.CohortLTVResult:
    data = retail().assign(channel=np.where(retail()["customer_id"] % 2 == 0, "ads", "seo"))
    return COHORT.fit(data, by="channel")


def daily_kpis() -> Frames:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2026-01-05", periods=60, freq="D")
    trials = rng.poisson(1_000, len(dates))
    return {
        "daily_kpis": pd.DataFrame(
            {
                "date": dates,
                "metric": "cvr",
                "successes": rng.binomial(trials, 0.3),
                "trials": trials,
            }
        )
    }


def counts_frame() -> Frames:
    return {
        "counts": pd.DataFrame(
            {
                "stage": ["visit", "cart", "order", "visit", "cart", "order"],
                "count": [1000, 300, 90, 800, 200, 70],
                "country": ["US", "US", "US", "DE", "DE", "DE"],
            }
        )
    }


def observation_counts() -> Frames:
    frame = counts_frame()["counts"].rename(columns={"count": "users"})
    return {"counts": frame}


@functools.cache
def benchmark() -> lf.Benchmark:
    rates = {"click": 0.05, "visit": 0.6, "payment": 0.03}
    return lf.Benchmark.from_rates(rates, source="own", as_of="2026-01-01")


def _quietly(make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Build input data, letting the library's own data-quality notes pass (they are about
    the demo data, not about the call under test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        return make()


def observations() -> Frames:
    return {"observations": _quietly(funnel_result().rate_observations)}


def paths() -> Frames:
    return {
        "data": pd.DataFrame(
            {
                "path": ["seo > ads", "ads", "email > seo > ads", "seo"],
                "total_conversions": [3, 1, 2, 0],
                "total_conversion_value": [90.0, 20.0, 55.0, 0.0],
                "total_null": [10, 4, 1, 7],
            }
        )
    }


def spend() -> Frames:
    return {"spend": store().spend.copy()}


def touch_frames() -> Frames:
    s = store()
    return {"touches": s.touchpoints.copy(), "conversions": s.orders.copy()}


def cohort_spend() -> Frames:
    return {"spend": pd.DataFrame({"channel": ["ads", "seo"], "cost": [5_000.0, 800.0]})}


# ----------------------------------------------------------------------------- cases


def _method(factory: Callable[[], Any], name: str) -> Callable[..., object]:
    return getattr(factory(), name)


CASES: list[Case] = [
    # ------------------------------------------------------------------ schema
    Case(
        "schema.validate_events",
        lambda events, **kw: lf.schema.validate_events(events, **kw),
        (lf.schema.validate_events,),
        events,
        {"user": "user_id", "time": "timestamp", "event": "event"},
    ),
    Case(
        "schema.validate_orders",
        lambda orders, **kw: lf.schema.validate_orders(orders, **kw),
        (lf.schema.validate_orders,),
        orders,
        {"order": "order_id", "customer": "customer_id", "time": "timestamp"},
    ),
    # ------------------------------------------------------------------ funnel
    Case(
        "Funnel",
        lf.Funnel,
        (lf.Funnel, lf.Stage, lf.Exclusion),
        params={
            "stages": STAGES,
            "window": "7D",
            "order": "ordered",
            "strict_scope": "funnel",
            "step_windows": None,
            "entry": "any",
            "ties": "stage_order",
            "distinct_events": False,
            "exclusions": (lf.Exclusion("search", between=(1, 3)),),
            "counting": "users",
            "attribution": "first_touch",
            "top_n": None,
        },
    ),
    Case(
        "Funnel.compute",
        lambda events, **kw: lf.Funnel(STAGES, window="7D").compute(events, **kw),
        (lf.Funnel.compute,),
        events,
        {"user": "user_id", "time": "timestamp", "event": "event", "by": "country"},
    ),
    Case(
        "Funnel.compute(sessions)",
        lambda events, **kw: lf.Funnel(STAGES, counting="sessions").compute(events, **kw),
        (),
        events,
        {"session": "session_id", "by": ["country", "channel"]},
    ),
    Case(
        "Funnel.from_counts",
        lf.Funnel.from_counts,
        (lf.Funnel.from_counts,),
        counts_frame,
        {"stage": "stage", "count": "count", "by": "country"},
    ),
    Case(
        "FunnelResult.bottleneck",
        _method(funnel_result, "bottleneck"),
        (lf.FunnelResult.bottleneck,),
        params={"reference": None, "period": "W", "min_entrants": 30},
    ),
    Case(
        "FunnelResult.trends",
        _method(funnel_result, "trends"),
        (lf.FunnelResult.trends,),
        params={"period": "W", "tz": "UTC"},
    ),
    Case(
        "FunnelResult.time_between_steps",
        _method(funnel_result, "time_between_steps"),
        (lf.FunnelResult.time_between_steps, lf.FunnelResult.time_to_convert),
        params={"quantiles": (0.5, 0.9)},
    ),
    Case(
        "FunnelResult.time_to_convert_histogram",
        _method(funnel_result, "time_to_convert_histogram"),
        (lf.FunnelResult.time_to_convert_histogram,),
        params={"from_step": 1, "to_step": 3, "bins": "auto"},
    ),
    Case(
        "FunnelResult.converters_vs_dropouts",
        lambda events, **kw: funnel_result().converters_vs_dropouts(events=events, **kw),
        (lf.FunnelResult.converters_vs_dropouts,),
        events,
        {"step": 2, "columns": "channel", "alpha": 0.05, "min_users": 5},
    ),
    Case(
        "FunnelResult.trend_observations",
        _method(funnel_result, "trend_observations"),
        (
            lf.FunnelResult.trend_observations,
            lf.FunnelResult.rate_observations,
            lf.FunnelResult.kpi_values,
        ),
        params={"period": "W", "tz": None, "complete_only": True, "value_per_order": 50.0},
    ),
    Case(
        "FunnelResult.compare",
        lambda **kw: funnel_result().compare(benchmark(), **kw),
        (lf.FunnelResult.compare,),
        params={"alpha": 0.05, "min_difference": 0.0},
    ),
    Case(
        "stage_template",
        lf.stage_template,
        (lf.stage_template, lf.stage_templates),
        params={"name": lf.stage_templates()[0]},
    ),
    Case(
        "check_stage_matcher",
        lambda events, **kw: lf.check_stage_matcher(lf.Stage("v", event="visit"), events, **kw),
        (lf.check_stage_matcher,),
        events,
        {"event": "event"},
    ),
    # ------------------------------------------------------------------ overview
    Case(
        "describe_events",
        lf.describe_events,
        (lf.describe_events,),
        events,
        {"user": "user_id", "time": "timestamp", "event": "event", "by": "country", "tz": None},
    ),
    Case(
        "describe_orders",
        lf.describe_orders,
        (lf.describe_orders,),
        orders,
        {"customer": "customer_id", "revenue": "revenue", "by": "country", "tz": "UTC"},
    ),
    # ------------------------------------------------------------------ attribution
    Case(
        "Journeys.from_touchpoints",
        lf.Journeys.from_touchpoints,
        (lf.Journeys.from_touchpoints, lf.attribution.journeys_from_touchpoints),
        touch_frames,
        {
            "user": "user_id",
            "time": "timestamp",
            "channel": "channel",
            "lookback": "30D",
            "conversion_user": "customer_id",
            "value": "revenue",
            "channel_map": None,
        },
        columns={
            "touches": ("user_id", "timestamp", "channel"),
            "conversions": ("customer_id", "timestamp", "revenue"),
        },
    ),
    Case(
        "Journeys.from_paths",
        lf.Journeys.from_paths,
        (lf.Journeys.from_paths,),
        paths,
        {
            "path": "path",
            "conversions": "total_conversions",
            "value": "total_conversion_value",
            "null": "total_null",
            "sep": ">",
        },
    ),
    Case(
        "PositionBased",
        lambda **kw: lf.PositionBased(**kw).attribute(journeys()),
        (lf.PositionBased, lf.PositionBased.attribute, lf.LastTouch, lf.FirstTouch, lf.Linear),
        params={"first": 0.4, "last": 0.4, "repeats": "keep"},
    ),
    Case(
        "TimeDecay",
        lambda **kw: lf.TimeDecay(**kw).attribute(journeys()),
        (lf.TimeDecay,),
        params={"half_life": "7D", "position_half_life": 1.0, "repeats": "keep"},
    ),
    Case(
        "Markov",
        lambda **kw: lf.Markov(**kw).attribute(journeys()),
        (lf.Markov, lf.Markov.attribute, lf.Shapley),
        params={"order": 1, "repeats": "collapse"},
    ),
    Case(
        "LastNonDirect",
        lambda **kw: lf.LastNonDirect(**kw).attribute(journeys()),
        (lf.LastNonDirect,),
        params={"direct": frozenset({"direct"})},
    ),
    Case(
        "compare_attribution",
        lf.compare_attribution,
        (lf.compare_attribution,),
        params=lambda: {"models": [lf.LastTouch(), lf.Linear()], "journeys": journeys()},
    ),
    Case(
        "channel_economics",
        lambda spend, **kw: lf.channel_economics(attribution_result(), spend, **kw),
        (lf.channel_economics, lf.AttributionResult.economics),
        spend,
        {"channel": "channel", "cost": "cost", "channel_map": None},
    ),
    Case(
        "AttributionResult.credit",
        _method(attribution_result, "credit"),
        (lf.AttributionResult.credit,),
        params={"metric": "conversions"},
    ),
    # ------------------------------------------------------------------ KPI trees
    Case(
        "KPITree.from_formula",
        lf.KPITree.from_formula,
        (lf.KPITree.from_formula, lf.KPITree),
        params={"formula": TREE},
    ),
    Case(
        "KPITree.evaluate",
        lambda frame, **kw: tree().evaluate(frame, **kw),
        (lf.KPITree.evaluate,),
        kpi_frame,
        {"period": "month", "by": "country", "columns": None, "zero_division": "raise"},
    ),
    Case(
        "KPITree.decompose",
        lambda before, after, **kw: tree().decompose(before, after, **kw),
        (lf.KPITree.decompose, lf.KPIValuesResult.decompose),
        before_after,
        {"method": "lmdi", "by": "country"},
    ),
    Case(
        "KPITree.target",
        lambda **kw: tree().target(**kw),
        (lf.KPITree.target, lf.KPITree.sensitivity),
        params={
            "value": 60_000.0,
            "driver": "cvr",
            "at": {"sessions": 1500, "orders": 30, "revenue": 1600.0},
        },
    ),
    Case(
        "KPITree.mix_rate",
        lambda before, after, **kw: tree().mix_rate(before, after, **kw),
        (lf.KPITree.mix_rate,),
        before_after,
        {"node": "cvr", "by": "country"},
    ),
    Case(
        "kpi.mix_rate",
        lf.kpi.mix_rate,
        (lf.kpi.mix_rate,),
        mix_frames,
        {"by": "seg", "weight": "weight", "rate": "rate"},
    ),
    # ------------------------------------------------------------------ LTV
    Case(
        "ltv.rfm_summary",
        lf.ltv.rfm_summary,
        (lf.ltv.rfm_summary, lf.ltv.RFMRules),
        orders,
        {
            "customer": "customer_id",
            "time": "timestamp",
            "value": "revenue",
            "period": "W",
            "observation_end": "2011-09-30",
            "refunds": "net",
            "zero_value": "drop",
            "granularity": "D",
            "tz": None,
        },
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.calibration_holdout",
        lf.ltv.calibration_holdout,
        (lf.ltv.calibration_holdout,),
        orders,
        {"calibration_end": "2011-06-30", "observation_end": "2011-09-30", "period": "W"},
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.BetaGeo.fit",
        lambda **kw: lf.ltv.BetaGeo(**kw).fit(rfm()),
        (lf.ltv.BetaGeo, lf.ltv.BetaGeo.fit, lf.ltv.ParetoNBD),
        params={"penalizer": 0.0, "maxiter": 2000},
    ),
    Case(
        "ltv.GammaGamma.fit",
        lambda **kw: lf.ltv.GammaGamma(**kw).fit(rfm()),
        (lf.ltv.GammaGamma, lf.ltv.GammaGamma.fit),
        params={"penalizer": 0.0, "maxiter": 2000},
    ),
    Case(
        "BetaGeoResult.predict",
        _method(betageo_fit, "predict"),
        (
            lf.ltv.BetaGeoResult.predict,
            lf.ltv.BetaGeoResult.conditional_expected_purchases,
            lf.ltv.BetaGeoResult.p_alive,
        ),
        params={"t": "4W"},
    ),
    Case(
        "ltv.customer_lifetime_value",
        lambda **kw: lf.ltv.customer_lifetime_value(betageo_fit(), gammagamma_fit(), **kw),
        (lf.ltv.customer_lifetime_value,),
        params={"horizon": "12M", "period": "1M", "annual_discount_rate": 0.1, "margin": 0.4},
    ),
    Case(
        "ltv.ProbabilisticLTV.fit_orders",
        lambda orders, **kw: lf.ltv.ProbabilisticLTV().fit_orders(orders, **kw),
        (lf.ltv.ProbabilisticLTV, lf.ltv.ProbabilisticLTV.fit_orders),
        orders,
        {
            "customer": "customer_id",
            "time": "timestamp",
            "value": "revenue",
            "observation_end": "2011-09-30",
        },
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.CohortLTV",
        lambda orders, **kw: lf.ltv.CohortLTV(use_prophet=False, **kw).fit(orders),
        (lf.ltv.CohortLTV, lf.ltv.CohortLTV.fit),
        orders,
        {
            "horizon": "180D",
            "step": "7D",
            "period": "M",
            "pooling_strength": "auto",
            "min_customers": 20,
        },
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "CohortLTVResult.predict",
        _method(cohort_fit, "predict"),
        (lf.ltv.CohortLTVResult.predict, lf.ltv.CohortLTVResult.expected_revenue),
        params={"at": "90D", "alpha": 0.1},
    ),
    Case(
        "ltv.unit_economics",
        lambda spend, **kw: lf.ltv.unit_economics(cohort_fit(), spend, **kw),
        (lf.ltv.unit_economics,),
        cohort_spend,
        {"channel": "channel", "cost": "cost", "at": "90D", "margin": 0.4, "alpha": 0.05},
    ),
    Case(
        "ltv.backtest",
        lambda orders, **kw: lf.ltv.backtest(COHORT, orders, **kw),
        (lf.ltv.backtest,),
        orders,
        {"cutoff": "2011-06-30", "end": "2011-09-30", "period": "M"},
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ltv.normalized_gini",
        lambda **kw: (lf.ltv.normalized_gini(**kw), lf.ltv.decile_mape(**kw)),
        (lf.ltv.normalized_gini, lf.ltv.decile_mape),
        params={"actual": np.arange(20.0), "predicted": np.arange(20.0)[::-1] ** 0.5},
    ),
    # ------------------------------------------------------------------ benchmarks
    Case(
        "benchmark.compare",
        lambda observations, **kw: lf.benchmark.compare(observations, benchmark(), **kw),
        (lf.benchmark.compare, lf.benchmark.validate_observations),
        observations,
        {"alpha": 0.05, "test": "score", "min_difference": 0.0, "value_per_order": 40.0},
    ),
    Case(
        "benchmark.observations_from_counts",
        lf.benchmark.observations_from_counts,
        (lf.benchmark.observations_from_counts,),
        observation_counts,
        {"stage": "stage", "count": "users", "by": ("country",), "value_per_order": None},
    ),
    Case(
        "benchmark.wilson_interval",
        lf.benchmark.wilson_interval,
        (lf.benchmark.wilson_interval,),
        params={"successes": np.array([3, 40]), "trials": np.array([10, 100]), "alpha": 0.05},
    ),
    Case(
        "benchmark.two_proportion_test",
        lambda **kw: (
            lf.benchmark.two_proportion_test(**kw),
            lf.benchmark.newcombe_interval(**kw),
        ),
        (lf.benchmark.two_proportion_test, lf.benchmark.newcombe_interval),
        params={
            "successes": np.array([30, 40]),
            "trials": np.array([100, 120]),
            "ref_successes": np.array([20, 50]),
            "ref_trials": np.array([100, 110]),
        },
    ),
    Case(
        "benchmark.score_test",
        lambda **kw: (
            lf.benchmark.score_test(**kw),
            lf.benchmark.binomial_test(**kw),
            lf.benchmark.prob_below(**kw),
        ),
        (lf.benchmark.score_test, lf.benchmark.binomial_test, lf.benchmark.prob_below),
        params={"successes": np.array([30, 4]), "trials": np.array([100, 10]), "reference": 0.3},
    ),
    Case(
        "benchmark.bh_qvalues",
        lf.benchmark.bh_qvalues,
        (lf.benchmark.bh_qvalues,),
        params={"p_values": np.array([0.01, 0.2, 0.04])},
    ),
    Case(
        "benchmark.get_benchmark",
        lf.benchmark.get_benchmark,
        (lf.benchmark.get_benchmark, lf.benchmark.available_benchmarks),
        params={"name": lf.benchmark.available_benchmarks()[0]},
    ),
    Case(
        "Reference",
        lambda **kw: lf.Benchmark("mine", [lf.Reference(**kw)]),
        (lf.Reference, lf.Benchmark),
        params={"stage": "cart", "rate": 0.3, "source": "own", "as_of": "2026-01-01"},
    ),
    # ------------------------------------------------------------------ monitor
    Case(
        "monitor.detect",
        lf.monitor.detect,
        (lf.monitor.detect, lf.monitor.Monitor, lf.monitor.Monitor.detect),
        daily_kpis,
        {"method": "robust", "mode": "backfill", "date": "date", "metric": "metric", "tz": None},
    ),
    Case(
        "monitor.daily_rate",
        lf.monitor.daily_rate,
        (lf.monitor.daily_rate,),
        events,
        {"numerator": "payment", "denominator": "visit", "by": ("country",), "tz": "UTC"},
    ),
    Case(
        "monitor.add_day_type",
        lambda daily_kpis, **kw: lf.monitor.add_day_type(daily_kpis, **kw),
        (lf.monitor.add_day_type,),
        daily_kpis,
        {"date": "date"},
    ),
    # ------------------------------------------------------------------ datasets
    Case(
        "datasets.make_demo_store",
        lf.datasets.make_demo_store,
        (lf.datasets.make_demo_store,),
        params={"n_users": 100, "seed": 1, "start": "2026-01-05", "days": 7, "drop": None},
    ),
]

# ------------------------------------------------------------------ more doors


def _model_case(model: type) -> Case:
    return Case(
        f"{model.__name__}.attribute",
        lambda **kw: model().attribute(**kw),
        (model.attribute,),
        params=lambda: {"journeys": journeys()},
    )


def history() -> Frames:
    obs = _quietly(lambda: funnel_result().trend_observations("D", complete_only=False))
    return {"history": obs.rename(columns={"entry_period": "period"})}


CASES += [
    *(_model_case(m) for m in (lf.FirstTouch, lf.LastTouch, lf.LastNonDirect, lf.Linear)),
    *(_model_case(m) for m in (lf.TimeDecay, lf.Shapley)),
    Case(
        "AttributionComparisonResult.economics",
        lambda spend, **kw: lf.compare_attribution([lf.LastTouch()], journeys()).economics(
            spend, **kw
        ),
        (lf.AttributionComparisonResult.economics, lf.AttributionComparisonResult.wide),
        spend,
        {"channel": "channel", "cost": "cost"},
    ),
    Case(
        "Funnel.step_number",
        lambda **kw: lf.Funnel(STAGES).step_number(**kw),
        (lf.Funnel.step_number,),
        params={"step": "click"},
    ),
    Case(
        "Stage.mask",
        lambda events, **kw: lf.Stage("v", event="visit", where={"country": "US"}).mask(
            events, **kw
        ),
        (lf.Stage.mask, lf.Stage.where_mask),
        events,
        {"event": "event"},
    ),
    Case(
        "register_template",
        lf.register_template,
        (lf.register_template,),
        params={"name": "bad-input-test-template"},
    ),
    Case(
        "OverviewResult.segments",
        lambda events, **kw: lf.describe_events(events, by="country").segments(**kw),
        (lf.OverviewResult.segments,),
        events,
        {"dimension": "country"},
    ),
    Case(
        "KPITree.node",
        lambda **kw: (tree().node(**kw), tree().children(**kw), tree().parents(**kw)),
        (lf.KPITree.node, lf.KPITree.children, lf.KPITree.parents),
        params={"name": "cvr"},
    ),
    Case(
        "KPITree.annotate",
        lambda **kw: tree().annotate(**kw),
        (lf.KPITree.annotate,),
        params={"owners": {"cvr": "Product"}},
    ),
    Case(
        "KPITree(nodes)",
        lf.KPITree,
        (lf.KPITree, lf.kpi.Leaf, lf.kpi.Product, lf.kpi.Ratio, lf.kpi.Sum),
        params={
            "nodes": [
                lf.kpi.Product("gmv", ["traffic", "aov"]),
                lf.kpi.Sum("traffic", ["seo", "ads"]),
                lf.kpi.Leaf("seo"),
                lf.kpi.Leaf("ads"),
                lf.kpi.Ratio("aov", "revenue", "orders"),
                lf.kpi.Leaf("revenue"),
                lf.kpi.Leaf("orders"),
            ],
            "root": "gmv",
        },
    ),
    Case(
        "KPITree.decompose_structure",
        lambda before, after, **kw: tree().decompose_structure(before, after, **kw),
        (lf.KPITree.decompose_structure,),
        before_after,
        {"by": "country", "activity": "sessions"},
    ),
    Case(
        "DecompositionResult.contribution",
        lambda **kw: (
            tree()
            .decompose(
                {"sessions": 1000, "orders": 20, "revenue": 1e3},
                {"sessions": 1200, "orders": 30, "revenue": 15e2},
            )
            .contribution(**kw)
        ),
        (lf.DecompositionResult.contribution,),
        params={"node": "cvr"},
    ),
    Case(
        "KPIValuesResult.period_frame",
        lambda frame, **kw: tree().evaluate(frame, period="month", by="country").period_frame(**kw),
        (lf.KPIValuesResult.period_frame,),
        kpi_frame,
        {"label": "2024-01"},
    ),
    Case(
        "kpi.Sequential",
        lambda before, after, **kw: tree().decompose(
            before.sum(numeric_only=True).to_dict(),
            after.sum(numeric_only=True).to_dict(),
            lf.kpi.Sequential(**kw),
        ),
        (lf.kpi.Sequential,),
        before_after,
        {"order": ["sessions", "cvr", "orders", "aov", "revenue"]},
        shapes=False,  # the call sums the frames into mappings itself
    ),
    Case(
        "kpi.log_mean",
        lf.kpi.log_mean,
        (lf.kpi.log_mean,),
        params={"a": np.array([1.0, 2.0, 0.0]), "b": np.array([2.0, 2.0, 0.0])},
    ),
    Case(
        "kpi.register_decomposition",
        lf.kpi.register_decomposition,
        (lf.kpi.register_decomposition,),
        params={"name": "bad-input-test-method"},
    ),
    Case(
        "ltv.ParetoNBD.fit",
        lambda **kw: lf.ltv.ParetoNBD().fit(rfm(), **kw),
        (lf.ltv.ParetoNBD.fit,),
        params={"unit": "W"},
    ),
    Case(
        "BetaGeoResult.expected_purchases",
        _method(betageo_fit, "expected_purchases"),
        (lf.ltv.BetaGeoResult.expected_purchases,),
        params={"t": "8W"},
    ),
    Case(
        "GammaGammaResult.conditional_expected_value",
        lambda orders, **kw: gammagamma_fit().conditional_expected_value(
            lf.ltv.rfm_summary(orders, observation_end="2011-09-30"), **kw
        ),
        (lf.ltv.GammaGammaResult.conditional_expected_value,),
        orders,
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "CohortLTVResult.expected_customer_revenue",
        _method(cohort_fit, "expected_customer_revenue"),
        (lf.ltv.CohortLTVResult.expected_customer_revenue,),
        params={"until": "2012-03-31"},
    ),
    Case(
        "ltv.CohortLTV.fit_orders",
        COHORT.fit_orders,
        (lf.ltv.CohortLTV.fit_orders,),
        orders,
        {"customer": "customer_id", "time": "timestamp", "value": "revenue"},
        columns={"orders": ("customer_id", "timestamp", "revenue")},
    ),
    Case(
        "ProbabilisticLTVResult.expected_customer_revenue",
        lambda **kw: (
            lf.ltv.ProbabilisticLTV()
            .fit_orders(retail(), observation_end="2011-09-30")
            .expected_customer_revenue(**kw)
        ),
        (lf.ltv.ProbabilisticLTVResult.expected_customer_revenue,),
        params={"until": "2012-03-31"},
    ),
    Case(
        "ltv.Span.parse",
        lambda **kw: lf.ltv.Span.parse(**kw).to("D"),
        (lf.ltv.Span, lf.ltv.Span.parse, lf.ltv.Span.to, lf.ltv.TimeUnit),
        params={"value": "12M"},
    ),
    Case(
        "Benchmark.compare",
        lambda observations, **kw: benchmark().compare(observations, **kw),
        (lf.Benchmark.compare,),
        observations,
        {"alpha": 0.05},
    ),
    Case(
        "Benchmark.from_frame",
        lf.Benchmark.from_frame,
        (lf.Benchmark.from_frame,),
        lambda: {
            "frame": pd.DataFrame(
                {"stage": ["click", "visit"], "rate": [0.05, 0.6], "country": ["US", None]}
            )
        },
        {"name": "mine", "source": "own", "as_of": "2026-01-01", "kind": "target"},
    ),
    Case(
        "Benchmark.from_history",
        lf.Benchmark.from_history,
        (lf.Benchmark.from_history,),
        history,
        {"weeks": 2, "period": "period", "tz": None, "name": "own"},
    ),
    Case(
        "benchmark.register_benchmark",
        lf.benchmark.register_benchmark,
        (lf.benchmark.register_benchmark,),
        params={"name": "bad-input-test-benchmark", "replace": False},
    ),
    Case(
        "monitor.Threshold",
        lambda daily_kpis, **kw: lf.monitor.detect(
            daily_kpis, thresholds=[lf.monitor.Threshold(**kw)]
        ),
        (lf.monitor.Threshold,),
        daily_kpis,
        {"metric": "cvr", "below": 0.2, "above": None},
    ),
    Case(
        "datasets.InjectedDrop",
        lambda **kw: lf.datasets.make_demo_store(200, days=14, drop=lf.datasets.InjectedDrop(**kw)),
        (lf.datasets.InjectedDrop, lf.datasets.InjectedDrop.from_mapping),
        params={"stage": "payment", "start": pd.Timestamp("2026-01-10"), "factor": 0.5},
    ),
    Case(
        "schema.read_times",
        lambda events, **kw: lf.schema.read_times(events["timestamp"], **kw),
        (lf.schema.read_times, lf.schema.as_frame, lf.schema.validate),
        events,
        {"column": "timestamp"},
        columns={"events": ("timestamp",)},
        shapes=False,
    ),
    Case(
        "schema.key_kind",
        lf.schema.key_kind,
        (lf.schema.key_kind,),
        params={"values": pd.Series([1, 2, None])},
    ),
    Case(
        "schema.check_time_zone",
        lf.schema.check_time_zone,
        (lf.schema.check_time_zone, lf.schema.TimeValues.bucket, lf.schema.TimeValues.local),
        params={"tz": "Asia/Tokyo"},
    ),
    Case(
        "sql.sql_table",
        lf.sql.sql_table,
        (lf.sql.sql_table, lf.sql.SQLTable),
        params=lambda: {"source": _memtable(), "row_order": None},
    ),
    Case(
        "sql.progress",
        lambda **kw: lf.sql.progress(**kw).__enter__(),
        (lf.sql.progress,),
        params={"callback": None, "every": 10.0},
    ),
]


def _memtable() -> object:
    import ibis  # the [sql] extra, in the test dependency group

    return ibis.memtable(pd.DataFrame({"user_id": [1], "event": ["visit"]}))


CASES += [
    Case(
        "Benchmark.from_rates",
        lf.Benchmark.from_rates,
        (lf.Benchmark.from_rates,),
        params={"rates": {"click": 0.05, "visit": 0.6}, "source": "own", "as_of": "2026-01-01"},
    ),
    Case(
        "Journeys.relabel",
        lambda **kw: journeys().relabel(**kw),
        (lf.Journeys.relabel,),
        params={"mapping": {"email": "crm", "seo": "organic"}},
    ),
]


def _register_backend(**kw: Any) -> object:
    """Register a throw-away backend (and remove it again: the registry is global)."""
    backend = lf.engines.register_backend(lf.engines.Backend(**kw))
    try:
        return (
            lf.engines.backend_for(pd.DataFrame({"a": [1]})).name,
            backend.implementation("funnel_levels"),
            lf.engines.implementation(pd.DataFrame({"a": [1]}), "kpi_leaf_sums"),
        )
    finally:
        from linkstar_funnel.engines._backends import BACKENDS

        BACKENDS.unregister(backend.name)


CASES += [
    Case(
        "stats.fisher_test",
        lambda **kw: (lf.stats.fisher_test(**kw), lf.stats.prob_below_two(**kw)),
        (lf.stats.fisher_test, lf.stats.prob_below_two),
        params={
            "successes": np.array([30, 40]),
            "trials": np.array([100, 120]),
            "ref_successes": np.array([20, 50]),
            "ref_trials": np.array([100, 110]),
        },
    ),
    Case("stats.z_value", lf.stats.z_value, (lf.stats.z_value,), params={"alpha": 0.05}),
    Case(
        "engines.register_backend",
        _register_backend,
        (
            lf.engines.Backend,
            lf.engines.register_backend,
            lf.engines.Backend.implementation,
            lf.engines.implementation,
        ),
        params={
            "name": "bad_input_backend",
            "accepts": lambda _source: False,
            "capabilities": {"funnel_levels": "linkstar_funnel.engines.memory:__doc__"},
        },
        fixed=("accepts",),
    ),
]


def _register_monitor_method(**kw: Any) -> object:
    """Register a method under a throw-away name, use it, and remove it again."""
    from linkstar_funnel.monitor._methods import MONITOR_METHODS

    name = kw["name"]
    lf.monitor.register_monitor_method(**kw)
    try:
        return lf.monitor.monitor_methods()
    finally:
        if name in MONITOR_METHODS:
            MONITOR_METHODS.unregister(name)


CASES += [
    Case(
        "monitor.register_monitor_method",
        _register_monitor_method,
        (lf.monitor.register_monitor_method,),
        params={"name": "bad_input_method", "method": lf.monitor.RobustMethod(), "replace": False},
    ),
]


# --------------------------------------------------------------- cases kept per area
# An area may keep its cases in its own module ``cases_<area>.py`` beside this one, with a
# ``CASES: list[Case]`` and, where it has public callables it does not drive, an
# ``EXEMPT: dict[str, str]`` (qualified name -> reason). They join the catalogue here.


def _area_modules() -> list[Any]:
    import importlib
    import pkgutil
    from pathlib import Path

    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("cases_"))
    return [importlib.import_module(f"{__package__}.{name}") for name in names]


AREA_MODULES = _area_modules()
for _module in AREA_MODULES:
    CASES += list(_module.CASES)
