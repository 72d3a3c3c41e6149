"""An A/B test on the demo store: plan it, read the funnel step by step, check revenue.

The demo experiment splits the store's users into ``control`` and ``B``; B truly raises
the add-to-cart rate (from product view) by 15% and nothing else. The analysis must find
that lift at add_to_cart and call the other steps inconclusive.

Run: ``python examples/11_experiments.py``. The chart goes to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
from linkstar_funnel import experiment
from linkstar_funnel.datasets import make_demo_experiment

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

# 1. Plan: users per variant to detect +15% on a 25% step rate, and what 20,000 users detect.
print("users per variant:", experiment.sample_size(baseline=0.25, mde=0.15))
mde = experiment.minimum_detectable_effect(users=20_000, baseline=0.25)
print(f"20,000 users per variant detect a lift of {mde:.1%}")

# 2. The funnel, by variant, compared step by step (conversion from the previous step:
#    B's effect is on one step, so the later steps' own rates should not move).
demo = make_demo_experiment(n_users=60_000, seed=7, lift=0.15)
stages = ["impression", "click", "visit", "product_view", "add_to_cart", "checkout", "payment"]
funnel = lf.Funnel(stages, window="7D").compute(demo.events, by="variant")
result = funnel.experiment(control="control", rate="conversion_from_previous")
cols = ["stage", "variant", "users", "rate", "lift", "ci_low", "ci_high", "p_value_adjusted"]
print(result.to_frame()[cols].round(4).to_string(index=False))
for line in result.lines():
    print(line)

# 3. Peeking is allowed with the sequential method; the Bayesian one gives the chance to win.
kw = {"control": "control", "rate": "conversion_from_previous"}
sequential = funnel.experiment(**kw, method="sequential")
bayesian = funnel.experiment(**kw, method="bayesian")
print(sequential.lines()[0])
print(bayesian.lines()[0])

# 4. Revenue per user and per order (a ratio metric, delta method).
per_user = demo.per_user
revenue = experiment.compare_means(per_user, value="revenue", control="control")
aov = experiment.compare_means(per_user, value="revenue", denominator="orders", control="control")
print(revenue.lines()[0])
print(aov.lines()[0].replace("revenue", "revenue per order", 1))

ax = result.plot()
ax.figure.savefig(out / "11_experiment_lift.png", dpi=110)
plt.close(ax.figure)
