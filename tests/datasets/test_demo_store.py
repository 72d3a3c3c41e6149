from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.datasets import DemoStore, DemoTruth, InjectedDrop, make_demo_store
from linkstar_funnel.errors import ParameterError

STAGES = ["impression", "click", "visit", "product_view", "add_to_cart", "checkout", "payment"]
SEGMENTS = ["country", "device", "platform", "channel", "campaign", "creative"]
UTC = "datetime64[ns, UTC]"


@pytest.fixture(scope="module")
def store() -> DemoStore:
    return make_demo_store(40_000, seed=7)


def test_events_schema(store: DemoStore) -> None:
    ev = store.events
    assert list(ev.columns) == ["user_id", "timestamp", "event", "session_id", *SEGMENTS]
    assert ev["user_id"].dtype == np.int64
    assert ev["session_id"].dtype == np.int64
    assert str(ev["timestamp"].dtype) == UTC
    for col in ["event", *SEGMENTS]:
        assert isinstance(ev[col].dtype, pd.CategoricalDtype), col
    assert list(ev["event"].cat.categories[:7]) == STAGES
    assert {"search", "page_view", "wishlist"} <= set(ev["event"].cat.categories)
    assert set(ev["country"].cat.categories) == {"US", "GB", "DE", "JP", "AU", "BR"}
    assert set(ev["platform"].cat.categories) == {"own_site", "amazon", "tiktok_shop"}
    assert set(ev["device"].cat.categories) == {"mobile", "desktop", "tablet"}
    assert 20 <= len(ev["creative"].cat.categories) <= 40
    assert ev.notna().all().all()


def test_other_tables_schema(store: DemoStore) -> None:
    tp, orders, spend = store.touchpoints, store.orders, store.spend
    assert list(tp.columns) == ["user_id", "timestamp", "channel", "campaign", "creative"]
    assert str(tp["timestamp"].dtype) == UTC
    assert list(orders.columns) == [
        "order_id",
        "customer_id",
        "timestamp",
        "revenue",
        "units",
        "status",
        "country",
        "platform",
        "channel",
        "device",
    ]
    assert orders["order_id"].dtype == np.int64
    assert orders["order_id"].is_unique
    assert orders["customer_id"].dtype == np.int64
    assert str(orders["timestamp"].dtype) == UTC
    assert orders["revenue"].dtype == np.float64
    assert (orders["revenue"] > 0).all()
    assert orders["units"].dtype == np.int64
    assert (orders["units"] >= 1).all()
    assert set(orders["status"].cat.categories) == {"paid", "shipped", "delivered", "refunded"}
    assert list(spend.columns) == ["date", "channel", "campaign", "cost"]
    assert str(spend["date"].dtype) == "datetime64[ns]"
    assert (spend["date"] == spend["date"].dt.normalize()).all()
    assert (spend["cost"] >= 0).all()
    assert set(spend["channel"]) == {"paid_search", "paid_social", "email", "affiliate"}
    assert list(store.markets.columns)[:3] == ["country", "time_zone", "currency"]
    assert (
        dict(zip(store.markets["country"], store.markets["time_zone"], strict=True))["JP"]
        == "Asia/Tokyo"
    )


def test_everything_falls_inside_the_window(store: DemoStore) -> None:
    start, end = store.truth.start, store.truth.end
    assert end - start == pd.Timedelta(days=84)
    for frame in (store.events, store.touchpoints, store.orders):
        assert frame["timestamp"].min() >= start
        assert frame["timestamp"].max() < end
    assert store.spend["date"].nunique() == 84


def test_same_seed_same_frames_other_seed_differs() -> None:
    a, b = make_demo_store(3_000, seed=3), make_demo_store(3_000, seed=3)
    for name in ("events", "touchpoints", "orders", "spend", "markets"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.truth.step_rates, b.truth.step_rates)
    c = make_demo_store(3_000, seed=4)
    assert not a.events.equals(c.events)
    assert not a.orders.equals(c.orders)


def test_users_events_and_sessions(store: DemoStore) -> None:
    ev = store.events
    assert ev["user_id"].nunique() == 40_000
    first = ev[ev["event"] == "impression"].groupby("user_id")["timestamp"].min()
    assert len(first) == 40_000
    assert (ev.groupby("user_id")["timestamp"].min() == first).all()
    assert not ev["timestamp"].is_monotonic_increasing  # shuffled: engines must sort
    assert ev.groupby("session_id")["user_id"].nunique().max() == 1
    # Acquisition attributes are constant per user; device may change between sessions.
    per_user = ev.groupby("user_id")[["country", "platform", "channel", "creative"]].nunique()
    assert (per_user == 1).all().all()
    devices = ev.groupby("user_id")["device"].nunique()
    assert 0 < (devices > 1).mean() < 0.1
    # Each stage is first reached no earlier than the one before it.
    firsts = ev[ev["event"].isin(STAGES)].pivot_table(
        index="user_id", columns="event", values="timestamp", aggfunc="min", observed=True
    )[STAGES]
    for prev, stage in itertools.pairwise(STAGES):
        both = firsts[[prev, stage]].dropna()
        assert (both[stage] >= both[prev]).all(), stage
    # Repeated events and noise are there.
    views = ev[ev["event"] == "product_view"].groupby("user_id").size()
    assert (views > 1).mean() > 0.4
    assert (ev["event"] == "search").sum() > 1_000


def test_daily_cycle_and_weekday_pattern(store: DemoStore) -> None:
    ev = store.events
    zones = dict(zip(store.markets["country"], store.markets["time_zone"], strict=True))
    hours, weekdays = [], []
    for country, zone in zones.items():
        local = ev.loc[ev["country"] == country, "timestamp"].dt.tz_convert(zone)
        hours.append(local.dt.hour.to_numpy())
        weekdays.append(local.dt.day_of_week.to_numpy())
    hour = np.concatenate(hours)
    night = np.isin(hour, [2, 3, 4, 5]).mean()
    evening = np.isin(hour, [19, 20, 21, 22]).mean()
    assert evening > 6 * night
    # UTC hours are flattened by the mix of zones: the cycle is local, not global.
    utc_hour = ev["timestamp"].dt.hour
    assert utc_hour.isin([19, 20, 21, 22]).mean() < 2 * utc_hour.isin([2, 3, 4, 5]).mean()
    weekday = np.bincount(np.concatenate(weekdays), minlength=7)
    assert weekday[6] > 1.15 * weekday[5]  # Sunday busier than Saturday


def test_orders_match_payments_and_touchpoints(store: DemoStore) -> None:
    ev, orders, tp = store.events, store.orders, store.touchpoints
    pay = ev[ev["event"] == "payment"]
    assert pay["user_id"].is_unique
    assert set(orders["customer_id"]) <= set(ev["user_id"])
    first = orders.sort_values("timestamp").drop_duplicates("customer_id")
    assert set(first["customer_id"]) == set(pay["user_id"])
    paid_at = pay.set_index("user_id")["timestamp"]
    assert (
        first.set_index("customer_id")["timestamp"] == paid_at.loc[first["customer_id"]].to_numpy()
    ).all()
    # Order segments are the customer's acquisition attributes (device: the payment session's).
    user_seg = ev.drop_duplicates("user_id").set_index("user_id")
    for col in ("country", "platform", "channel"):
        assert (
            orders[col].astype(str).to_numpy()
            == user_seg.loc[orders["customer_id"], col].astype(str).to_numpy()
        ).all()
    pay_device = pay.set_index("user_id")["device"].astype(str)
    assert (
        first["device"].astype(str).to_numpy() == pay_device.loc[first["customer_id"]].to_numpy()
    ).all()
    # Touches precede conversions and visits; the acquisition touch is the first impression.
    first_touch = tp.groupby("user_id")["timestamp"].min()
    assert (first_touch.loc[first["customer_id"]].to_numpy() <= first["timestamp"].to_numpy()).all()
    visits = ev[ev["event"] == "visit"].groupby("user_id")["timestamp"].min()
    assert (first_touch.loc[visits.index] <= visits).all()
    touches = tp.groupby("user_id").size()
    assert touches.loc[first["customer_id"]].mean() > 2
    assert tp["channel"].nunique() == 6
    # Repeat purchases and refunds.
    per_customer = orders.groupby("customer_id").size()
    assert 0.1 < (per_customer > 1).mean() < 0.6
    assert 0.02 < (orders["status"] == "refunded").mean() < 0.08


def test_some_journeys_take_longer_than_a_week(store: DemoStore) -> None:
    ev = store.events
    t = ev[ev["event"].isin(["impression", "payment"])].pivot_table(
        index="user_id", columns="event", values="timestamp", aggfunc="min", observed=True
    )
    t = t.dropna()
    days = (t["payment"] - t["impression"]) / pd.Timedelta(days=1)
    assert 0.05 < (days > 7).mean() < 0.5
    assert (days < 1 / 24).mean() > 0.2


def test_truth_tables_are_consistent(store: DemoStore) -> None:
    truth = store.truth
    assert isinstance(truth, DemoTruth)
    rates = truth.step_rates
    assert len(rates) == 6 * 6 * 3 * 3 * 27
    assert rates["rate"].between(0, 1).all()
    base = truth.base_rates.set_index("stage")["rate"]
    mult = truth.multipliers.set_index(["dimension", "value", "stage"])["multiplier"]
    row = rates.iloc[1234]
    expected = base[row["stage"]] * np.prod(
        [
            mult[(dim, str(row[dim]), row["stage"])]
            for dim in ("country", "platform", "device", "channel", "creative")
        ]
    )
    assert row["rate"] == pytest.approx(expected)
    assert truth.drop is None
    assert set(truth.aov["country"]) == set(store.markets["country"])
    assert set(truth.bgnbd) == {"r", "alpha", "a", "b"}
    assert truth.hourly_profile["share"].sum() == pytest.approx(1)
    assert "DemoTruth(n_users=40000" in repr(truth)
    assert repr(store).startswith("DemoStore(users=40,000")


def _reached(events: pd.DataFrame, users: pd.Index) -> dict[str, pd.Index]:
    ev = events[events["user_id"].isin(users)]
    return {s: pd.Index(ev.loc[ev["event"] == s, "user_id"].unique()) for s in STAGES}


def _recovery_z(store: DemoStore, by: list[str]) -> pd.DataFrame:
    """z-scores of empirical step rates against the truth, per stage and segment.

    Users acquired in the first 50 of 120 days (so their journeys are complete); a user
    "reaches" a stage if they have any event of it. The expectation is the mean true rate
    of the users at risk, so it is exact whatever the mix of cells.
    """
    ev = store.events
    users = (
        ev[ev["event"] == "impression"]
        .groupby("user_id")
        .agg(
            t=("timestamp", "min"),
            **{c: (c, "first") for c in ["country", "platform", "device", "creative"]},
        )
    )
    users = users[users["t"] < store.truth.start + pd.Timedelta(days=50)]
    reached = _reached(ev, users.index)
    truth = store.truth.step_rates.astype(
        dict.fromkeys(["country", "platform", "device", "creative"], str)
    )
    parts = []
    for prev, stage in itertools.pairwise(STAGES):
        at_risk = users.loc[reached[prev]].astype(str)
        p = at_risk.merge(
            truth[truth["stage"] == stage],
            on=["country", "platform", "device", "creative"],
            how="left",
        )["rate"].to_numpy()
        frame = at_risk.assign(p=p, hit=at_risk.index.isin(reached[stage]), var=p * (1 - p))
        g = frame.groupby(by).agg(
            n=("p", "size"), hit=("hit", "sum"), p=("p", "sum"), var=("var", "sum")
        )
        g = g[g["n"] >= 30]
        parts.append(g.assign(stage=stage, z=(g["hit"] - g["p"]) / np.sqrt(g["var"])))
    return pd.concat(parts)


@pytest.fixture(scope="module")
def long_store() -> DemoStore:
    return make_demo_store(150_000, seed=12, days=120)


def test_step_rates_recovered_by_platform_and_device(long_store: DemoStore) -> None:
    z = _recovery_z(long_store, ["platform", "device"])
    assert len(z) >= 6 * 8
    assert (z["z"].abs() < 4.5).all(), z.sort_values("z").iloc[[0, -1]]


def test_step_rates_recovered_in_every_cell(long_store: DemoStore) -> None:
    z = _recovery_z(long_store, ["country", "platform", "device", "creative"])
    df = len(z)
    assert df > 300
    chi2 = float((z["z"] ** 2).sum())
    assert chi2 < df + 4 * np.sqrt(2 * df)
    assert chi2 > df - 4 * np.sqrt(2 * df)  # not suspiciously exact either


def test_aov_and_spend_match_truth(long_store: DemoStore) -> None:
    orders = long_store.orders
    aov = long_store.truth.aov.set_index("country")["aov_usd"]
    stats = orders.groupby("country", observed=True)["revenue"].agg(["mean", "std", "size"])
    z = (stats["mean"] - aov.loc[stats.index]) / (stats["std"] / np.sqrt(stats["size"]))
    assert (z.abs() < 4).all(), z
    ev = long_store.events
    acquired = ev[ev["event"] == "impression"].drop_duplicates("user_id")
    users = acquired.groupby("campaign", observed=True).size()
    cost = long_store.spend.groupby("campaign", observed=True)["cost"].sum()
    cpu = long_store.truth.creatives.groupby("campaign")["cost_per_user"].first()
    ratio = cost / users.loc[cost.index] / cpu.loc[cost.index]
    assert ratio.between(0.95, 1.05).all(), ratio


def test_injected_drop_shows_up_and_is_recorded() -> None:
    drop = {"stage": "checkout", "start": "2026-02-16", "factor": 0.4, "country": "DE"}
    store = make_demo_store(100_000, seed=5, drop=drop)
    recorded = store.truth.drop
    assert isinstance(recorded, InjectedDrop)
    assert recorded.start == pd.Timestamp("2026-02-16", tz="Europe/Berlin")
    assert recorded.factor == 0.4
    ev = store.events
    de = ev[ev["country"] == "DE"]
    carts = de[de["event"] == "add_to_cart"].groupby("user_id")["timestamp"].min()
    carts = carts[carts < store.truth.end - pd.Timedelta(days=25)]
    checked = carts.index.isin(de.loc[de["event"] == "checkout", "user_id"])
    after = (carts >= recorded.start).to_numpy()
    rate_before, rate_after = checked[~after].mean(), checked[after].mean()
    assert rate_after / rate_before == pytest.approx(0.4, abs=0.12)
    other = ev[ev["country"] == "US"]
    us_carts = other[other["event"] == "add_to_cart"].groupby("user_id")["timestamp"].min()
    us_checked = us_carts.index.isin(other.loc[other["event"] == "checkout", "user_id"])
    us_after = (us_carts >= recorded.start).to_numpy()
    assert us_checked[us_after].mean() / us_checked[~us_after].mean() > 0.85


def test_a_million_events_in_a_few_seconds() -> None:
    began = time.perf_counter()
    store = make_demo_store(320_000, seed=2)
    elapsed = time.perf_counter() - began
    assert 800_000 < len(store.events) < 1_300_000
    assert elapsed < 10  # about 0.6 s on a laptop core


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n_users": 0}, "'n_users'"),
        ({"n_users": True}, "'n_users'"),
        ({"n_users": 1.5}, "'n_users'"),
        ({"seed": -1}, "'seed'"),
        ({"start": "not a date"}, "'start'"),
        ({"start": "2026-01-05 10:00"}, "'start'"),
        ({"start": pd.Timestamp("2026-01-05", tz="UTC")}, "'start'"),
        ({"start": 20260105}, "'start'"),
        ({"days": 3}, "'days'"),
        ({"drop": "checkout"}, "'drop'"),
        ({"drop": {"stage": "checkout", "start": "2026-02-01"}}, "\"drop['factor']\""),
        ({"drop": {"stage": "impression", "start": "2026-02-01", "factor": 0.5}}, "drop['stage']"),
        ({"drop": {"stage": "checkout", "start": "2026-02-01", "factor": 1.5}}, "drop['factor']"),
        ({"drop": {"stage": "checkout", "start": "soon", "factor": 0.5}}, "drop['start']"),
        (
            {"drop": {"stage": "checkout", "start": "2026-02-01", "factor": 0.5, "country": "FR"}},
            "drop['country']",
        ),
        (
            {
                "drop": {
                    "stage": "checkout",
                    "start": "2026-02-01",
                    "factor": 0.5,
                    "end": "2026-01-01",
                }
            },
            "drop['end']",
        ),
        (
            {"drop": {"stage": "checkout", "start": "2026-02-01", "factor": 0.5, "when": 1}},
            "'drop'",
        ),
    ],
)
def test_parameter_errors_name_the_parameter(kwargs: dict[str, object], param: str) -> None:
    with pytest.raises(ParameterError, match="make_demo_store") as info:
        make_demo_store(**{"n_users": 100, **kwargs})  # type: ignore[arg-type]
    assert param in str(info.value)
    assert "Got " in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"stage": "impression"}, "'stage'"),
        ({"start": None}, "'start'"),
        ({"start": pd.DataFrame()}, "'start'"),  # was an AttributeError in the simulator
        ({"start": "2026-01-10"}, "'start'"),
        ({"factor": 1.5}, "'factor'"),
        ({"factor": float("nan")}, "'factor'"),
        ({"country": "FR"}, "'country'"),
        ({"end": pd.Timestamp("2026-01-01")}, "'end'"),
    ],
)
def test_injected_drop_checks_its_fields(kwargs: dict[str, object], param: str) -> None:
    from linkstar_funnel.datasets import InjectedDrop

    args: dict[str, object] = {
        "stage": "payment",
        "start": pd.Timestamp("2026-01-10"),
        "factor": 0.5,
    }
    with pytest.raises(ParameterError, match=f"{param} parameter of InjectedDrop"):
        InjectedDrop(**{**args, **kwargs})  # type: ignore[arg-type]


def test_injected_drop_reads_naive_times_as_utc() -> None:
    from linkstar_funnel.datasets import InjectedDrop

    drop = InjectedDrop("payment", pd.Timestamp("2026-01-10"), 0.5)
    assert drop.start == pd.Timestamp("2026-01-10", tz="UTC")
    assert drop == InjectedDrop.from_mapping(
        {"stage": "payment", "start": "2026-01-10", "factor": 0.5}
    )
