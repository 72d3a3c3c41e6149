"""Comparing rate observations with a :class:`Benchmark`: tests, q-values, verdicts, impact."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import stats as _stats
from .._params import InstanceOf, validate_params
from ..errors import DataQualityWarning, EmptyFrameError, ParameterError, SchemaError
from ..results import Provenance, ResultMixin, Summary
from ..schema import RowAccounting
from ._observations import segment_columns, validate_observations
from ._sets import _ALPHA, _NONNEG, _TEST, Benchmark

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["BenchmarkComparisonResult", "ComparisonSpec", "compare"]

Test = Literal["score", "exact"]
VERDICTS: tuple[str, ...] = ("below", "above", "in line")
#: Columns a comparison adds to the observations' labels (segment columns must differ).
OUTPUT_COLUMNS: frozenset[str] = frozenset(
    {
        "observed",
        "n",
        "reference",
        "difference",
        "ci_low",
        "ci_high",
        "difference_low",
        "difference_high",
        "p_value",
        "q_value",
        "prob_below",
        "verdict",
        "shortfall",
        "impact_orders",
        "impact_value",
        "impact",
        "source",
        "reference_kind",
    }
)


_OPT_NONNEG = attrs.validators.optional(_NONNEG)
_BENCHMARK = InstanceOf(Benchmark, description="a Benchmark")


@attrs.frozen
class ComparisonSpec:
    """Settings of a comparison (kept as the result's provenance).

    Parameters
    ----------
    benchmark
        The reference values.
    alpha
        Level of intervals (``1 - alpha``) and of the false discovery rate controlling
        verdicts.
    test
        ``"score"`` (the z-test with the reference's variance; pooled-variance z-test for a
        history reference) or ``"exact"`` (binomial test; Fisher's test for history).
    min_difference
        Smallest absolute rate gap worth a "below"/"above" verdict (0: any significant gap).
    value_per_order
        Average order value: turns order impact into money when observations carry
        ``orders_per_success`` but no ``value_per_success``.
    """

    benchmark: Benchmark = attrs.field(validator=_BENCHMARK)
    alpha: float = attrs.field(default=0.05, validator=_ALPHA)
    test: Test = attrs.field(default="score", validator=_TEST)
    min_difference: float = attrs.field(default=0.0, validator=_NONNEG)
    value_per_order: float | None = attrs.field(default=None, validator=_OPT_NONNEG)


@validate_params(
    benchmark=_BENCHMARK,
    alpha=_ALPHA,
    test=_TEST,
    min_difference=_NONNEG,
    value_per_order=[None, _NONNEG],
)
def compare(
    observations: object,
    benchmark: Benchmark,
    *,
    alpha: float = 0.05,
    test: Test = "score",
    min_difference: float = 0.0,
    value_per_order: float | None = None,
) -> BenchmarkComparisonResult:
    """Compare observed rates with a benchmark, stage by stage and segment by segment.

    Each observation row (see :mod:`linkstar_funnel.benchmark` for the frame) is matched
    with the most specific reference of its stage whose segment labels it carries. Rows
    with no reference, or no trials, are left out and counted in the provenance.

    For a fixed reference rate ``p0`` (published figures, targets): a Wilson interval for
    the observed rate, the score test with ``p0``'s variance (or the exact binomial
    test), and the Jeffreys posterior ``P(rate < p0)``. For a reference with counts (own
    history): the pooled two-sample z-test (or Fisher's exact test), Newcombe's interval
    for the difference, and ``P(rate < reference rate)`` with Jeffreys priors on both.
    p-values of all rows are adjusted together by Benjamini-Hochberg; a row is "below"
    or "above" when its q-value is at most ``alpha`` and its gap at least
    ``min_difference``, "in line" otherwise.

    Impact is the shortfall ``trials * (reference - observed)`` (successes lost at this
    stage; negative when ahead) times ``orders_per_success`` (orders) and
    ``value_per_success`` (money), assuming later stages convert as they do now.

    Parameters
    ----------
    observations
        A rate-observation frame or a :class:`RateSource`; never modified.
    benchmark
        The references.
    alpha, test, min_difference, value_per_order
        See :class:`ComparisonSpec`.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.benchmark import Benchmark
    >>> bench = Benchmark.from_rates({"add_to_cart": 0.052}, source="Littledata",
    ...                              as_of="2019-10")
    >>> obs = pd.DataFrame({"stage": ["add_to_cart"] * 2, "device": ["mobile", "desktop"],
    ...                     "successes": [380, 30], "trials": [10_000, 500],
    ...                     "orders_per_success": [0.3, 0.35]})
    >>> cmp = bench.compare(obs)
    >>> cols = ["device", "observed", "reference", "q_value", "verdict", "impact"]
    >>> cmp.to_frame()[cols].round(4)
        device  observed  reference  q_value  verdict  impact
    0   mobile     0.038      0.052   0.0000    below    42.0
    1  desktop     0.060      0.052   0.4204  in line    -1.4
    """
    spec = ComparisonSpec(benchmark, alpha, test, min_difference, value_per_order)
    obs = validate_observations(observations)
    segs = segment_columns(obs)
    clash = [c for c in segs if c in OUTPUT_COLUMNS]
    if clash:
        msg = (
            f"The observations frame has segment column(s) {clash} named like columns the "
            "comparison adds; the segment labels would be overwritten.\nHint: rename them, "
            f"e.g. observations.rename(columns={{{clash[0]!r}: {clash[0] + '_segment'!r}}})."
        )
        raise SchemaError(msg)
    label_cols = [*segs, *(["period"] if "period" in obs.columns else [])]
    ref_idx = _match(obs, benchmark, segs)
    accounting = RowAccounting(rows_in=len(obs))
    no_ref = ref_idx < 0
    accounting = accounting.with_dropped("no matching reference", int(no_ref.sum()), column="stage")
    no_trials = ~no_ref & (obs["trials"].to_numpy() == 0)
    accounting = accounting.with_dropped("no trials", int(no_trials.sum()), column="trials")
    keep = ~no_ref & ~no_trials
    if not keep.any():
        stages = sorted({r.stage for r in benchmark.references})
        msg = (
            f"No observation matches a reference of benchmark {benchmark.name!r} "
            f"({accounting}).\nHint: the benchmark has stages {stages}; observation "
            "'stage' (and 'base', segment columns) must use the same names."
        )
        raise EmptyFrameError(msg)
    table = _statistics(obs.loc[keep].reset_index(drop=True), ref_idx[keep], spec, label_cols)
    unit = _impact_unit(table)
    return BenchmarkComparisonResult(
        table=table,
        spec=spec,
        by=tuple(label_cols),
        impact_unit=unit,
        provenance=Provenance(spec, {"observations": accounting}, notes=_notes(benchmark, table)),
    )


def _match(obs: pd.DataFrame, bench: Benchmark, segs: list[str]) -> npt.NDArray[np.int64]:
    n = len(obs)
    best = np.full(n, -1, dtype=np.int64)
    spec = np.full(n, -1, dtype=np.int64)
    stage = obs["stage"].to_numpy()
    base = obs["base"].to_numpy()
    step = obs["step"].to_numpy(dtype=bool)
    seg_text = {c: obs[c].astype(str).to_numpy() for c in segs}
    for i, ref in enumerate(bench.references):
        if any(k not in seg_text for k in ref.segment):
            continue
        hit = stage == ref.stage
        hit &= step if ref.base is None else (base == ref.base)
        for k, v in ref.segment.items():
            hit &= seg_text[k] == v
        level = len(ref.segment)
        clash = hit & (spec == level)
        if clash.any():
            j = int(np.flatnonzero(clash)[0])
            other = bench.references[int(best[j])]
            msg = (
                f"Observation row {j} (stage {stage[j]!r}) matches two references equally "
                f"well: segments {dict(other.segment)} and {dict(ref.segment)}.\nHint: add a "
                "reference for the combination, or drop one of the two."
            )
            raise ParameterError(msg)
        better = hit & (level > spec)
        best[better] = i
        spec[better] = level
    return best


def _statistics(
    obs: pd.DataFrame, ref_idx: npt.NDArray[np.int64], spec: ComparisonSpec, labels: list[str]
) -> pd.DataFrame:
    refs = [spec.benchmark.references[int(i)] for i in ref_idx]
    x = obs["successes"].to_numpy(dtype=np.float64)
    n = obs["trials"].to_numpy(dtype=np.float64)
    r = np.array([ref.rate for ref in refs])
    counted = np.array([ref.has_counts for ref in refs])
    rx = np.array([ref.successes if ref.successes is not None else 0 for ref in refs], float)
    rn = np.array([ref.trials if ref.trials is not None else 1 for ref in refs], float)
    p = x / n
    lo, hi = _stats.wilson_interval(x, n, alpha=spec.alpha)
    d_lo, d_hi = lo - r, hi - r
    one_sample = _stats.score_test if spec.test == "score" else _stats.binomial_test
    pv = one_sample(x, n, r)
    below = _stats.prob_below(x, n, r)
    if counted.any():
        c = counted
        nl, nh = _stats.newcombe_interval(x[c], n[c], rx[c], rn[c], alpha=spec.alpha)
        d_lo[c], d_hi[c] = nl, nh
        test2 = _stats.two_proportion_test if spec.test == "score" else _stats.fisher_test
        pv[c] = test2(x[c], n[c], rx[c], rn[c])
        below[c] = _stats.prob_below_two(x[c], n[c], rx[c], rn[c])
    q = _stats.bh_qvalues(pv)
    diff = p - r
    significant = (q <= spec.alpha) & (np.abs(diff) >= spec.min_difference)
    verdict = np.where(significant, np.where(diff < 0, "below", "above"), "in line")
    shortfall = n * (r - p)
    out = obs[labels].reset_index(drop=True).copy() if labels else pd.DataFrame(index=obs.index)
    out.insert(0, "stage", obs["stage"].to_numpy())
    out.insert(1, "base", obs["base"].to_numpy())
    cols: dict[str, Any] = {
        "observed": p,
        "n": n.astype(np.int64),
        "successes": x.astype(np.int64),
        "reference": r,
        "difference": diff,
        "ci_low": lo,
        "ci_high": hi,
        "difference_low": d_lo,
        "difference_high": d_hi,
        "p_value": pv,
        "q_value": q,
        "prob_below": below,
        "verdict": verdict,
        "shortfall": shortfall,
    }
    with np.errstate(over="ignore"):  # overflow is reported below, in the user's words
        if "orders_per_success" in obs.columns:
            cols["impact_orders"] = shortfall * obs["orders_per_success"].to_numpy()
        if "value_per_success" in obs.columns:
            cols["impact_value"] = shortfall * obs["value_per_success"].to_numpy()
        elif "impact_orders" in cols and spec.value_per_order is not None:
            cols["impact_value"] = cols["impact_orders"] * spec.value_per_order
    impact = cols.get("impact_value", cols.get("impact_orders", shortfall))
    cols["impact"] = impact
    _warn_unknown_impact(obs["stage"].to_numpy(), impact)
    cols["source"] = [ref.label() for ref in refs]
    cols["reference_kind"] = [ref.kind for ref in refs]
    for name, values in cols.items():
        out[name] = values
    head = [
        "stage",
        "base",
        *labels,
        "observed",
        "n",
        "reference",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
        "q_value",
        "verdict",
        "impact",
    ]
    return out[head + [c for c in out.columns if c not in head]]


def _warn_unknown_impact(stages: npt.NDArray[Any], impact: npt.NDArray[np.float64]) -> None:
    unknown = np.isnan(impact)
    if unknown.any():
        where = sorted({str(s) for s in stages[unknown]})
        warnings.warn(
            f"The impact of {int(unknown.sum())} row(s) (stage(s) {where}) is unknown (NaN): "
            "their orders_per_success or value_per_success is missing, e.g. because no "
            "entity reached the stage.",
            DataQualityWarning,
            stacklevel=5,
        )
    huge = np.isinf(impact)
    if huge.any():
        where = sorted({str(s) for s in stages[huge]})
        warnings.warn(
            f"The impact of {int(huge.sum())} row(s) (stage(s) {where}) overflows float64 "
            "(±inf): orders_per_success, value_per_success or value_per_order is too large.",
            DataQualityWarning,
            stacklevel=5,
        )


def _impact_unit(table: pd.DataFrame) -> str:
    if "impact_value" in table.columns:
        return "value"
    return "orders" if "impact_orders" in table.columns else "successes"


def _notes(bench: Benchmark, table: pd.DataFrame) -> tuple[str, ...]:
    used = list(dict.fromkeys(table["source"]))
    notes = [f"references: {'; '.join(used)}"]
    if (table["reference_kind"] == "industry").any():
        notes.append(
            "published industry rates drift month to month and are defined on "
            "their own populations: read them as context, not as targets"
        )
    return (f"benchmark: {bench.name}", *notes)


@attrs.frozen(eq=False)
class BenchmarkComparisonResult(ResultMixin):
    """Observed rates against a benchmark: one row per stage and segment.

    Attributes
    ----------
    table
        See :meth:`to_frame`.
    spec
        The :class:`ComparisonSpec` (benchmark and settings).
    by
        The segment (label) columns of the table (``period`` too, for observations over
        time).
    impact_unit
        What ``impact`` counts: ``"value"`` (money), ``"orders"`` or ``"successes"``.
    provenance
        Observation rows used and left out.
    """

    table: pd.DataFrame
    spec: ComparisonSpec
    by: tuple[str, ...]
    impact_unit: str
    provenance: Provenance

    @property
    def segments(self) -> tuple[str, ...]:
        """Deprecated name of :attr:`by`."""
        warnings.warn(
            "BenchmarkComparisonResult.segments is deprecated and will be removed in the next "
            "release; use 'by' instead (same meaning).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.by

    def to_frame(self) -> pd.DataFrame:
        """``stage``, ``base``, [segments], ``observed``, ``n``, ``reference``,
        ``difference``, ``ci_low``/``ci_high`` (interval for the observed rate),
        ``p_value``, ``q_value``, ``verdict``, ``impact`` (in :attr:`impact_unit`; positive
        = lost versus the reference), then ``successes``, ``difference_low``/``_high``,
        ``prob_below`` (posterior P(rate < reference)), ``shortfall``, ``impact_orders``,
        ``impact_value`` (when available), ``source``, ``reference_kind``. A fresh copy."""
        return self.table.copy()

    def needs_action(self) -> pd.DataFrame:
        """Rows whose verdict is "below", largest impact first: what to fix, by money."""
        below = self.table.loc[self.table["verdict"] == "below"]
        return below.sort_values("impact", ascending=False, kind="stable").reset_index(drop=True)

    def summary(self) -> Summary:
        """Counts of verdicts, the impact at stake, and the top rows needing action."""
        t = self.table
        counts = t["verdict"].value_counts()
        action = self.needs_action()
        with np.errstate(over="ignore"):  # an infinite impact already warned when computed
            at_stake = float(action["impact"].clip(lower=0).to_numpy().sum())
        facts = (
            ("benchmark", self.spec.benchmark.name),
            ("rows compared", f"{len(t):,}"),
            ("below / above / in line", " / ".join(str(int(counts.get(v, 0))) for v in VERDICTS)),
            (f"impact at stake ({self.impact_unit})", f"{at_stake:,.1f}"),
            ("test", f"{self.spec.test}, BH q ≤ {self.spec.alpha:g}"),
        )
        cols = ["stage", *self.by, "observed", "reference", "q_value", "impact"]
        top = action[cols].head(5).round({"observed": 4, "reference": 4, "q_value": 4, "impact": 1})
        return Summary("Benchmark comparison", facts, top, tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Observed rate with its interval against the reference, per row (see ``_plot``)."""
        from ._plot import plot_comparison

        return plot_comparison(self, ax=ax, **kwargs)
