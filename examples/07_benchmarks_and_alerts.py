"""Is a rate worth acting on? Benchmarks (industry and own history) and daily alerts.

The demo store is generated with a known drop: in Germany, the checkout to payment rate
halves on 2026-03-10, 11 and 12 (Berlin time). The alerts must find it.

Run: ``python examples/07_benchmarks_and_alerts.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
from linkstar_funnel.benchmark import (
    Benchmark,
    check_benchmark_set,
    get_benchmark,
    observations_from_counts,
)

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

drop = {"stage": "payment", "start": "2026-03-10", "end": "2026-03-13", "factor": 0.5,
        "country": "DE"}  # fmt: skip
store = lf.datasets.make_demo_store(n_users=400_000, seed=0, drop=drop)
events = store.events
stages = ["impression", "click", "visit", "product_view", "add_to_cart", "checkout", "payment"]
funnel = lf.Funnel(stages, window="7D")
aov = float(store.orders.loc[store.orders["status"] != "refunded", "revenue"].mean())

# 1. Shipped industry figures, only where the definition matches a user-level step:
#    checkout completion (Littledata) and cart-to-order (Baymard). Per-session rates
#    (add-to-cart per session, orders per session) are left out on purpose.
industry = get_benchmark("industry")
check_benchmark_set("industry")  # dated, sourced, defined: raises ConformanceError otherwise
comparable = Benchmark(
    "comparable industry figures",
    [r for r in industry.references if r.base in ("checkout", "add_to_cart")],
)
print(comparable.to_frame()[["stage", "base", "rate", "source", "as_of"]].to_string(index=False))
by_platform = funnel.compute(events, by="platform")
obs = observations_from_counts(
    by_platform.to_frame(), stages=stages, by=["platform"], value_per_order=aov
)
cmp = comparable.compare(obs)
cols = [*cmp.by, "base", "stage", "observed", "reference", "q_value", "verdict", "impact"]
print(cmp.to_frame()[cols].round(4).to_string(index=False))
print(cmp.needs_action()[cols].round(4).to_string(index=False))

# 2. Own history: the last complete entry week against the 8 weeks before, per country.
by_country = funnel.compute(events, by="country")
trends = by_country.trends("W")
judged = trends.loc[trends["complete"], "period"].max()
weekly = observations_from_counts(trends, stages=stages, by=["period", "country"])
weekly = weekly[weekly["step"]]
history = Benchmark.from_history(weekly[weekly["period"] < judged], weeks=8, end=judged.date())
this_week = weekly[weekly["period"] == judged].drop(columns="period")
hist = history.compare(this_week).to_frame()
print(hist.sort_values("p_value").head(5)[["country", "base", "stage", "observed", "reference",
                                           "q_value", "verdict"]].round(4).to_string(index=False))  # fmt: skip

# 3. Daily alerts: checkout -> payment per country, days in each market's time zone.
zones = dict(zip(store.markets["country"], store.markets["time_zone"], strict=True))
daily = lf.monitor.daily_rate(
    events, "payment", "checkout", metric="checkout→payment", tz=zones, market="country"
)
daily = daily[daily["date"] <= "2026-03-29"]  # the last local days are partial
alerts = lf.monitor.detect(daily, method="pchart", by=["country"], direction="drop", window="28D")
print(alerts.to_frame()[["date", "country", "observed", "lower", "upper", "severity", "n"]])
found = set(alerts.to_frame().query("country == 'DE'")["date"].dt.strftime("%Y-%m-%d"))
print("injected drop days found:", sorted(found & {"2026-03-10", "2026-03-11", "2026-03-12"}))

ax = alerts.plot(metric="checkout→payment", country="DE")
ax.figure.savefig(out / "07_alerts_de.png", dpi=110, bbox_inches="tight")
ax = cmp.plot()
ax.figure.savefig(out / "07_industry.png", dpi=110, bbox_inches="tight")
plt.close("all")
