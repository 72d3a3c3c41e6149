"""After the payment: order timelines, lead times, refund rates and the ten-stage funnel.

The demo store's orders get status times from a seeded generator with known truth
(handling time by platform, transit time by market and carrier, refunds by platform):
``lf.datasets.demo_timelines`` (``store.timelines`` draws the same from the store's own
seed). We build a timeline, measure paid -> shipped -> delivered with open orders
censored, compare refund rates with a target, watch the daily refund rate, and run the
ten-stage funnel from impression to repurchase over the site's events and the timeline's.

Run: ``python examples/08_after_payment.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import linkstar_funnel as lf
import linkstar_funnel.monitor as mon
from linkstar_funnel.benchmark import Benchmark

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))
pd.set_option("display.width", 140)

store = lf.datasets.make_demo_store(n_users=40_000, seed=0)
demo = lf.datasets.demo_timelines(store.orders, seed=0)

# 1. One row per order with a time per status; missing = not happened by the end.
tl = lf.orders.Timeline.from_columns(demo.orders, **demo.columns)
print(tl)

# The same orders as a shop export (one row per status change), with its faults counted.
from_export = lf.orders.Timeline.from_history(
    demo.history, steps=["paid", "shipped", "delivered", "reviewed"],
    by=["country", "carrier"], observation_end=demo.end,
)  # fmt: skip
print("\nData quality of the export:")
print(from_export.data_quality().to_string(index=False))
print("Injected faults:", dict(demo.faults))

# 2. Lead times by country, open orders censored (Kaplan-Meier), share over the SLA.
sla = {"paid->shipped": "2D", "shipped->delivered": "10D"}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", lf.DataQualityWarning)  # a late market's p90 is unknown
    lead = tl.lead_times(sla=sla, by="country")
cols = ["country", "pair", "orders", "open", "median", "p90", "share_over_sla", "ci_low", "ci_high"]
print("\nLead times by country:")
print(lead.to_frame()[cols].round({"share_over_sla": 3, "ci_low": 3, "ci_high": 3})
      .to_string(index=False))  # fmt: skip

# By carrier, against the generator's true medians.
transit = tl.lead_times(sla={"shipped->delivered": "10D"}, by=["country", "carrier"])
check = transit.to_frame().merge(demo.true_medians(), on=["country", "carrier"])
check["estimate_days"] = (check["median"].dt.total_seconds() / 86_400).round(2)
print("\nTransit time, estimate vs truth (days):")
print(check[["country", "carrier", "orders", "open", "estimate_days", "median_days"]]
      .to_string(index=False))  # fmt: skip

# 3. Refund rates by platform against a target; orders of the last 30 days are left out
#    (their refunds are mostly still to come, which would bias the rate low).
rates = tl.rates(by="platform", settle="30D")
target = Benchmark.from_rates(
    {"refunded": 0.04}, base="paid", source="returns team target", as_of="2026-01", kind="target"
)
cmp = rates.compare(target).to_frame()
print("\nRefund rate by platform against the 4% target:")
print(cmp[["platform", "observed", "ci_low", "ci_high", "reference", "q_value", "verdict"]]
      .round(4).to_string(index=False))  # fmt: skip

# 4. The daily refund rate (by day of payment) as a monitored series.
daily = rates.trend_observations("D")
alerts = mon.detect(daily.loc[daily["stage"] == "refunded"], method="pchart",
                    date="period", metric="stage", min_trials=20)  # fmt: skip
print(f"\nDaily refund-rate alerts: {len(alerts.to_frame())}")

# 5. The ten-stage funnel over site events and the timeline's events.
stages = lf.stage_template("cross_border_full")
after = tl.events().rename(columns={"customer_id": "user_id"})
site = store.events[["user_id", "timestamp", "event", "country"]]
journey = pd.concat([site, after[["user_id", "timestamp", "event", "country"]]], ignore_index=True)
funnel = lf.Funnel(stages, window="90D").compute(journey, by="country")
table = funnel.to_frame().pivot_table(index="country", columns="stage", values="users",
                                      observed=True, sort=False)  # fmt: skip
table = table[[s.name for s in stages]]
after_paying = (table[["shipped", "delivered", "review", "repurchase"]]
                .div(table["payment"], axis=0).round(3))  # fmt: skip
print("\nAfter paying, share of payers reaching each stage:")
print(after_paying.to_string())

ax = lead.plot()
ax.figure.savefig(out / "08_lead_times.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)
