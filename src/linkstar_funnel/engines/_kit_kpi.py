"""Conformance cases of ``kpi_leaf_sums``: a backend must give the in-memory sums.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares every field of the outputs: the keys (as a set of rows: row order
is the backend's), the sums per key (to float tolerance), the rows per key, the row
accounting (rows in, and every drop reason with its column and count) and, for bad
input, the error type. Every difference is recorded; nothing stops at the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import ColumnNotFoundError, EmptyFrameError, SchemaError
from ._kit import CASES, Runner, accounting_key
from ._kpi import KPILeafSums, KPILeafSumsQuery

__all__ = ["kpi_cases"]

_LEAVES = (("sessions", "sessions"), ("orders", "orders"), ("revenue", "revenue"))


def _raw(seed: int, n: int) -> pd.DataFrame:
    """Several rows per month and country, with holes in keys and leaves."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "month": rng.choice(np.array(["2026-01", "2026-02", "2026-03", None]), n),
            "country": rng.choice(np.array(["DE", "FR", "UK", None]), n),
            "sessions": rng.integers(50, 500, n).astype(float),
            "orders": np.where(rng.random(n) < 0.05, np.nan, rng.integers(1, 40, n)),
            "revenue": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 1000).round(2),
        }
    )


def _one_row_per_key() -> pd.DataFrame:
    frame = _raw(7, 120).dropna().drop_duplicates(["month", "country"])
    return frame.reset_index(drop=True)


#: (name, frame builder, query) of the cases whose outputs must match field by field.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], KPILeafSumsQuery], ...] = (
    (
        "sums per period and segment",
        lambda: _raw(1, 200),
        KPILeafSumsQuery(leaves=_LEAVES, period="month", by=("country",)),
    ),
    (
        "sums per period",
        lambda: _raw(2, 60),
        KPILeafSumsQuery(leaves=_LEAVES, period="month"),
    ),
    (
        "sums per segment, no period",
        lambda: _raw(3, 40),
        KPILeafSumsQuery(leaves=_LEAVES[:1], by=("country",)),
    ),
    (
        "one sum without keys",
        lambda: _raw(4, 30),
        KPILeafSumsQuery(leaves=_LEAVES),
    ),
    (
        "two leaves reading one column",
        lambda: _raw(5, 50),
        KPILeafSumsQuery(leaves=(("traffic", "sessions"), ("visits", "sessions")), period="month"),
    ),
    (
        "keys only (every leaf supplied elsewhere)",
        lambda: _raw(6, 50),
        KPILeafSumsQuery(leaves=(), period="month", by=("country",)),
    ),
    (
        "rows as given (aggregate=False)",
        _one_row_per_key,
        KPILeafSumsQuery(leaves=_LEAVES, period="month", by=("country",), aggregate=False),
    ),
    (
        "a single row",
        lambda: _raw(8, 1).fillna({"month": "2026-01", "country": "DE", "orders": 1.0}),
        KPILeafSumsQuery(leaves=_LEAVES[:2], period="month", by=("country",)),
    ),
)


def _table(out: KPILeafSums, query: KPILeafSumsQuery) -> pd.DataFrame:
    """Keys (as text), sums and rows in one frame, sorted on every column."""
    keys = out.keys.reset_index(drop=True)
    table = pd.DataFrame(
        {c: keys[c].astype(str).to_numpy(dtype=object) for c in query.key_columns},
        index=pd.RangeIndex(len(out.rows)),
    )
    for leaf, _ in query.leaves:
        table[f"sum {leaf}"] = np.asarray(out.sums[leaf], dtype=np.float64)
    table["rows"] = np.asarray(out.rows, dtype=np.int64)
    if table.shape[1]:
        table = table.sort_values(list(table.columns), kind="stable")
    return table.reset_index(drop=True)


def _accounting(out: KPILeafSums) -> tuple[int, list[tuple[str, str | None, int]]]:
    return accounting_key(out.accounting)


def _compare(kit: ConformanceKit, case: str, got: Any, want: KPILeafSums, q: Any) -> None:
    """Every field of ``got`` against the reference ``want``; each difference recorded."""
    if not kit.require(
        isinstance(got, KPILeafSums), f"{case}: returned {type(got).__name__}, not KPILeafSums"
    ):
        return
    kit.require(
        _accounting(got) == _accounting(want),
        f"{case}: row accounting {got.accounting} != {want.accounting}",
    )
    g, w = _table(got, q), _table(want, q)
    if not kit.require(
        len(g) == len(w), f"{case}: {len(g)} output rows, the in-memory engine gives {len(w)}"
    ):
        return
    keys = list(q.key_columns)
    kit.require(
        g[keys].equals(w[keys]),
        f"{case}: keys {g[keys].to_numpy().tolist()[:5]} != {w[keys].to_numpy().tolist()[:5]}",
    )
    for leaf, _ in q.leaves:
        a, b = g[f"sum {leaf}"].to_numpy(), w[f"sum {leaf}"].to_numpy()
        kit.require(
            bool(np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)),
            f"{case}: sums of {leaf!r} {a[:5].tolist()} != {b[:5].tolist()}",
        )
    kit.require(
        bool((g["rows"].to_numpy() == w["rows"].to_numpy()).all()),
        f"{case}: rows per key {g['rows'].tolist()[:5]} != {w['rows'].tolist()[:5]}",
    )
    extra = set(got.sums) - {leaf for leaf, _ in q.leaves}
    kit.require(not extra, f"{case}: sums of leaves not asked for: {sorted(extra)}")


def _nothing_usable(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """No usable row: EmptyFrameError, or an output with no rows and the same accounting."""
    case = "no usable row"
    frame = _raw(9, 20).assign(revenue=np.nan)
    query = KPILeafSumsQuery(leaves=_LEAVES, period="month", by=("country",))
    try:
        got = run(frame, query)
    except EmptyFrameError:
        return
    except Exception as exc:  # noqa: BLE001 - the kit reports what the backend raised
        kit.fail(f"{case}: raised {type(exc).__name__}, not EmptyFrameError: {exc}")
        return
    if not kit.require(isinstance(got, KPILeafSums), f"{case}: returned {type(got).__name__}"):
        return
    kit.require(len(got.rows) == 0, f"{case}: {len(got.rows)} output rows, expected none")
    kit.require(
        got.accounting.rows_in == len(frame) and got.accounting.rows_used == 0,
        f"{case}: row accounting {got.accounting}, expected {len(frame)} rows in, none used",
    )
    reference_error = None
    try:
        reference(frame, query)
    except EmptyFrameError as exc:
        reference_error = exc
    kit.require(reference_error is not None, f"{case}: the in-memory engine did not refuse it")


def kpi_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``kpi_leaf_sums`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want, query)
    with kit.check("no usable row"):
        _nothing_usable(kit, run, reference)
    frame = _raw(10, 20)
    missing = KPILeafSumsQuery(leaves=(("gmv", "gmv"),), period="month")
    with kit.check("a missing column"):
        kit.raises("a missing column", ColumnNotFoundError, run, frame, missing)
    text = frame.assign(orders="x")
    with kit.check("a leaf column of text"):
        kit.raises("a leaf column of text", SchemaError, run, text, KPILeafSumsQuery(_LEAVES))


CASES.register("kpi_leaf_sums", kpi_cases)
