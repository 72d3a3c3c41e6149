"""Generate the demo store, look at what is in it, and save the overview chart.

Run: ``python examples/02_demo_store_overview.py``. The chart goes to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

store = lf.datasets.make_demo_store(n_users=20_000, seed=7)
print(store.markets.to_string(index=False))

# Days are read in each market's own zone; here, the Tokyo team's view of the data.
overview = lf.describe_events(store.events, by=("country", "platform"), tz="Asia/Tokyo")
print()
print(overview.summary())

segments = overview.to_frame()
print()
print(segments.head(8).to_string(index=False))

# What was dropped, and why (nothing, for the demo store; your data will differ).
print()
print(overview.provenance.lines())

ax = overview.plot()
ax.figure.savefig(out / "demo_overview.png", dpi=110)
plt.close(ax.figure)
print(f"\nChart saved to {out / 'demo_overview.png'}")

# Orders get the same overview, with revenue.
orders = lf.describe_orders(store.orders, by=("country", "status"))
print()
print(orders.summary())
