"""Read the exports operators have: GA4, Shopify, Amazon Business Report, TikTok Shop.

Each reader takes the platform's own file and returns frames in the library's vocabulary
with a provenance of what was dropped or converted. The shipped samples
(``lf.io.sample_path``) are small synthetic files in each platform's exact layout; point
the readers at your own exports instead. From each we build what the library does next:
GA4 events into the ``"ga4_ecommerce"`` funnel, Shopify and TikTok Shop orders into order
timelines, the Amazon Business Report into a sessions → units funnel and the Amazon KPI
tree.

Run: ``python examples/14_read_exports.py`` (a few seconds, no network).
"""

import pandas as pd

import linkstar_funnel as lf
import linkstar_funnel.io as lio
from linkstar_funnel.stages import stage_template

pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 12)

# --- GA4 BigQuery export (newline-delimited JSON, Parquet, or a CSV of a query) --------
ev = lio.read_ga4(lio.sample_path("ga4_parquet"))  # user_id: GA4's user_id, else user_pseudo_id
print(ev.summary())
print(
    ev.events[
        ["user_id", "timestamp", "event", "ga_session_id", "source", "medium", "value"]
    ].head()
)

funnel = lf.Funnel(stage_template("ga4_ecommerce")).compute(ev.events, by="device")
print(funnel.to_frame().head(12))

# --- Shopify "Export orders" CSV: one row per line item, orders rebuilt ----------------
od = lio.read_shopify_orders(lio.sample_path("shopify"))
print(od.summary())
print(
    od.orders[["order_id", "customer_id", "timestamp", "revenue", "net_revenue", "status"]].head()
)
print(od.orders["status"].value_counts())

timeline = lf.orders.Timeline.from_columns(
    od.orders,
    steps={"paid": "paid_at", "shipped": "shipped_at"},
    cancelled="cancelled_at",
    by="country",
)
# 40 orders: too few reach the 90th percentile, and the library warns that p90 is unknown
print(timeline.lead_times().to_frame()[["pair", "orders", "completed", "open", "median"]])

# --- TikTok Shop order export ---------------------------------------------------------
tt = lio.read_tiktok_shop_orders(lio.sample_path("tiktok_shop"))
print(tt.provenance.dropped_frame())  # the row of column descriptions some exports carry
tl = lf.orders.Timeline.from_columns(
    tt.orders,
    steps={"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"},
    cancelled="cancelled_at",
)
print(tl.rates().to_frame()[["outcome", "successes", "trials", "rate"]])

# --- Amazon Business Report (by date, and by ASIN) ------------------------------------
by_date = lio.read_amazon_business_report(lio.sample_path("amazon_by_date")).report
print(lf.Funnel.from_counts(lio.funnel_counts(by_date)).to_frame())

by_asin = lio.read_amazon_business_report(lio.sample_path("amazon_by_asin")).report
tree = lf.KPITree.template("amazon")
values = tree.evaluate(by_asin, by="asin").to_frame()
print(values[values["node"].isin(["sales", "unit_session_percentage"])])
