"""Read a real, messy order export with the schema layer and see what it drops, and why.

Data: UCI Online Retail (541,909 order lines; ~25% without a customer id; cancellations
with negative quantities). Run: ``python examples/01_online_retail_orders.py``.
"""

import pandas as pd

import linkstar_funnel as lf

retail = lf.datasets.load_online_retail()
lines = retail.assign(revenue=retail["Quantity"] * retail["UnitPrice"])

orders = lf.schema.validate_orders(
    lines,
    order="InvoiceNo",
    customer="CustomerID",
    time="InvoiceDate",
    value="revenue",
)
print("Rows:", orders.accounting)
print(orders.accounting.to_frame().to_string(index=False))

# Revenue per week, read in the retailer's own (naive, UK) wall clock.
weeks = orders.times["time"].bucket("W")
weekly = pd.Series(orders.numbers["revenue"], index=weeks).groupby(level=0).sum()
print("\nBusiest weeks by net revenue (GBP):")
print(weekly.nlargest(5).round(0).to_string())

# Refunds are kept (negative revenue): each analysis states its own rule for them.
refunds = orders.numbers["revenue"] < 0
print(f"\nLines with negative revenue (cancellations, adjustments): {refunds.sum():,}")

# A typo in a column name fails with a hint, not a bare KeyError.
try:
    lf.schema.validate_orders(
        lines, order="InvoiceNo", customer="CustomerId", time="InvoiceDate", value="revenue"
    )
except lf.ColumnNotFoundError as err:
    print("\nWhat a typo looks like:\n" + str(err))
