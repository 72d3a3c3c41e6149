"""Where do buyers drop out? An exact 7-day funnel on the demo store.

Run: ``python examples/06_funnel.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

store = lf.datasets.make_demo_store(n_users=50_000, seed=0)
events = store.events

# The demo's seven stages; ordered = ClickHouse windowFunnel('7 day') counts exactly.
stages = ["impression", "click", "visit", "product_view", "add_to_cart", "checkout", "payment"]
funnel = lf.Funnel(stages, window="7D")
result = funnel.compute(events)
print(result.to_frame().to_string(index=False))

# Breakdown: a user keeps the platform of their first impression (first touch).
by_platform = funnel.compute(events, by="platform")
print(by_platform.to_frame().query("stage == 'payment'").to_string(index=False))

# Stage templates for the three cross-border funnels, from the registry.
for name in lf.stage_templates():
    print(name, [s.name for s in lf.stage_template(name)])
own_site = lf.Funnel(lf.stage_template("own_site"), window="7D").compute(
    events[events["platform"] == "own_site"]
)
print(own_site.to_frame()[["stage", "users", "conversion_from_previous"]].to_string(index=False))

# Strict order: no other funnel event between two consecutive steps. Fewer users qualify.
strict = lf.Funnel(stages, window="7D", order="strict").compute(events)
compare = result.to_frame()[["stage", "users"]].assign(strict=strict.to_frame()["users"])
print(compare.to_string(index=False))

# The bottleneck: final payments gained if a step converted at its best complete week's rate.
print(result.bottleneck().head(3).to_string(index=False))
print(by_platform.bottleneck().head(3).to_string(index=False))

# Time to convert and weekly trends (weeks whose 7-day windows are still open: incomplete).
print(result.time_to_convert((0.5, 0.75, 0.9)).to_string(index=False))
trends = result.trends(period="W")
print(trends.query("stage == 'payment'")[["period", "users", "conversion_from_start", "complete"]])

# The same funnel where the events live: a Parquet file goes to the SQL engine (DuckDB
# through Ibis, extra [sql]); the counts are the in-memory engine's.
try:
    import duckdb  # noqa: F401
    import ibis  # noqa: F401
except ImportError:
    print("extra [sql] not installed: skipping the Parquet funnel")
else:
    path = out / "06_funnel_events.parquet"
    # Parquet nanosecond timestamps with a zone are a type DuckDB reads but Ibis does not
    # know: store microseconds.
    events.assign(timestamp=events["timestamp"].dt.as_unit("us")).to_parquet(path)
    on_parquet = funnel.compute(path)
    assert on_parquet.to_frame()["users"].tolist() == result.to_frame()["users"].tolist()
    print(on_parquet.provenance.notes[0])
    path.unlink()

ax = result.plot()
ax.figure.set_size_inches(9, 4)
ax.figure.savefig(out / "06_funnel.png", dpi=110)
ax = by_platform.plot()
ax.figure.set_size_inches(9, 4)
ax.figure.savefig(out / "06_funnel_by_platform.png", dpi=110)
plt.close("all")
