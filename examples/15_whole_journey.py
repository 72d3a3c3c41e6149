"""The whole journey, per person: stitch site cookies, logins and checkout e-mails into
persons, follow each person from impression to repurchase across the site's events and
the orders' status times, and see where buyers are lost after paying.

The demo store carries the ids real data has (``store.identity``: a cookie per session, a
login on some sessions, an e-mail at checkout) and status times for its orders
(``store.timelines``: paid, shipped, delivered, reviewed, refunded...), each drawn with a
known truth from the store's own seed.

Run: ``python examples/15_whole_journey.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import linkstar_funnel as lf

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))
pd.set_option("display.width", 140)

store = lf.datasets.make_demo_store(n_users=20_000, seed=11, days=56)
ids, demo = store.identity, store.timelines

# 1. One person per buyer: cookies meet logins on logged-in events; orders tie the login
#    (customer_id) to the checkout e-mail. A shared tablet or a guest e-mail merges nothing.
graph = lf.IdentityGraph.from_frames(
    [
        (ids.events, ["anonymous_id", "user_id"]),
        (ids.orders, {"customer_id": "user_id", "email": "email"}),
    ],
    max_partners=6,
)
print(graph.summary())

with warnings.catch_warnings():
    # Rows of over-connected ids get no person: counted in the warning, and dropped below.
    warnings.simplefilter("ignore", lf.DataQualityWarning)
    site = graph.resolve(ids.events, column="anonymous_id")
    orders = graph.resolve(demo.orders, column="customer_id", id_type="user_id")

# 2. The orders' status times, per person, as events the funnel reads.
tl = lf.orders.Timeline.from_columns(
    orders,
    order="order_id",
    customer="person_id",
    steps=demo.columns["steps"],
    refunded="refunded_at",
    returned="returned_at",
    cancelled="cancelled_at",
    by=["country", "carrier"],
    observation_end=demo.end,
)
after = tl.events()

# 3. The ten stages from impression to repurchase, across both sources, by country.
stages = lf.stage_template("cross_border_full")
cols = ["person_id", "timestamp", "event", "country"]
journey = pd.concat([site[cols], after[cols]], ignore_index=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", lf.DataQualityWarning)  # events without a person
    funnel = lf.Funnel(stages, window="90D").compute(journey, user="person_id", by="country")
table = funnel.to_frame().pivot_table(
    index="country", columns="stage", values="users", observed=True, sort=False
)[[s.name for s in stages]]
print("\nPersons reaching each stage, by country:")
print(table.to_string())

# 4. Where buyers are lost after paying: share of payers reaching each later stage, by
#    country and by carrier (the carrier is known only once an order ships).
after_paying = table[["shipped", "delivered", "review", "repurchase"]].div(table["payment"], axis=0)
print("\nAfter paying, share of payers reaching each stage, by country:")
print(after_paying.round(3).to_string())
post = lf.Funnel(stages[5:], window="90D").compute(after, user="person_id", by="carrier")
by_carrier = post.to_frame().pivot_table(
    index="carrier", columns="stage", values="conversion_from_start", observed=True, sort=False
)
print("\nAfter paying, by carrier (share of payers):")
print(by_carrier.round(3).to_string())

# 5. Refund rates by country against the returns team's 4% target (orders of the last 30
#    days left out: their refunds are mostly still to come).
target = lf.Benchmark.from_rates(
    {"refunded": 0.04}, base="paid", source="returns team target", as_of="2026-01", kind="target"
)
cmp = tl.rates(by="country", settle="30D").compare(target).to_frame()
print("\nRefund rate by country against the 4% target:")
print(
    cmp[["country", "observed", "ci_low", "ci_high", "q_value", "verdict"]]
    .round(4)
    .to_string(index=False)
)

ax = funnel.plot()
ax.figure.savefig(out / "15_whole_journey.png", dpi=110, bbox_inches="tight")
plt.close(ax.figure)
