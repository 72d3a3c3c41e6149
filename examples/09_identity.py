"""One buyer, many ids: stitch the demo store's site cookies, logins and checkout e-mails
into persons, then count the funnel per person instead of per cookie.

Run: ``python examples/09_identity.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
from linkstar_funnel.datasets import demo_identity
from linkstar_funnel.identity import IdentityGraph

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

store = lf.datasets.make_demo_store(n_users=5_000, seed=7, days=28)
# The ids real data carries: a cookie per session (one to three per buyer, and a shared
# tablet), a login on some sessions only, checkout e-mails (a placeholder for guests).
ids = demo_identity(store.events, store.orders, seed=7)
events, orders = ids.events, ids.orders
print(events[["anonymous_id", "user_id", "event"]].head().to_string(index=False))
print(orders[["order_id", "customer_id", "email"]].head().to_string(index=False))

# Cookies meet user ids on logged-in events; orders tie customer ids (the same ids as the
# site's user_id) to e-mails. An id with more than 6 distinct partners merges nothing.
graph = IdentityGraph.from_frames(
    [
        (events, ["anonymous_id", "user_id"]),
        (orders, {"customer_id": "user_id", "email": "email"}),
    ],
    max_partners=6,
)
print(graph.summary())
print(graph.over_connected().to_string(index=False))  # the shared tablet, the guest e-mail

# Against the generator's truth: how often is a person one real buyer, and how often is a
# buyer split over several persons (cookies never logged in cannot be stitched)?
persons = graph.persons().merge(ids.truth, on=["id", "id_type"], how="left")
pure = persons.groupby("person_id")["user"].nunique().le(1).mean()
split = persons.groupby("user")["person_id"].nunique().gt(1).mean()
print(f"persons holding one buyer: {pure:.1%}; buyers split over persons: {split:.1%}")

# The funnel per cookie overstates users and understates conversion: count it per person.
with warnings.catch_warnings():
    # Events on the shared tablet get no person (it is over-connected): counted and dropped.
    warnings.simplefilter("ignore", lf.DataQualityWarning)
    resolved = graph.resolve(events, column="anonymous_id")
stages = ["visit", "product_view", "add_to_cart", "checkout", "payment"]
funnel = lf.Funnel(stages, window="7D")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", lf.DataQualityWarning)  # rows without a person dropped
    per_cookie = funnel.compute(resolved, user="anonymous_id").to_frame()
    per_person = funnel.compute(resolved, user="person_id").to_frame()
compare = per_cookie[["stage", "users"]].rename(columns={"users": "cookies"})
compare["persons"] = per_person["users"].to_numpy()
compare["conversion per cookie"] = per_cookie["conversion_from_start"].round(3).to_numpy()
compare["conversion per person"] = per_person["conversion_from_start"].round(3).to_numpy()
print(compare.to_string(index=False))

ax = graph.plot()
ax.figure.savefig(out / "09_identity_sizes.png", dpi=100)
plt.close(ax.figure)
