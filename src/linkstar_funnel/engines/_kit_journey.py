"""Conformance cases of ``journey_arrays``: a backend must give the in-memory journeys.

Each case runs the backend and the in-memory engine on the same touchpoints (converted by
the backend's ``from_pandas``) and conversions (a pandas frame in the query), and
compares every output: the arrays' shape rules, the journeys as a multiset of (path,
ages, conversions, value, nulls) — the order of channels and journeys is the backend's —,
the channel names, both row accountings and the count of conversions by unseen users.
Where the in-memory engine raises a library error, the backend must raise the same type.

Conversions of one user at one instant are given in value order, so that a backend
ranking them by value (SQL tables have no row order) agrees with frame order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from ..errors import LinkstarError
from ._journeys import JourneyArrays, JourneyQuery
from ._kit import CASES, Runner

__all__ = ["journey_cases"]

_T0 = pd.Timestamp("2026-03-01")

Case = tuple[str, pd.DataFrame, JourneyQuery]


def journey_cases(kit: ConformanceKit, run: Runner, reference: Runner) -> None:
    """Every case of :func:`cases`, each difference recorded in ``kit``."""
    for name, touches, query in cases():
        with kit.check(name):
            want = _outcome(reference, touches, query)
            _compare(kit, name, _outcome(run, touches, query), want)


def _outcome(runner: Runner, touches: pd.DataFrame, query: JourneyQuery) -> object:
    """What ``runner`` returns, or the library error it raises."""
    try:
        return runner(touches, query)
    except LinkstarError as exc:
        return exc


def _compare(kit: ConformanceKit, name: str, got: object, want: object) -> None:
    if isinstance(want, LinkstarError) or isinstance(got, LinkstarError):
        kit.require(
            type(got) is type(want),
            f"{name}: gave {_what(got)}; the in-memory engine gave {_what(want)}",
        )
        return
    if not kit.require(
        isinstance(got, JourneyArrays), f"{name}: returned {_what(got)}, not JourneyArrays"
    ):
        return
    assert isinstance(got, JourneyArrays)
    assert isinstance(want, JourneyArrays)
    problems = shape_problems(got)
    for p in problems:
        kit.fail(f"{name}: {p}")
    if problems:
        return
    _compare_journeys(kit, name, got, want)
    kit.require(
        set(got.channels) == set(want.channels),
        f"{name}: channels {sorted(got.channels)}, expected {sorted(want.channels)}",
    )
    for field in ("touch_accounting", "conversion_accounting", "unseen_conversions"):
        a, b = getattr(got, field), getattr(want, field)
        kit.require(a == b, f"{name}: {field} is {a}, expected {b}")


def _what(value: object) -> str:
    if isinstance(value, BaseException):
        return f"{type(value).__name__} ({value})"
    return type(value).__name__


def shape_problems(a: JourneyArrays) -> list[str]:
    """What breaks the :class:`JourneyArrays` shape rules (empty when nothing does)."""
    out = []
    n = a.n_journeys
    off = a.offsets
    if n < 0 or off[0] != 0 or off[-1] != len(a.touches) or (np.diff(off) < 0).any():
        out.append(f"offsets {off[:5].tolist()}... must rise from 0 to len(touches)")
    if len(a.ages) != len(a.touches):
        out.append(f"{len(a.ages)} ages for {len(a.touches)} touches")
    for field in ("conversions", "value", "nulls"):
        if len(getattr(a, field)) != max(n, 0):
            out.append(f"{len(getattr(a, field))} {field} values for {n} journeys")
    if len(a.touches) and (a.touches.min() < 0 or a.touches.max() >= len(a.channels)):
        out.append("touches are not codes into channels")
    if len(set(a.channels)) != len(a.channels):
        out.append(f"channel names repeat: {a.channels}")
    return out


def canonical(a: JourneyArrays) -> Counter[tuple[Any, ...]]:
    """The journeys as a multiset of (path, ages in µs, conversions, value, nulls)."""
    names = np.asarray(a.channels, dtype=object)
    out: Counter[tuple[Any, ...]] = Counter()
    for i in range(a.n_journeys):
        lo, hi = int(a.offsets[i]), int(a.offsets[i + 1])
        path = tuple(names[a.touches[lo:hi]].tolist())
        ages = tuple(round(float(x), 6) for x in a.ages[lo:hi])
        nums = (float(a.conversions[i]), float(f"{a.value[i]:.12g}"), float(a.nulls[i]))
        out[(path, ages, *nums)] += 1
    return out


def _compare_journeys(
    kit: ConformanceKit, name: str, got: JourneyArrays, want: JourneyArrays
) -> None:
    kit.require(
        got.n_journeys == want.n_journeys,
        f"{name}: {got.n_journeys} journeys, expected {want.n_journeys}",
    )
    g, w = canonical(got), canonical(want)
    extra, missing = list((g - w).elements()), list((w - g).elements())
    kit.require(
        not extra and not missing,
        f"{name}: journeys differ: {len(missing)} expected not returned (e.g. "
        f"{missing[:1]}), {len(extra)} returned not expected (e.g. {extra[:1]})",
    )


def _query(conversions: pd.DataFrame, **kwargs: Any) -> JourneyQuery:
    base: dict[str, Any] = {
        "user": "user_id",
        "time": "timestamp",
        "channel": "channel",
        "conversion_user": "user_id",
        "conversion_time": "timestamp",
        "value": None,
        "lookback": pd.Timedelta("30D"),
    }
    base.update(kwargs)
    by = [
        base["conversion_user"],
        base["conversion_time"],
        *([base["value"]] if base["value"] else []),
    ]
    if all(c in conversions.columns for c in by):
        conversions = conversions.sort_values(by, kind="stable", ignore_index=True)
    return JourneyQuery(conversions=conversions, **base)


def _small_log(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Few users on few whole seconds (many ties), a missing channel now and then."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 17)), int(rng.integers(1, 7))
    channels = np.array(["a", "b", "c", "d", None], dtype=object)
    touches = pd.DataFrame(
        {
            "user_id": rng.choice(["u0", "u1", "u2"], n),
            "timestamp": _T0 + pd.to_timedelta(rng.integers(0, 13, n), unit="s"),
            "channel": channels[rng.integers(0, 5, n)],
        }
    )
    conversions = pd.DataFrame(
        {
            "user_id": rng.choice(["u0", "u1", "u3"], m),
            "timestamp": _T0 + pd.to_timedelta(rng.integers(0, 13, m), unit="s"),
            "revenue": rng.choice([0.0, 1.0, 2.5, 10.0], m),
        }
    )
    return touches, conversions


def _seeded_log(n: int, tz: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Integer users, other column names, days of touches and orders."""
    r = np.arange(n)
    start = pd.Timestamp("2026-01-01", tz=tz)
    touches = pd.DataFrame(
        {
            "uid": r * 7919 % 97,
            "ts": start + pd.to_timedelta(r * 4099 % 86400, "min"),
            "src": np.array(["seo", "email", "ads", "social", "direct"])[r * 31 % 5],
        }
    )
    k = np.arange(n // 10)
    conversions = pd.DataFrame(
        {
            "customer": k * 613 % 120,
            "ordered_at": start + pd.to_timedelta(k * 7907 % 86400, "min"),
            "revenue": (k * 37 % 50).astype(float),
        }
    )
    return touches, conversions


def cases() -> Iterator[Case]:
    """The shipped cases: ``(name, touchpoints frame, query)``."""
    maps: list[dict[str, str] | None] = [None, {"a": "x", "b": "x"}, {"c": "(direct/none)"}]
    for seed in range(8):
        touches, conversions = _small_log(seed)
        yield (
            f"small log {seed}",
            touches,
            _query(
                conversions,
                value="revenue" if seed % 2 else None,
                lookback=pd.Timedelta(seconds=1 + seed),
                channel_map=maps[seed % 3],
            ),
        )
    seeded = {
        "user": "uid",
        "time": "ts",
        "channel": "src",
        "conversion_user": "customer",
        "conversion_time": "ordered_at",
        "value": "revenue",
        "lookback": pd.Timedelta("7D"),
    }
    for tz in (None, "UTC"):
        touches, conversions = _seeded_log(600, tz)
        yield f"seeded log (tz {tz})", touches, _query(conversions, **seeded)
    touches, conversions = _small_log(3)
    yield (
        "conversions only by users never touched",
        touches,
        _query(conversions.assign(user_id="nobody")),
    )
    late = touches.assign(timestamp=touches["timestamp"] - pd.Timedelta("90D"))
    yield "every touch older than the lookback", late, _query(conversions)
    yield (
        "no usable conversion",
        touches,
        _query(conversions.assign(timestamp=pd.Series(pd.NaT, conversions.index, "M8[ns]"))),
    )
    yield "missing conversion column", touches, _query(conversions, value="amount")


CASES.register("journey_arrays", journey_cases)
