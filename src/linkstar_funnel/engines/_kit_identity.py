"""Conformance cases of ``identity_components``: a backend must give the in-memory persons.

Each case gives the backend under test and the in-memory reference the same pandas frame
and query, and compares: every id with its canonical person id (as a set of rows: node
order is the backend's), the over-connected ids with their partner counts, the links left
out, the missing or null-like values per column and the row accounting; for bad input, the
error type. Every difference is recorded; nothing stops at the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import ColumnNotFoundError, EmptyFrameError, SchemaError
from ._identity import IdentityComponents, IdentityQuery, node_text, person_ids
from ._kit import CASES, Runner, accounting_key

__all__ = ["identity_cases"]

_PAIRS = (("device_id", "device_id"), ("email", "email"))


def _pairs(seed: int, n: int, devices: int = 60, emails: int = 40) -> pd.DataFrame:
    """Device ids and e-mails with repeats, null-likes and a few busy ids."""
    rng = np.random.default_rng(seed)
    device = rng.choice(
        np.array([f"d{i}" for i in range(devices)] + ["", " NULL ", "unknown"], dtype=object), n
    )
    device[rng.random(n) < 0.05] = None
    email = rng.choice(np.array([f"u{i}@x.com" for i in range(emails)] + ["0"], dtype=object), n)
    busy = rng.random(n) < 0.15  # a placeholder e-mail seen with many devices
    email = np.where(busy, "test@shop.com", email)
    return pd.DataFrame({"device_id": device, "email": email})


def _three(seed: int, n: int) -> pd.DataFrame:
    """Three id columns, one of integer customer ids (read as text)."""
    rng = np.random.default_rng(seed)
    frame = _pairs(seed, n)
    frame["customer_id"] = rng.integers(0, 30, n)
    return frame


def _chain(n: int) -> pd.DataFrame:
    """One long path d0 - e0 - d1 - e1 - ...: the most propagation rounds."""
    return pd.DataFrame(
        {
            "device_id": [f"d{i // 2 + i % 2}" for i in range(n)],
            "email": [f"e{i // 2}" for i in range(n)],
        }
    )


#: (name, frame builder, query) of the cases whose outputs must match.
_CASES: tuple[tuple[str, Callable[[], pd.DataFrame], IdentityQuery], ...] = (
    ("pairs with the guard", lambda: _pairs(1, 120), IdentityQuery(_PAIRS, max_partners=10)),
    ("pairs without the guard", lambda: _pairs(2, 80), IdentityQuery(_PAIRS, max_partners=None)),
    (
        "three id columns, integers among them",
        lambda: _three(3, 100),
        IdentityQuery((*_PAIRS, ("customer_id", "customer_id")), max_partners=8),
    ),
    (
        "two columns of one id type",
        lambda: _pairs(4, 120).rename(columns={"email": "device_b"}),
        IdentityQuery((("device_id", "device_id"), ("device_b", "device_id"))),
    ),
    (
        "a custom null-like list",
        lambda: _pairs(5, 100),
        IdentityQuery(_PAIRS, null_like=("test@shop.com",), max_partners=None),
    ),
    ("a long chain", lambda: _chain(16), IdentityQuery(_PAIRS, max_partners=None)),
)


def _persons(out: IdentityComponents) -> list[tuple[str, str, str | None]]:
    types = np.asarray(out.id_types, dtype=object)[out.node_types()]
    rows = zip(types, node_text(out).to_pylist(), person_ids(out).to_pylist(), strict=True)
    return sorted((str(t), str(i), p) for t, i, p in rows if p is not None)


def _over(out: IdentityComponents) -> list[tuple[str, str, int]]:
    types = np.asarray(out.id_types, dtype=object)[out.node_types()]
    text = node_text(out).to_pylist()
    return sorted(
        (str(types[k]), str(text[k]), int(p))
        for k, p in zip(out.over_connected, out.partners, strict=True)
    )


def _compare(kit: ConformanceKit, case: str, got: Any, want: IdentityComponents) -> None:
    if not kit.require(
        isinstance(got, IdentityComponents),
        f"{case}: returned {type(got).__name__}, not IdentityComponents",
    ):
        return
    kit.require(got.id_types == want.id_types, f"{case}: id types {got.id_types}")
    g, w = _persons(got), _persons(want)
    kit.require(
        g == w,
        f"{case}: persons differ ({len(g)} ids vs {len(w)}; first differences "
        f"{[r for r in g if r not in w][:3]} / {[r for r in w if r not in g][:3]})",
    )
    kit.require(
        _over(got) == _over(want),
        f"{case}: over-connected ids {_over(got)[:5]} != {_over(want)[:5]}",
    )
    kit.require(
        got.links_left_out == want.links_left_out,
        f"{case}: {got.links_left_out} links left out, in memory {want.links_left_out}",
    )
    kit.require(
        sorted(got.null_like) == sorted(want.null_like),
        f"{case}: null-like values {got.null_like} != {want.null_like}",
    )
    kit.require(
        [accounting_key(a) for a in got.accounting] == [accounting_key(a) for a in want.accounting],
        f"{case}: row accounting {got.accounting} != {want.accounting}",
    )


def identity_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every ``identity_components`` case; see the module docstring."""
    for name, build, query in _CASES:
        frame = build()
        with kit.check(name):
            want = reference(frame, query)
            got = run(frame.copy(), query)
            _compare(kit, name, got, want)
    frame = _pairs(9, 20)
    with kit.check("a missing column"):
        missing = IdentityQuery((("device_id", "device_id"), ("phone", "phone")))
        kit.raises("a missing column", ColumnNotFoundError, run, frame, missing)
    with kit.check("an id column of booleans"):
        flags = frame.assign(email=np.arange(len(frame)) % 2 == 0)
        kit.raises("an id column of booleans", SchemaError, run, flags, IdentityQuery(_PAIRS))
    with kit.check("no rows"):
        kit.raises("no rows", EmptyFrameError, run, frame.iloc[:0], IdentityQuery(_PAIRS))


CASES.register("identity_components", identity_cases)
