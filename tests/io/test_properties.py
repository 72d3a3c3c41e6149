"""Property tests: money strings written in the platforms' styles read back; Shopify orders
written as the export lays them out (order fields on the first line only) rebuilt exactly."""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from linkstar_funnel.io import read_shopify_orders
from linkstar_funnel.io._common import parse_money

CENTS = st.integers(min_value=-(10**11), max_value=10**11)


def _styles(cents: int) -> list[str]:
    """The amount written as exports write money (the obviously-correct side: formatting)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    us = f"{whole:,}.{frac:02d}"
    eu = us.replace(",", "_").replace(".", ",").replace("_", ".")
    return [
        f"{sign}${us}",
        f"{sign}{eu} €",
        f"USD {sign}{whole}.{frac:02d}",
        f"{sign}£{us}",
        f"({us})" if cents < 0 else us,
    ]


@settings(max_examples=40, deadline=None)
@given(cents=CENTS)
def test_money_styles_read_back(cents: int) -> None:
    written = _styles(cents)
    got, bad = parse_money(pd.Series(written))
    assert bad == 0
    assert [round(v * 100) for v in got] == [cents] * len(written)


ORDER = st.tuples(
    st.sampled_from(["paid", "refunded", "partially_refunded", "pending", "voided"]),
    st.integers(0, 10**7),  # total, cents
    st.lists(st.tuples(st.integers(1, 5), st.integers(0, 10**5)), min_size=1, max_size=4),
    st.integers(0, 10**6),  # seconds after the start
)


@settings(max_examples=25, deadline=None)
@given(orders=st.lists(ORDER, min_size=1, max_size=8))
def test_shopify_orders_rebuilt_from_first_line_fields(
    orders: list[tuple[str, int, list[tuple[int, int]], int]],
) -> None:
    head = "Name,Email,Financial Status,Created at,Total,Lineitem quantity,Lineitem price\n"
    lines = []
    start = pd.Timestamp("2026-03-01", tz="UTC")
    for i, (status, total, items, sec) in enumerate(orders):
        created = (start + pd.Timedelta(seconds=sec)).strftime("%Y-%m-%d %H:%M:%S +0000")
        for j, (qty, price) in enumerate(items):
            order_fields = f"c{i}@x.com,{status}" if j == 0 else ","
            money = f'"{total / 100:,.2f}"' if j == 0 else ""
            lines.append(f"#{i},{order_fields},{created},{money},{qty},{price / 100:.2f}\n")
    od = read_shopify_orders(io.StringIO(head + "".join(lines)))
    got = od.orders
    assert got["order_id"].tolist() == [f"#{i}" for i in range(len(orders))]
    assert [round(v * 100) for v in got["revenue"]] == [o[1] for o in orders]
    assert got["status"].tolist() == [o[0] for o in orders]
    assert got["items"].tolist() == [sum(q for q, _ in o[2]) for o in orders]
    assert got["customer_id"].tolist() == [f"c{i}@x.com" for i in range(len(orders))]
    assert len(od.lines) == sum(len(o[2]) for o in orders)
    expected = [sum(q * p for q, p in o[2]) for o in orders]
    per_order = od.lines.groupby("order_id", sort=False)["revenue"].sum()
    assert [round(v * 100) for v in per_order] == expected
