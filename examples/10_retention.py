"""Do buyers come back? Retention, lifecycle and RFM segments on real and demo orders.

Data: the bundled UCI Online Retail orders (a UK gift wholesaler, 2010-12-01 to 2011-12-09)
and the seeded demo store (site events and orders, 16 weeks). Steps:

1. monthly repurchase retention on Online Retail (London calendar), with revenue and net
   revenue retention, drawn as the cohort triangle;
2. weekly retention from a first visit to a payment on the demo store, per channel of the
   first visit, as curves with their intervals;
3. the monthly lifecycle of Online Retail buyers (new, returning, resurrecting, dormant);
4. RFM segments with P(alive), and the "at risk" audience as a list of customer ids.

Run: ``MPLBACKEND=Agg python examples/10_retention.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
from linkstar_funnel.retention import Lifecycle, Retention

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))
orders = lf.datasets.online_retail_orders()
order_events = orders.assign(event="order")  # every order is one "order" event

# 1. Monthly repurchase retention: cohort = month of the first order; classic returns.
monthly = Retention("order", period="M", periods=12, tz="Europe/London")
res = monthly.compute(order_events, user="customer_id", value="revenue")
print(res.summary())
curve = res.curve(alpha=0.1)
print(curve[["period", "cohorts", "users", "rate", "low", "high", "nrr"]].round(3).to_string())
ax = res.plot()
ax.figure.savefig(out / "retention_triangle.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)

# 2. Demo store: of the users who first visited in a week, how many paid in later weeks,
#    per channel of that first visit ("unbounded": in that week or any later one).
store = lf.datasets.make_demo_store(n_users=20_000, seed=0, days=112)
#    The demo's shoppers decide within days: week 1 is where the channels differ.
site = Retention("visit", returning="payment", period="W", periods=4, returns="unbounded")
by_channel = site.compute(store.events, by="channel")
week1 = by_channel.curve().query("period == 1")
print(week1[["channel", "cohorts", "users", "retained", "rate", "low", "high"]].round(4))
ax = by_channel.plot(kind="curve")
ax.figure.savefig(out / "retention_curve_by_channel.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)

# 3. Lifecycle of buyers per month (the last month is partial: its dormant bar is too tall).
life = Lifecycle("order", period="M", tz="Europe/London").compute(order_events, user="customer_id")
print(life.summary())
ax = life.plot()
ax.figure.savefig(out / "lifecycle.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)

# 4. RFM segments, P(alive) from BG/NBD, and an audience to hand to an ad platform.
seg = lf.ltv.rfm_segments(orders, customer="customer_id", time="timestamp", value="revenue")
print(seg.summary())
at_risk = seg.audience("at_risk")
print(f"at_risk audience: {len(at_risk):,} customer ids, e.g. {at_risk[:5].tolist()}")
ax = seg.plot()
ax.figure.savefig(out / "rfm_segments.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)
