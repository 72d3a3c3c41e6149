"""Slow, obviously correct references: itemsets counted by brute force, rules by definition."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations


def brute_itemsets(
    orders: Sequence[frozenset[str]], min_support: float, max_len: int | None
) -> dict[frozenset[str], int]:
    """Every item set of at most ``max_len`` items (from the items seen) held by at least
    ``min_support`` of the orders, with its number of orders: each candidate counted
    against every order."""
    items = sorted(set().union(*orders)) if orders else []
    n = len(orders)
    top = len(items) if max_len is None else min(max_len, len(items))
    out: dict[frozenset[str], int] = {}
    for k in range(1, top + 1):
        for combo in combinations(items, k):
            s = frozenset(combo)
            count = sum(1 for o in orders if s <= o)
            if count and count / float(n) >= min_support:
                out[s] = count
    return out


def brute_rules(
    orders: Sequence[frozenset[str]],
    min_support: float,
    min_confidence: float,
    max_len: int | None,
) -> dict[tuple[frozenset[str], frozenset[str]], dict[str, float]]:
    """Every rule A -> C splitting a frequent set, by the textbook definitions."""
    n = len(orders)
    sets = brute_itemsets(orders, min_support, max_len)
    out = {}
    for s, n_s in sets.items():
        for r in range(1, len(s)):
            for a in combinations(sorted(s), r):
                ante = frozenset(a)
                cons = s - ante
                conf = n_s / sets[ante]
                if conf < min_confidence - 1e-12:
                    continue
                s_c = sets[cons] / n
                out[(ante, cons)] = {
                    "support": n_s / n,
                    "confidence": conf,
                    "lift": conf / s_c,
                    "leverage": n_s / n - (sets[ante] / n) * s_c,
                    "orders": n_s,
                }
    return out
