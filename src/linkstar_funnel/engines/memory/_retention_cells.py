"""The in-memory retention kernel: per (cohort, segment) the users of the cohort and, per period
``n = 0..periods``, how many came back (and their revenue).

A cohort *membership* is a (user, cohort period) pair: one per user with
``cohort="first"`` (the period of the user's first start event), one per period with a start
event with ``cohort="recurring"``. Its segment is the ``by`` value of the earliest start
event of that user in that period (ties: the first row). A membership is retained at
``n ≥ 1`` when the user has a returning event in period ``cohort + n`` (``"classic"``) or in
any period from ``cohort + n`` on (``"unbounded"``); at ``n = 0`` always. Revenue at ``n`` is
the value of the user's returning events in period ``cohort + n``.

Everything is counting over integer keys: distinct (user, n) or (user, period) pairs are
found with a bitmap when it fits (:data:`BITMAP_LIMIT` entries) and by sorting otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .retention import EventArrays

__all__ = ["BITMAP_LIMIT", "KernelCells", "distinct", "first_rows", "retention_kernel"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: Largest key space handled with a bitmap (one byte per key).
BITMAP_LIMIT = 1 << 26


@attrs.frozen(eq=False)
class KernelCells:
    """Per cell (cohort period number, segment code): users, and per period ``n`` the
    retained users and revenue (``cells x (periods + 1)``; revenue ``None`` without
    ``value``)."""

    cohort: IntArray
    segment: IntArray
    users: IntArray
    retained: IntArray
    revenue: FloatArray | None


def distinct(keys: IntArray, size: int) -> IntArray:
    """Sorted distinct values of ``keys`` (all in ``[0, size)``)."""
    if size <= BITMAP_LIMIT:
        seen = np.zeros(size, dtype=bool)
        seen[keys] = True
        return np.flatnonzero(seen).astype(np.int64)
    return np.unique(keys)


class _KeySet:
    """Membership tests against a set of non-negative int64 keys below ``size``."""

    def __init__(self, keys: IntArray, size: int) -> None:
        self._bitmap: BoolArray | None = None
        self._sorted: IntArray = np.zeros(0, dtype=np.int64)
        if size <= BITMAP_LIMIT:
            self._bitmap = np.zeros(size, dtype=bool)
            self._bitmap[keys] = True
        else:
            self._sorted = np.unique(keys)

    def contains(self, queries: IntArray) -> BoolArray:
        if self._bitmap is not None:
            return self._bitmap[queries]
        pos = np.searchsorted(self._sorted, queries)
        pos = np.minimum(pos, max(len(self._sorted) - 1, 0))
        if not len(self._sorted):
            return np.zeros(len(queries), dtype=bool)
        return np.asarray(self._sorted[pos] == queries, dtype=bool)


def retention_kernel(
    ev: EventArrays, *, cohort: str, returns: str, periods: int, with_value: bool
) -> KernelCells:
    """The cells of ``ev`` (``masks``: start, returning); see the module docstring."""
    start, ret = ev.masks
    n_users = len(ev.users)
    k = periods + 1
    if cohort == "first":
        m_user, m_period, m_seg = _first_memberships(ev, start, n_users)
    else:
        m_user, m_period, m_seg = _recurring_memberships(ev, start)
    cell, cell_period, cell_seg = _cell_codes(m_period, m_seg, len(ev.segments))
    n_cells = len(cell_period)
    users = np.bincount(cell, minlength=n_cells).astype(np.int64)
    ru, rp = ev.user[ret], ev.period[ret]
    if returns == "unbounded":
        last = np.full(n_users, np.iinfo(np.int64).min // 2, dtype=np.int64)
        np.maximum.at(last, ru, rp)
        reach = np.clip(last[m_user] - m_period, 0, periods)
        at = np.bincount(cell * k + reach, minlength=n_cells * k).reshape(n_cells, k)
        retained = np.cumsum(at[:, ::-1], axis=1)[:, ::-1]
    elif cohort == "first":
        retained = _first_classic(ru, rp, m_user, m_period, cell, n_users, n_cells, k)
    else:
        retained = _recurring_classic(ru, rp, m_user, m_period, cell, ev, n_cells, k)
    retained = np.asarray(retained, dtype=np.int64)
    retained[:, 0] = users
    revenue = None
    if with_value:
        assert ev.value is not None
        revenue = _revenue(ev, ret, m_user, m_period, cell, n_users, n_cells, k, cohort)
    return KernelCells(cell_period, cell_seg, users, retained, revenue)


def _first_memberships(
    ev: EventArrays, start: BoolArray, n_users: int
) -> tuple[IntArray, IntArray, IntArray]:
    su = ev.user[start]
    if len(ev.segments.columns):
        users, rows = first_rows(su, ev.time[start])
        return users, ev.period[start][rows], ev.segment[start][rows]
    first = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, su, ev.period[start])
    users = np.flatnonzero(first != np.iinfo(np.int64).max).astype(np.int64)
    return users, first[users], np.zeros(len(users), dtype=np.int64)


def _recurring_memberships(
    ev: EventArrays, start: BoolArray
) -> tuple[IntArray, IntArray, IntArray]:
    su, sp = ev.user[start], ev.period[start]
    if not len(sp):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    p0 = int(sp.min())
    span = int(sp.max()) - p0 + 1
    keys = su * span + (sp - p0)
    if len(ev.segments.columns):
        uniq, rows = first_rows(keys, ev.time[start])
        seg = ev.segment[start][rows]
    else:
        uniq = distinct(keys, (int(su.max()) + 1) * span)
        seg = np.zeros(len(uniq), dtype=np.int64)
    return uniq // span, uniq % span + p0, seg


def _cell_codes(
    m_period: IntArray, m_seg: IntArray, n_segments: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Cell code per membership, cells sorted by (cohort period, segment)."""
    if not len(m_period):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    p0 = int(m_period.min())
    g = max(n_segments, 1)
    combined = (m_period - p0) * g + m_seg
    present = distinct(combined, (int(m_period.max()) - p0 + 1) * g)
    lut = np.full(int(present[-1]) + 1, -1, dtype=np.int64)
    lut[present] = np.arange(len(present))
    return lut[combined], present // g + p0, present % g


def _first_classic(
    ru: IntArray,
    rp: IntArray,
    m_user: IntArray,
    m_period: IntArray,
    cell: IntArray,
    n_users: int,
    n_cells: int,
    k: int,
) -> IntArray:
    cohort_of = np.full(n_users, np.iinfo(np.int64).max // 2, dtype=np.int64)
    cohort_of[m_user] = m_period
    n = rp - cohort_of[ru]
    ok = (n >= 1) & (n < k)
    pairs = distinct(ru[ok] * k + n[ok], n_users * k)
    cell_of = np.zeros(n_users, dtype=np.int64)
    cell_of[m_user] = cell
    flat = cell_of[pairs // k] * k + pairs % k
    return np.bincount(flat, minlength=n_cells * k).reshape(n_cells, k)


def _recurring_classic(
    ru: IntArray,
    rp: IntArray,
    m_user: IntArray,
    m_period: IntArray,
    cell: IntArray,
    ev: EventArrays,
    n_cells: int,
    k: int,
) -> IntArray:
    out = np.zeros((n_cells, k), dtype=np.int64)
    if not len(ru) or not len(m_user):
        return out
    p0 = min(int(rp.min()), int(m_period.min()))
    span = max(int(rp.max()), int(m_period.max()) + k) - p0 + 1
    found = _KeySet(ru * span + (rp - p0), len(ev.users) * span)
    base = m_user * span + (m_period - p0)
    for n in range(1, k):
        out[:, n] = np.bincount(cell, weights=found.contains(base + n), minlength=n_cells)
    return out


def _revenue(
    ev: EventArrays,
    ret: BoolArray,
    m_user: IntArray,
    m_period: IntArray,
    cell: IntArray,
    n_users: int,
    n_cells: int,
    k: int,
    cohort: str,
) -> FloatArray:
    assert ev.value is not None
    ru, rp, rv = ev.user[ret], ev.period[ret], ev.value[ret]
    if cohort == "first":
        cohort_of = np.full(n_users, np.iinfo(np.int64).max // 2, dtype=np.int64)
        cohort_of[m_user] = m_period
        cell_of = np.zeros(n_users, dtype=np.int64)
        cell_of[m_user] = cell
        n = rp - cohort_of[ru]
        ok = (n >= 0) & (n < k)
        flat = cell_of[ru[ok]] * k + n[ok]
        sums = np.bincount(flat, weights=rv[ok], minlength=n_cells * k)
        return np.asarray(sums, dtype=np.float64).reshape(n_cells, k)
    out = np.zeros((n_cells, k), dtype=np.float64)
    if not len(ru) or not len(m_user):
        return out
    p0 = min(int(rp.min()), int(m_period.min()))
    span = max(int(rp.max()), int(m_period.max()) + k) - p0 + 1
    keys, inv = np.unique(ru * span + (rp - p0), return_inverse=True)
    sums = np.bincount(inv.ravel(), weights=rv, minlength=len(keys))
    base = m_user * span + (m_period - p0)
    for j in range(k):
        q = base + j
        pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        got = np.where(keys[pos] == q, sums[pos], 0.0)
        out[:, j] = np.bincount(cell, weights=got, minlength=n_cells)
    return out


def first_rows(key: IntArray, time: IntArray) -> tuple[IntArray, IntArray]:
    """Per distinct ``key`` (sorted), the position of its earliest row (ties: first row)."""
    order = np.lexsort((np.arange(len(key)), time, key))
    k = key[order]
    first = np.r_[True, k[1:] != k[:-1]] if len(k) else np.zeros(0, dtype=bool)
    return k[first], order[first]
