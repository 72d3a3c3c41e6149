"""Result conventions: Summary text/HTML (escaped), Provenance, the Result protocol."""

from __future__ import annotations

import functools
import inspect
import sys
import warnings
from collections.abc import Callable
from types import ModuleType

import attrs
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.plotting import figure_to_data_uri, get_axes, percent_axis, style_axes
from linkstar_funnel.results import ResultMixin, check_result
from linkstar_funnel.schema import RowAccounting

mpl.use("Agg")

HOSTILE = "<script>alert(1)</script>"


def test_summary_html_escapes_every_piece_of_text() -> None:
    s = lf.Summary(
        HOSTILE,
        facts=((HOSTILE, HOSTILE),),
        table=pd.DataFrame({"country": [HOSTILE], "users": [3]}),
        notes=(HOSTILE,),
    )
    html = s.to_html()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 5
    assert s._repr_html_() == html


def test_summary_text() -> None:
    s = lf.Summary("T", facts=(("a", "1"),), table=pd.DataFrame({"x": [1]}), notes=("n",))
    assert str(s).splitlines() == ["T", "  a: 1", "", " x", " 1", "  note: n"]


def test_provenance_collects_drops_across_inputs() -> None:
    events = RowAccounting(10).with_dropped("missing user", 2, column="user_id")
    orders = RowAccounting(5).with_dropped("missing revenue", 1, column="revenue")
    prov = lf.Provenance(spec="spec", inputs={"events": events, "orders": orders}, notes=("n",))
    assert prov.rows_dropped == 3
    frame = prov.dropped_frame()
    assert frame.to_dict("list") == {
        "input": ["events", "orders"],
        "reason": ["missing user", "missing revenue"],
        "column": ["user_id", "revenue"],
        "rows": [2, 1],
    }
    assert prov.lines()[-1] == "n"
    assert list(lf.Provenance(spec=None).dropped_frame().columns) == [
        "input",
        "reason",
        "column",
        "rows",
    ]


def test_row_accounting_refuses_negative_counts() -> None:
    with pytest.raises(lf.ParameterError, match="≥ 0"):
        RowAccounting(3).with_dropped("x", -1)


def test_row_accounting_ignores_zero_counts() -> None:
    acc = RowAccounting(3)
    assert acc.with_dropped("x", 0) is acc


@attrs.frozen
class _Toy(ResultMixin):
    provenance: lf.Provenance

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"a": [1]})

    def summary(self) -> lf.Summary:
        return lf.Summary("toy", facts=(("rows", "1"),))

    def plot(self, ax: object = None, **kwargs: object) -> object:  # noqa: ARG002 - protocol
        ax = get_axes(ax)  # type: ignore[arg-type]
        ax.bar(["a"], [0.5])
        return percent_axis(style_axes(ax, title="toy"))


def test_result_protocol_and_mixin() -> None:
    toy = _Toy(lf.Provenance(spec=None))
    assert isinstance(toy, lf.Result)
    assert str(toy) == "toy\n  rows: 1"
    assert "<h4>toy</h4>" in toy._repr_html_()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        toy.provenance = lf.Provenance(spec=1)  # type: ignore[misc]
    ax = toy.plot()
    assert ax.get_title(loc="left") == "toy"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    uri = figure_to_data_uri(ax.figure)  # type: ignore[arg-type]
    assert uri.startswith("data:image/png;base64,")


# --------------------------------------------------------------------------- check_result
#
# Every result class the library exports is held to the conventions by check_result. The
# classes are discovered (a new one joins automatically); FACTORIES builds one instance of
# each from the bundled data and the demo store. A factory is keyed by nothing but what it
# returns, so a class renamed (with its old name kept as an alias) needs no change here; a
# new result class needs a factory added to FACTORIES, or its test fails.


@functools.cache
def _store() -> lf.datasets.DemoStore:
    return lf.datasets.make_demo_store(n_users=1_500, seed=3, days=28)


@functools.cache
def _retail() -> pd.DataFrame:
    """Online Retail orders of 150 customers, Dec 2010 - Sep 2011."""
    orders = lf.datasets.online_retail_orders()
    orders = orders[orders["timestamp"] < pd.Timestamp("2011-10-01", tz="Europe/London")]
    keep = orders["customer_id"].drop_duplicates().iloc[:150]
    out = orders[orders["customer_id"].isin(keep)].reset_index(drop=True)
    return out[["order_id", "customer_id", "timestamp", "revenue", "country"]]


_STAGES = [lf.Stage("impression"), lf.Stage("click"), lf.Stage("visit"), lf.Stage("payment")]
_TREE = "gmv = sessions * cvr * aov\ncvr = orders / sessions\naov = revenue / orders"
_BEFORE = pd.DataFrame(
    {"country": ["UK", "DE"], "sessions": [1000, 500], "orders": [20, 10], "revenue": [1e3, 6e2]}
)
_AFTER = pd.DataFrame(
    {"country": ["UK", "DE"], "sessions": [1200, 400], "orders": [30, 12], "revenue": [15e2, 66e1]}
)

_LEAVES = {"sessions": 1500, "orders": 30, "revenue": 1600.0}


@functools.cache
def _funnel() -> lf.FunnelResult:
    events = _store().events.iloc[:3_000].reset_index(drop=True)
    return lf.Funnel(_STAGES, window="7D").compute(events, by="country")


@functools.cache
def _journeys() -> lf.Journeys:
    s = _store()
    return lf.Journeys.from_touchpoints(
        s.touchpoints, s.orders, conversion_user="customer_id", value="revenue"
    )


def _benchmark() -> lf.Benchmark:
    rates = {"click": 0.05, "visit": 0.6, "payment": 0.03}
    return lf.Benchmark.from_rates(rates, source="own", as_of="2026-01-01")


def _tree() -> lf.KPITree:
    return lf.KPITree.from_formula(_TREE)


def _kpi_frame() -> pd.DataFrame:
    return pd.concat([_BEFORE.assign(month="2024-01"), _AFTER.assign(month="2024-02")])


@functools.cache
def _rfm() -> object:
    return lf.ltv.rfm_summary(_retail(), observation_end="2011-09-30")


_COHORT = lf.ltv.CohortLTV(horizon="180D", step="7D", use_prophet=False, min_customers=20)


@functools.cache
def _cohort_fit() -> object:
    data = _retail().assign(channel=np.where(_retail()["customer_id"] % 2 == 0, "ads", "seo"))
    return _COHORT.fit(data, by="channel")


def _daily_kpis() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2026-01-05", periods=60, freq="D")
    trials = rng.poisson(1_000, len(dates))
    successes = rng.binomial(trials, 0.3)
    successes[-3:] = trials[-3:] // 10  # a drop to alert on
    return pd.DataFrame({"date": dates, "metric": "cvr", "successes": successes, "trials": trials})


@functools.cache
def _timeline() -> lf.orders.Timeline:
    d = lf.datasets.demo_timelines(_store().orders, seed=0)
    return lf.orders.Timeline.from_columns(d.orders, **d.columns)


@functools.cache
def _search_demo() -> lf.datasets.DemoSearch:
    return lf.datasets.make_demo_search(300, seed=5, days=14)


def _quietly(make: Callable[[], object]) -> object:
    """Build a result, letting the library's notes about the sample data pass."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        warnings.simplefilter("ignore", lf.ConvergenceWarning)
        return make()


#: One way to build an instance of each result class (from small bundled/demo data).
FACTORIES: tuple[Callable[[], object], ...] = (
    lambda: lf.describe_events(_store().events.iloc[:2_000], by="country"),
    _funnel,
    lambda: _funnel().compare(_benchmark()),
    lambda: lf.LastTouch().attribute(_journeys()),
    lambda: lf.Markov(order=1).attribute(_journeys()),
    lambda: lf.compare_attribution([lf.LastTouch(), lf.Linear()], _journeys()),
    lambda: lf.channel_economics(lf.LastTouch().attribute(_journeys()), _store().spend),
    lambda: _tree().evaluate(_kpi_frame(), period="month", by="country"),
    lambda: _tree().decompose(_BEFORE, _AFTER, method="lmdi", by="country"),
    lambda: _tree().target(value=60_000.0, driver="cvr", at=_LEAVES),
    lambda: _tree().sensitivity(at=_LEAVES),
    lambda: _tree().mix_rate(_BEFORE, _AFTER, node="cvr", by="country"),
    _rfm,
    lambda: lf.ltv.calibration_holdout(
        _retail(), calibration_end="2011-06-30", observation_end="2011-09-30"
    ),
    lambda: lf.ltv.BetaGeo().fit(_rfm()),
    lambda: lf.ltv.ParetoNBD().fit(_rfm()),
    lambda: lf.ltv.GammaGamma().fit(_rfm()),
    lambda: lf.ltv.ProbabilisticLTV().fit_orders(_retail(), observation_end="2011-09-30"),
    _cohort_fit,
    lambda: _cohort_fit().predict("90D"),  # type: ignore[attr-defined]
    lambda: lf.ltv.unit_economics(
        _cohort_fit(),
        pd.DataFrame({"channel": ["ads", "seo"], "cost": [5_000.0, 800.0]}),
        at="90D",
    ),
    lambda: lf.ltv.backtest(_COHORT, _retail(), cutoff="2011-06-30", end="2011-09-30"),
    lambda: lf.monitor.detect(_daily_kpis()),
    lambda: _tree().scorecard(
        pd.DataFrame({"date": pd.date_range("2026-03-01", "2026-03-10"), "sessions": 100.0}).assign(
            orders=2.0, revenue=90.0
        ),
        {"gmv": 3_000.0, "cvr": 0.025},
    ),
    lambda: _tree().baseline(
        pd.DataFrame({"date": pd.date_range("2026-01-05", "2026-03-01"), "sessions": 100.0}).assign(
            orders=2.0, revenue=90.0
        ),
        periods=4,
    ),
    lambda: lf.Retention("order", periods=3).compute(
        _retail().assign(event="order"), user="customer_id", value="revenue", by="country"
    ),
    lambda: lf.Lifecycle("order", period="M").compute(
        _retail().assign(event="order"), user="customer_id"
    ),
    lambda: lf.ltv.rfm_segments(_retail(), p_alive=False),
    lambda: lf.experiment.compare_rates(
        pd.DataFrame({"variant": ["A", "B"], "users": [1000, 1000], "conversions": [30, 40]}),
        control="A",
    ),
    lambda: lf.ads.economics(
        pd.DataFrame({"campaign": ["brand", "generic"], "cost": [100.0, 300.0]}).assign(
            impressions=[10_000, 60_000], clicks=[500, 900]
        ),
        by="campaign",
        impressions="impressions",
        clicks="clicks",
        conversions=pd.DataFrame(
            {"campaign": ["brand", "generic"], "orders": [25, 30], "revenue": [1e3, 1.2e3]}
        ),
        total_revenue=4_000.0,
    ),
    lambda: _timeline().lead_times(sla={"paid->shipped": "2D"}, by="country"),
    lambda: _timeline().rates(by="platform"),
    lambda: lf.search.keywords(
        _search_demo().searches, clicks=_search_demo().search_clicks, orders=_search_demo().orders
    ),
    lambda: lf.basket.rules(
        _search_demo().order_lines,
        item="product_id",
        quantity="quantity",
        cancelled_prefix="C",
        min_support=0.05,
    ),
    lambda: lf.basket.cross_sell(
        _search_demo().order_lines, "P01", item_column="product_id", min_orders=1
    ),
    lambda: lf.IdentityGraph.from_pairs(
        pd.DataFrame({"device_id": ["d1", "d2", "d3"], "email": ["a@x", "a@x", "b@x"]}),
        left="device_id",
        right="email",
    ),
    lambda: lf.ltv.AutoLTV(horizon="120D", window="60D", use_prophet=False).fit(
        _retail(), observation_end="2011-09-30"
    ),
    lambda: lf.ltv.ModifiedBetaGeo().fit(_rfm()),
    lambda: lf.io.read_shopify_orders(lf.io.sample_path("shopify")),
)


def _public_modules() -> list[ModuleType]:
    subpackages = [getattr(lf, n) for n in lf.__all__ if isinstance(getattr(lf, n), ModuleType)]
    return [lf, *subpackages]


def _is_result_class(obj: object) -> bool:
    if not isinstance(obj, type) or inspect.isabstract(obj) or obj is ResultMixin:
        return False
    if getattr(obj, "_is_protocol", False):  # the Result protocol itself
        return False
    return obj.__name__.endswith("Result") or issubclass(obj, ResultMixin)


def _result_classes() -> list[type]:
    found: dict[type, None] = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if _is_result_class(obj):
                found[obj] = None
    stack = list(ResultMixin.__subclasses__())  # also results returned but not exported
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not cls.__module__.startswith("linkstar_funnel.") or not _is_result_class(cls):
            continue
        # attrs replaces a slotted class by a new one; the class body it started from can
        # linger among the subclasses: keep the class its module names.
        if getattr(sys.modules[cls.__module__], cls.__name__, cls) is cls:
            found[cls] = None
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


@attrs.frozen
class Built:
    """One instance per result class, and the factories that failed (with their error)."""

    instances: dict[type, object]
    errors: tuple[str, ...]


@pytest.fixture(scope="module")
def built() -> Built:
    instances: dict[type, object] = {}
    errors: list[str] = []
    for i, factory in enumerate(FACTORIES):
        try:
            result = _quietly(factory)
        except Exception as exc:  # noqa: BLE001 - reported by the test that needs the class
            errors.append(f"FACTORIES[{i}] raised {type(exc).__name__}: {exc}")
            continue
        instances.setdefault(type(result), result)
    return Built(instances, tuple(errors))


RESULT_CLASSES = _result_classes()

#: Conventions a result class is known to break, by its names (old and new), with the
#: reason: the test is a strict xfail for them, so it fails once the class is fixed and
#: the entry must go.
KNOWN_BROKEN: dict[tuple[str, ...], str] = {}


def _param(cls: type) -> object:
    for names, reason in KNOWN_BROKEN.items():
        if cls.__qualname__ in names:
            return pytest.param(cls, marks=pytest.mark.xfail(reason=reason, strict=True))
    return cls


def test_the_discovery_finds_the_known_results() -> None:
    names = {cls.__qualname__ for cls in RESULT_CLASSES}
    assert {"FunnelResult", "AttributionResult", "OverviewResult"} <= names
    assert "Result" not in names
    assert "ResultMixin" not in names


@pytest.mark.slow
@pytest.mark.parametrize("cls", [_param(c) for c in RESULT_CLASSES], ids=lambda c: c.__qualname__)
def test_every_result_class_keeps_the_conventions(cls: type, built: Built) -> None:
    if cls not in built.instances:
        failed = "".join(f"\n  {e}" for e in built.errors)
        pytest.fail(
            f"No factory in tests/test_results.py FACTORIES builds a {cls.__module__}."
            f"{cls.__qualname__}: add one so check_result covers it (or fix the factory "
            f"that should).{failed}"
        )
    check_result(built.instances[cls])


def test_check_result_reports_every_broken_convention() -> None:
    @attrs.define
    class Mutable(ResultMixin):
        frame: pd.DataFrame
        provenance: object = None

        def to_frame(self) -> pd.DataFrame:
            return self.frame  # the same object each call

        def summary(self) -> str:  # type: ignore[override]
            return "not a Summary"

        def _repr_html_(self) -> str:
            return "<p>ok</p>"

        def plot(self, ax: object = None, **kwargs: object) -> object:  # noqa: ARG002
            return None

    with pytest.raises(lf.ConformanceError) as info:
        check_result(Mutable(pd.DataFrame({"a": [1, 2]})))
    assert [f.split(":")[0] for f in info.value.failures] == [
        "frozen attrs",
        "provenance",
        "to_frame",
        "summary",
        "plot",
    ]
    text = str(info.value)
    assert "assigning its field 'frame' worked" in text
    assert "the same DataFrame object twice" in text
    assert "plot() must return a Axes. Got NoneType" in text


def test_check_result_catches_a_frame_that_writes_through() -> None:
    @attrs.frozen
    class Leaky(_Toy):
        values: np.ndarray = attrs.field(factory=lambda: np.array([1.0, 2.0]), eq=False)

        def to_frame(self) -> pd.DataFrame:
            return pd.DataFrame({"v": self.values}, copy=False)

    with pytest.raises(lf.ConformanceError, match="column 'v' shares memory"):
        check_result(Leaky(lf.Provenance(spec=None)))


def test_check_result_passes_a_well_behaved_result() -> None:
    check_result(_Toy(lf.Provenance(spec=None)))
