"""What is a customer worth? LTV on real orders: BG/NBD + Gamma-Gamma, then cohort curves.

Data: the bundled UCI Online Retail orders (a UK gift wholesaler, pounds sterling, 2010-12-01
to 2011-12-09), one row per order. Steps:

1. a weekly RFM summary -> BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend) -> the
   expected 12-month CLV of every customer, discounted at 10% a year;
2. cohort curves by first-purchase month and country (the three largest, the rest pooled),
   forecast to 365 days with prophet, and the 12-month value per customer with intervals;
3. a backtest: both models cut at 2011-07-01, forecast to the end of the data.

Run: ``MPLBACKEND=Agg python examples/05_ltv.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
from linkstar_funnel.errors import ConvergenceWarning

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))
orders = lf.datasets.online_retail_orders()
cols = {"customer": "customer_id", "time": "timestamp", "value": "revenue"}

# 1. RFM -> BG/NBD + Gamma-Gamma -> CLV. The summary is in weeks; the model remembers it, so
#    "12M" below means 52.18 weeks, never 12.
rfm = lf.ltv.rfm_summary(orders, period="W", **cols)
print(rfm.summary())
bg = lf.ltv.BetaGeo().fit(rfm)
gg = lf.ltv.GammaGamma().fit(rfm)
print(bg.summary(alpha=0.1))
print(gg.summary(alpha=0.1))
clv = lf.ltv.customer_lifetime_value(bg, gg, rfm, horizon="12M", annual_discount_rate=0.10)
p_alive = bg.p_alive()
print(f"Expected CLV over the next 12 months: mean £{clv.mean():,.0f} per customer, "
      f"£{clv.sum():,.0f} in all; mean P(alive) {p_alive.mean():.1%}")  # fmt: skip
print("Top 5 customers by CLV (GBP):")
print(clv.sort_values(ascending=False).head().round(0).to_string())

ax = bg.plot()  # the P(alive) matrix
ax.figure.savefig(out / "ltv_p_alive.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)

# 2. Cohort curves by first-purchase month and country: the three countries with the most
#    customers on their own, the other countries pooled into one segment.
first = orders.sort_values("timestamp").groupby("customer_id")["country"].first()
top = first.value_counts().index[:3]
orders["segment"] = orders["country"].where(orders["country"].isin(top), "other countries")
fit = lf.ltv.CohortLTV(horizon="365D", period="M").fit(orders, by="segment", **cols)
print(fit.summary())
at_12m = fit.predict(at="365D", alpha=0.10)  # 52 weekly steps: 364 days
table = at_12m.ltv()
print("Value per customer in the first 52 weeks, GBP, 90% interval:")
print(table[["segment", "customers", "value", "lower", "upper"]].round(0).to_string(index=False))

ax = fit.predict(alpha=0.10).plot(max_lines=6)
ax.set_ylabel("cumulative revenue per customer (GBP)")
ax.figure.savefig(out / "ltv_cohort_curves.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)

# 3. Backtest: cut at 2011-07-01, forecast what the customers acquired by then spent to the
#    end of the data. BG/NBD sees no drop-out in the calibration half and says so
#    (ConvergenceWarning: a -> 0 is a boundary estimate); its predictions are still usable.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    result = lf.ltv.backtest(
        {"cohort": lf.ltv.CohortLTV(horizon="365D"), "bgnbd+gg": lf.ltv.ProbabilisticLTV()},
        orders,
        cutoff="2011-07-01",
        end="2011-12-10",
        by="segment",
        **cols,
    )
print(result.summary())
ax = result.plot()
ax.set_ylabel("holdout revenue (GBP)")
ax.figure.savefig(out / "ltv_backtest.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)
print(f"Charts written to {out.resolve()}")
