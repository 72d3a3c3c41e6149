"""What shoppers search for, and what they buy together: keywords and association rules.

Run: ``python examples/12_search_basket.py``. Charts go to the folder named by
``LINKSTAR_EXAMPLES_OUT`` (default: the current folder).

Part 1 reads the seeded demo search log (its German index lacks two translations); part 2
reads the real Online Retail invoices of the United Kingdom.
"""

import os
import warnings
from pathlib import Path

import matplotlib.pyplot as plt

import linkstar_funnel as lf
import linkstar_funnel.basket
import linkstar_funnel.search
from linkstar_funnel.datasets import make_demo_search

out = Path(os.environ.get("LINKSTAR_EXAMPLES_OUT", "."))

# ------------------------------------------------------------------ 1. search keywords
demo = make_demo_search(3_000, seed=0)
with warnings.catch_warnings():
    # Keywords that find nothing are never clicked: their mean click position is NaN.
    warnings.simplefilter("ignore", lf.DataQualityWarning)
    kw = lf.search.keywords(
        demo.searches,
        clicks=demo.search_clicks,
        orders=demo.orders,
        query="search_term",
        results="result_count",
        position="position",
        window="1h",
        by="language",
    )
frame = kw.to_frame()
cols = ["language", "keyword", "searches", "zero_result_rate", "ctr", "purchase_rate", "revenue"]
print(frame[cols].head(8).round(3).to_string(index=False))

print("\nKeywords losing the most revenue (at the revenue per search of those that work):")
opportunities = kw.opportunities(min_searches=20)
print(opportunities[["language", "keyword", "searches", "reason", "lost_revenue"]].round(0))

ax = kw.plot()
ax.figure.savefig(out / "12_search_keywords.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)

# ------------------------------------------------------------------ 2. market basket
lines = lf.datasets.load_online_retail()
uk = lines[lines["Country"] == "United Kingdom"]
names = uk.drop_duplicates("StockCode").set_index("StockCode")["Description"].str.strip()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", lf.DataQualityWarning)  # a few rules of confidence 1
    rules = lf.basket.rules(
        uk,
        order="InvoiceNo",
        item="StockCode",
        quantity="Quantity",
        cancelled_prefix="C",
        min_support=0.01,
        min_confidence=0.3,
        max_len=2,
    )
print()
print(rules.summary())
print("\nThe strongest pairs, in plain words:")
for sentence in rules.in_words(top=5, names=names):
    print(" -", sentence)

cs = lf.basket.cross_sell(
    uk,
    "85123A",
    order="InvoiceNo",
    item_column="StockCode",
    quantity="Quantity",
    cancelled_prefix="C",
    top=5,
)
print(f"\nBeside {names['85123A']}:")
for sentence in cs.in_words(top=5, names=names):
    print(" -", sentence)

ax = rules.plot()
ax.figure.savefig(out / "12_basket_rules.png", dpi=120, bbox_inches="tight")
plt.close(ax.figure)
