"""Properties of IdentityGraph against a plain union-find written here, and SciPy.

The reference reads the same rules as the library, one pair at a time: ids typed by their
column, missing and null-like values link nothing, an id with more distinct partners than
``max_partners`` merges nothing and belongs to no person, and a person is named by its
smallest (id type, id).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkstar_funnel.identity import DEFAULT_NULL_LIKE, IdentityGraph

WS = " \t\n\r\f\v"
LEFT = ["a", "b", "c", "d", "e", "f", "", " NULL ", "0", None]
RIGHT = ["x", "y", "z", "w", "v", "unknown", "N/A", None]


def _null(value: object) -> bool:
    return value is None or str(value).strip(WS).lower() in DEFAULT_NULL_LIKE


def reference(
    rows: list[tuple[str | None, str | None]], max_partners: int | None
) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    """(id type, id, person id) of every id in a person, and the over-connected ids."""
    nodes: set[tuple[str, str]] = set()
    links: set[frozenset[tuple[str, str]]] = set()
    for left, right in rows:
        a = None if _null(left) else ("device_id", str(left))
        b = None if _null(right) else ("email", str(right))
        nodes |= {n for n in (a, b) if n is not None}
        if a is not None and b is not None:
            links.add(frozenset((a, b)))
    partners = dict.fromkeys(nodes, 0)
    for link in links:
        for n in link:
            partners[n] += 1
    over = set() if max_partners is None else {n for n, p in partners.items() if p > max_partners}
    parent = {n: n for n in nodes - over}

    def find(n: tuple[str, str]) -> tuple[str, str]:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for link in links:
        a, b = tuple(link)
        if a in over or b in over:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the root is the smallest (type, id)
    out = set()
    for n in parent:
        root = find(n)
        out.add((n[0], n[1], f"{root[0]}:{root[1]}"))
    return out, over


def _frame(rows: list[tuple[str | None, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["device_id", "email"], dtype=object)


def _persons(g: IdentityGraph) -> set[tuple[str, str, str]]:
    p = g.persons()
    return set(zip(p["id_type"], p["id"], p["person_id"], strict=True))


pairs = st.lists(st.tuples(st.sampled_from(LEFT), st.sampled_from(RIGHT)), min_size=1, max_size=40)
guards = st.one_of(st.none(), st.integers(1, 4))


@settings(max_examples=50, deadline=None)
@given(rows=pairs, max_partners=guards)
def test_persons_equal_the_union_find_reference(
    rows: list[tuple[str | None, str | None]], max_partners: int | None
) -> None:
    g = IdentityGraph.from_pairs(
        _frame(rows), left="device_id", right="email", max_partners=max_partners
    )
    want, over = reference(rows, max_partners)
    assert _persons(g) == want
    listed = g.over_connected()
    assert set(zip(listed["id_type"], listed["id"], strict=True)) == over
    if max_partners is not None:
        assert (listed["partners"] > max_partners).all()


@settings(max_examples=30, deadline=None)
@given(rows=pairs, max_partners=guards, data=st.data())
def test_any_row_order_gives_the_same_persons(
    rows: list[tuple[str | None, str | None]], max_partners: int | None, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(len(rows))))
    swapped = data.draw(st.booleans())
    frame = _frame(rows)
    shuffled = frame.iloc[list(order)].reset_index(drop=True)
    if swapped:  # the columns' order does not matter either
        shuffled = shuffled[["email", "device_id"]]
    a = IdentityGraph.from_pairs(frame, left="device_id", right="email", max_partners=max_partners)
    b = IdentityGraph.from_pairs(
        shuffled, left="device_id", right="email", max_partners=max_partners
    )
    pd.testing.assert_frame_equal(a.persons(), b.persons())
    pd.testing.assert_frame_equal(a.over_connected(), b.over_connected())


@settings(max_examples=30, deadline=None)
@given(
    left=st.lists(st.integers(0, 30), min_size=1, max_size=60),
    data=st.data(),
)
def test_without_the_guard_the_partition_is_scipys(left: list[int], data: st.DataObject) -> None:
    right = data.draw(st.lists(st.integers(0, 20), min_size=len(left), max_size=len(left)))
    frame = pd.DataFrame({"a": [f"a{i}" for i in left], "b": [f"b{i}" for i in right]})
    g = IdentityGraph.from_pairs(frame, left="a", right="b", max_partners=None)
    codes_a, uniq_a = pd.factorize(frame["a"])
    codes_b, uniq_b = pd.factorize(frame["b"])
    n = len(uniq_a) + len(uniq_b)
    graph = coo_matrix((np.ones(len(frame)), (codes_a, codes_b + len(uniq_a))), shape=(n, n))
    k, labels = connected_components(graph, directed=False)
    ids = [("a", str(v)) for v in uniq_a] + [("b", str(v)) for v in uniq_b]
    scipy_groups = {
        frozenset(i for i, lab in zip(ids, labels, strict=True) if lab == c) for c in range(k)
    }
    p = g.persons()
    ours = {
        frozenset(zip(grp["id_type"], grp["id"], strict=True)) for _, grp in p.groupby("person_id")
    }
    assert ours == scipy_groups
    assert len(g) == k


@settings(max_examples=30, deadline=None)
@given(rows=pairs, data=st.data())
def test_null_like_values_never_link(
    rows: list[tuple[str | None, str | None]], data: st.DataObject
) -> None:
    spelled = data.draw(st.sampled_from(["", "  ", "NULL", " Unknown\t", "nan", "None", "0"]))
    cleaned = [(None if _null(a) else a, None if _null(b) else b) for a, b in rows]
    noisy = [(spelled if a is None else a, b) for a, b in cleaned]
    g1 = IdentityGraph.from_pairs(_frame(cleaned), left="device_id", right="email")
    g2 = IdentityGraph.from_pairs(_frame(noisy), left="device_id", right="email")
    pd.testing.assert_frame_equal(g1.persons(), g2.persons())
    assert not any(_null(i) for i in g2.persons()["id"])
