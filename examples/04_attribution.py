"""Which channel earned the sale? Eight attribution models on the demo store, and the truth.

Run: ``python examples/04_attribution.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

store = lf.datasets.make_demo_store(n_users=20_000, seed=0)

# Refunded orders are not conversions; everything else is (paid, shipped, delivered).
orders = store.orders[store.orders["status"] != "refunded"]
journeys = lf.Journeys.from_touchpoints(
    store.touchpoints,
    orders,
    conversion_user="customer_id",
    value="revenue",
    lookback="30D",
)
print(journeys)
print(journeys.notes)

models = [
    lf.FirstTouch(),
    lf.LastTouch(),
    lf.LastNonDirect(),
    lf.Linear(),
    lf.PositionBased(),
    lf.TimeDecay(half_life="7D"),
    lf.Markov(),
    lf.Shapley(),
]
comparison = lf.compare_attribution(models, journeys)

# Each channel's share of the orders, per model: every column sums to 100%.
shares = comparison.wide() / journeys.total_conversions
print()
print((100 * shares).round(1).to_string())

# The Markov model's removal effects and the chain's probability of conversion.
markov = comparison.results[comparison.labels.index("Markov")]
print()
print(markov.removal_effects.round(3).to_string(index=False))
print(f"P(conversion) = {markov.conversion_probability:.2%}")

# CPA and ROAS per channel from the spend table, for three models.
economics = comparison.economics(store.spend).to_frame()
paid = economics[economics["model"].isin(["Last touch", "Markov", "Shapley"])]
paid = paid[paid["spend"] > 0]
print()
print(paid.pivot_table(index="channel", columns="model", values=["cpa", "roas"]).round(2))

# The demo store knows the truth: only the acquisition touch changes whether a user buys,
# so each order's true credit goes to its customer's acquisition channel.
true_share = orders["channel"].astype(str).value_counts(normalize=True)
print()
for label in comparison.labels:
    model = shares[label]
    truth = true_share.reindex(model.index, fill_value=0.0)  # the truth never says "(direct/none)"
    distance = 0.5 * (model - truth).abs().sum()
    print(f"{label:>22}: {distance:.1%} of orders credited to the wrong channel")

ax = comparison.plot()
ax.figure.savefig(out / "attribution_by_model.png", dpi=110)
plt.close(ax.figure)
ax = comparison.economics(store.spend).plot(metric="roas")
ax.figure.savefig(out / "attribution_roas.png", dpi=110)
plt.close(ax.figure)
print(f"\nCharts saved to {out / 'attribution_by_model.png'} and {out / 'attribution_roas.png'}")
