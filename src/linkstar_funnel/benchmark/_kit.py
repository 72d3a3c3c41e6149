"""``check_benchmark_set``: the conformance kit for benchmark sets users register.

A set others will compare with must build a :class:`Benchmark` every time, the same one,
from references that are dated (not in the future), sourced, and, for published figures,
say what they measure and where to read them; and every reference must be reachable by a
comparison. The kit runs every check and raises one
:class:`~linkstar_funnel.errors.ConformanceError` listing all failures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs
import pandas as pd

from .._conformance import ConformanceKit
from .._params import InstanceOf, Satisfies, validate_params
from ._reference import Reference
from ._registry import BENCHMARK_SETS
from ._sets import Benchmark

__all__ = ["check_benchmark_set"]

_PROTOCOL = "benchmark set"
#: Trials given to a reference without counts in the comparison check.
_TRIALS = 10_000


def _subject(name_or_factory: str | Callable[[], Benchmark]) -> tuple[str, Callable[[], object]]:
    if isinstance(name_or_factory, str):
        return f"benchmark set {name_or_factory!r}", BENCHMARK_SETS.get(name_or_factory)
    return getattr(name_or_factory, "__qualname__", repr(name_or_factory)), name_or_factory


def _as_of_date(as_of: str) -> dt.date:
    """The first day an ``as_of`` ("2019", "2019-10", "2019-10-31") can mean."""
    year, month, day = ([int(p) for p in as_of.split("-")] + [1, 1])[:3]
    return dt.date(year, month, day)


def _observations(refs: tuple[Reference, ...]) -> pd.DataFrame:
    """One observation row per reference, labelled to match it and nothing more specific."""
    seg_cols = sorted({k for r in refs for k in r.segment})
    rows = []
    for r in refs:
        trials = r.trials if r.trials is not None else _TRIALS
        successes = r.successes if r.successes is not None else round(r.rate * trials)
        row: dict[str, object] = {
            "stage": r.stage,
            "base": r.base,
            "step": r.base is None,
            "successes": successes,
            "trials": trials,
        }
        row.update({c: r.segment.get(c, "<any other label>") for c in seg_cols})
        rows.append(row)
    return pd.DataFrame(rows)


def _check_references(kit: ConformanceKit, bench: Benchmark) -> None:
    refs = bench.references
    with kit.check("holds at least one reference"):
        assert refs, "the set is empty"
    with kit.check("every reference is valid"):
        for r in refs:  # validators run again on a copy: nothing bypassed them
            attrs.evolve(r)
        Benchmark(bench.name, refs)
    with kit.check("every reference is dated, and not in the future"):
        today = dt.date.today()
        late = [f"{r.stage} ({r.as_of})" for r in refs if _as_of_date(r.as_of) > today]
        assert not late, f"dated after today: {late}"
    with kit.check("every reference is sourced"):
        bare = [r.stage for r in refs if not r.source.strip()]
        assert not bare, f"no source for {bare}"
    with kit.check("published figures say what they measure and where to read them"):
        published = [r for r in refs if r.kind in ("industry", "peer")]
        vague = [r.stage for r in published if not r.definition.strip()]
        assert not vague, f"no definition for industry or peer reference(s) {vague}"
        unfound = [r.stage for r in published if not (r.url or r.population.strip())]
        assert not unfound, f"neither url nor population for reference(s) {unfound}"


def _check_comparable(kit: ConformanceKit, bench: Benchmark) -> None:
    with kit.check("every reference is matched by a comparison"):
        obs = _observations(bench.references)
        table = bench.compare(obs).to_frame()
        assert len(table) == len(bench.references), (
            f"{len(bench.references)} observation rows, one per reference, gave "
            f"{len(table)} compared rows"
        )
        wrong = [
            r.stage
            for r, (rate, source) in zip(
                bench.references, zip(table["reference"], table["source"], strict=True), strict=True
            )
            if rate != r.rate or source != r.label()
        ]
        assert not wrong, f"rows of stage(s) {wrong} were matched with another reference"


@validate_params(
    name_or_factory=[
        InstanceOf(str, description="a registered benchmark set's name"),
        Satisfies(callable, "a function building a Benchmark"),
    ]
)
def check_benchmark_set(name_or_factory: str | Callable[[], Benchmark]) -> None:
    """Check a benchmark set (a registered name or the function building it).

    Checks: the function builds a :class:`Benchmark`, the same one on every call (a set
    others compare with must not drift between calls); it holds references, each valid,
    dated (not in the future) and sourced; published figures (``kind`` "industry" or
    "peer") have a definition and a url or population; and a comparison with one
    observation per reference matches each reference with its own row.

    Raises
    ------
    ConformanceError
        Listing every failed check (also an ``AssertionError``).
    RegistryError
        ``name_or_factory`` is a name nobody registered.

    Examples
    --------
    >>> from linkstar_funnel.benchmark import Benchmark, check_benchmark_set
    >>> check_benchmark_set("industry")
    >>> def targets() -> Benchmark:
    ...     return Benchmark.from_rates({"payment": 0.5}, source="Q3 plan", as_of="2999")
    >>> check_benchmark_set(targets)
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ConformanceError: targets fails 1 of the benchmark set checks:
    - every reference is dated, and not in the future: dated after today: ['payment (2999)']
    """
    name, factory = _subject(name_or_factory)
    kit = ConformanceKit(name, _PROTOCOL)
    built: list[object] = []
    with kit.check("builds a Benchmark"):
        built = [factory(), factory()]
        other = [type(b).__name__ for b in built if not isinstance(b, Benchmark)]
        assert not other, f"built a {other[0]}, not a Benchmark"
    benches = [b for b in built if isinstance(b, Benchmark)]
    if len(benches) == 2:
        first, second = benches
        with kit.check("builds the same set on every call"):
            assert first == second, "two calls built different sets"
        _check_references(kit, first)
        if first.references:
            _check_comparable(kit, first)
    kit.finish()
