"""Which driver moved revenue, and in which country? A KPI tree on real orders.

Data: the bundled UCI Online Retail orders (a UK gift wholesaler, pounds sterling), one row
per order after documented cleaning. Revenue = customers * orders per customer * AOV,
November 2011 against October 2011 (the data ends on 2011-12-09, so December is partial).
Run: ``python examples/03_kpi_tree.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

tree = lf.KPITree.from_formula(
    """
    revenue = customers * orders_per_customer * aov
    orders_per_customer = orders / customers
    aov = sales / orders
    """,
    owners={"customers": "Marketing", "orders_per_customer": "CRM", "aov": "Merchandising"},
    units={"revenue": "GBP", "aov": "GBP"},
)
print(tree.formula)

# One row per month and country: the leaves are counts and sums of the orders.
orders = lf.datasets.online_retail_orders()
orders["month"] = orders["timestamp"].dt.strftime("%Y-%m")  # London wall clock
monthly = orders.groupby(["month", "country"], as_index=False).agg(
    customers=("customer_id", "nunique"),
    orders=("order_id", "nunique"),
    sales=("revenue", "sum"),
)
values = tree.evaluate(monthly, period="month", by="country")
print()
print(values.summary())

# The whole shop: count customers across countries (summing countries would count a
# customer who ordered from two countries twice).
totals = orders.groupby("month").agg(
    customers=("customer_id", "nunique"),
    orders=("order_id", "nunique"),
    sales=("revenue", "sum"),
)
before, after = totals.loc["2011-10"].to_dict(), totals.loc["2011-11"].to_dict()
lmdi = tree.decompose(before, after)  # exact: contributions sum to the change
print()
print(lmdi.summary())
print(lmdi.to_frame()[["node", "parent", "before", "after", "contribution"]].round(2))
print("multiplicative factors:", {k: round(v, 3) for k, v in lmdi.factors.items()})

# The same change three ways: LMDI and Shapley agree closely; sequential depends on order.
shapley = tree.decompose(before, after, method="shapley")
order = ["customers", "orders_per_customer", "aov", "orders", "sales"]  # every non-root node
seq_a = tree.decompose(before, after, method="sequential", order=order)
seq_b = tree.decompose(before, after, method="sequential", order=order[::-1])
print("\nContribution of the customers, by method:")
for name, d in (("lmdi", lmdi), ("shapley", shapley), ("seq. a", seq_a), ("seq. b", seq_b)):
    print(f"  {name:8} {d.contributions['customers']:>+12,.0f}")

ax = lmdi.plot()  # a waterfall of the root's drivers
ax.figure.savefig(out / "kpi_waterfall.png", dpi=110)
plt.close(ax.figure)
ax = lmdi.plot(kind="tree")  # every level, edges coloured by sign
ax.figure.savefig(out / "kpi_tree.png", dpi=110)
plt.close(ax.figure)

# By country: each country's revenue change split among its own drivers.
by_country = values.decompose("2011-10", "2011-11")
rows = by_country.to_frame(by_segment=True)
drivers = rows[rows["level"] == 1].pivot(index="country", columns="node", values="contribution")
drivers["revenue change"] = drivers.sum(axis=1)
largest = drivers["revenue change"].abs().sort_values(ascending=False).index[:6]
print("\nLargest revenue changes by country, split by driver (GBP):")
print(drivers.loc[largest].round(0).to_string())

# Customers, country mix and intensity: did customers move to countries that spend less?
oct_, nov = values.period_frame("2011-10"), values.period_frame("2011-11")
structure = tree.decompose_structure(oct_, nov, by="country", activity="customers")
print()
print(structure.summary())

# AOV fell: within countries (rate) or because orders moved between countries (mix)?
mix = tree.mix_rate(oct_, nov, node="aov", by="country")
print(f"\nAOV {mix.before:,.2f} -> {mix.after:,.2f}: mix {mix.mix:+,.2f}, rate {mix.rate:+,.2f}")
ax = mix.plot()
ax.figure.savefig(out / "kpi_aov_mix_rate.png", dpi=110)
plt.close(ax.figure)

# A target: what AOV gives +10% revenue with November's customers and orders per customer?
november = {k: after[k] for k in tree.leaves}
goal = tree.target(1.10 * lmdi.root_after, driver="aov", at=november)
print()
print(goal.summary())
print(f"AOV needed: £{goal.required_value:,.2f} ({goal.lift:+.1%})")

print(f"\nCharts saved to {out}: kpi_waterfall.png, kpi_tree.png, kpi_aov_mix_rate.png")
