"""What does each ad cost and return, and who is behind plan this month?

Data: the seeded demo store (12 weeks from 2026-01-05): its spend split to creatives with
impressions and clicks, journeys from its touchpoints, and its orders. Ad economics at the
creative grain with conversions from two attribution models; the Amazon and own-site KPI
trees evaluated from export-style columns; a March scorecard per country against targets
built from February, paced by a weekday profile learnt from January and February.

Run: ``python examples/13_ads_and_targets.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel import ads
from linkstar_funnel.datasets import demo_ad_spend
from linkstar_funnel.kpi import KPITree, get_template

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))
store = lf.datasets.make_demo_store(seed=0)
paid = store.orders[store.orders["status"] != "refunded"]

# ----------------------------------------------------------------- ad economics
ad_spend = demo_ad_spend(store.spend, seed=0)  # date, channel, campaign, creative, ...
journeys = lf.Journeys.from_touchpoints(
    store.touchpoints, paid, conversion_user="customer_id", value="revenue", channel="campaign"
)
for model in (lf.LastTouch(), lf.Markov()):
    credit = model.attribute(journeys)
    with warnings.catch_warnings():
        # organic campaigns have credit but no spend: reported, and NaN where undefined
        warnings.simplefilter("ignore", lf.DataQualityWarning)
        econ = ads.economics(
            ad_spend,
            by=["channel", "campaign", "creative"],
            cost="cost",
            impressions="impressions",
            clicks="clicks",
            conversions=credit,
            channel="campaign",  # the journeys' channel labels are campaigns
            total_revenue=paid,
        )
    print(f"\n{credit.name}:")
    print(econ.totals().round(3).to_string(index=False))
    cols = ["campaign", "creative", "cost", "orders", "ctr", "cpc", "cpa", "roas", "acos"]
    print(econ.to_frame().nlargest(6, "cost")[cols].round(3).to_string(index=False))
print("\nConversions no spend row matched (organic, direct):")
print(econ.unmatched.round(1).to_string(index=False))
ax = econ.plot(metric="roas")
ax.figure.savefig(out / "13_roas_by_creative.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)

# ----------------------------------------------------------------- platform trees
print("\nTemplates:", lf.kpi.templates())
amazon = get_template("amazon")
print(amazon.tree().formula)
print("reads", amazon.leaf_columns(), "from:", amazon.source)

# The demo store's Amazon days written as a Business Report would export them.
events = store.events
day = events["timestamp"].dt.tz_convert(None).dt.floor("D")
orders_day = paid["timestamp"].dt.tz_convert(None).dt.floor("D")
on_amazon = events["platform"] == "amazon"
report = pd.DataFrame(
    {
        "Sessions": events[on_amazon & (events["event"] == "visit")]
        .groupby(day)["session_id"]
        .nunique(),
        "Units Ordered": paid[paid["platform"] == "amazon"].groupby(orders_day)["units"].sum(),
        "Ordered Product Sales": paid[paid["platform"] == "amazon"]
        .groupby(orders_day)["revenue"]
        .sum(),
    }
).fillna(0)
report = report[report["Sessions"] > 0].rename_axis("Date").reset_index()
values = amazon.evaluate(report.iloc[-28:], period="Date")
print(
    values.wide()
    .tail(3)
    .round({"unit_session_percentage": 3, "average_selling_price": 2})
    .to_string(index=False)
)

# ----------------------------------------------------------------- targets
tree = KPITree.template("own_site")
visits = events[(events["platform"] == "own_site") & (events["event"] == "visit")]
group = visits["channel"].map(
    {"paid_search": "paid", "paid_social": "paid", "affiliate": "paid", "organic": "organic",
     "email": "organic", "direct": "direct"}
)  # fmt: skip
sessions = visits.assign(date=day[visits.index], group=group.to_numpy()).pivot_table(
    index=["date", "country"],
    columns="group",
    values="session_id",
    aggfunc="nunique",
    fill_value=0,
    observed=True,
)
sessions.columns = [f"{c}_sessions" for c in sessions.columns]
own = paid[paid["platform"] == "own_site"].assign(date=orders_day)
sales = own.groupby(["date", "country"], observed=True).agg(
    orders=("order_id", "nunique"), revenue=("revenue", "sum")
)
daily = sessions.join(sales, how="left").fillna(0).reset_index()
daily["country"] = daily["country"].astype(str)
history = daily[daily["date"] < "2026-03-01"]

# Targets for March: February per country, +5% sessions and GMV, CVR at February's.
feb = tree.evaluate(
    history[history["date"] >= "2026-02-01"]
    .groupby("country", as_index=False)
    .sum(numeric_only=True),
    by="country",
).to_frame()
feb = feb[feb["node"].isin(["gmv", "traffic", "cvr"])]
lift = feb["node"].map({"gmv": 1.05 * 31 / 28, "traffic": 1.05 * 31 / 28, "cvr": 1.0})
targets = feb.assign(target=feb["value"] * lift)[["country", "node", "target"]]

card = tree.scorecard(daily, targets, period="M", as_of="2026-03-18", by="country", history=history)
print()
print(card.summary())
ax = card.plot()
ax.figure.savefig(out / "13_scorecard.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)

base = tree.baseline(history.groupby("date", as_index=False).sum(numeric_only=True), periods=6)
print(
    base.to_frame()[["node", "owner", "median", "p25", "p75", "periods"]]
    .round(4)
    .to_string(index=False)
)
