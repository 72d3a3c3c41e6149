"""AutoLTV: per segment, the LTV model that did best in a backtest inside the calibration data.

The candidates are cohort curves (:class:`CohortLTV`), BG/NBD + Gamma-Gamma, Pareto/NBD +
Gamma-Gamma (opt-in: its fit is slow) and ``"blend"``, the mean of the cohort and BG/NBD
totals. Each is fitted at ``folds`` rolling origins ``observation_end - i * window`` (the
window is half the calibration history unless given) and
forecasts the ``window`` that follows (which still ends at or before ``observation_end``:
no fold sees past the cut; a fold with less than one window of history before its origin
is skipped, and the provenance says so); per segment, the candidate with the lowest mean absolute
percentage error (APE) of the segment's total wins. Per-customer forecasts share the
winner's total for each cohort of the segment in proportion to the BG/NBD forecast at the
horizon, so customers are ranked by the probabilistic model within their cohort, and
cohort totals are the winner's.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Boolean, ColumnName, Columns, Real, Timestamp, validate_params
from .._validators import bad_parameter, in_choices, positive_duration, positive_int, to_timedelta
from ..errors import ConvergenceWarning, DataQualityWarning, LinkstarWarning
from ..results import Provenance, ResultMixin, Summary
from ._betageo import BetaGeo
from ._cohort import CohortLTV
from ._cohort_fit import CohortForecastResult, CohortLTVResult
from ._pareto import ParetoNBD
from ._protocol import ProbabilisticLTV, ProbabilisticLTVResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["AutoLTV", "AutoLTVResult"]

FloatArray = npt.NDArray[np.float64]
CANDIDATES = ("cohort", "bgnbd", "pareto", "blend")
_PROBABILISTIC: dict[str, type[BetaGeo | ParetoNBD]] = {
    "bgnbd": BetaGeo,
    "pareto": ParetoNBD,
}


def _horizon(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="horizon", owner="AutoLTV")


def _window(value: object) -> pd.Timedelta | Literal["auto"]:
    if isinstance(value, str) and value == "auto":
        return "auto"
    return to_timedelta(value, param="window", owner="AutoLTV")


def _window_ok(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value != "auto":
        positive_duration(instance, attribute, value)


def _step(value: object) -> pd.Timedelta:
    return to_timedelta(value, param="step", owner="AutoLTV")


def _candidates(value: object) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else value
    try:
        out = tuple(dict.fromkeys(items))  # type: ignore[call-overload]
    except TypeError:
        out = ()
    if not out or not all(isinstance(c, str) and c in CANDIDATES for c in out):
        expected = f"a non-empty list of {', '.join(CANDIDATES)}"
        err = bad_parameter("AutoLTV", "candidates", expected, value)
        raise err
    return out


@attrs.frozen
class AutoLTV:
    """Cohort curves or BG/NBD + Gamma-Gamma per segment, chosen by an in-sample backtest.

    Parameters
    ----------
    horizon
        How far ahead to forecast (the cohort curves' horizon), e.g. ``"365D"``.
    window
        Length of each backtest fold's forecast window; ``"auto"`` (default): half the
        time from the first order to ``observation_end``, capped at ``horizon``, so the
        fold's models extrapolate as far as their history, as the real forecast asks of
        them (short folds favour cohort curves, whose error grows with the extrapolation).
    folds
        Number of rolling origins, at ``observation_end - i * window`` for i = 1..folds
        (an origin with less than one ``window`` of orders before it is skipped).
    candidates
        Models that compete: ``"cohort"``, ``"bgnbd"``, ``"pareto"`` (slow to fit) and
        ``"blend"`` (mean of the cohort and BG/NBD totals).
    step, period, use_prophet
        Passed to :class:`CohortLTV` (age resolution, cohort period, prophet or power-law
        tail).
    unit
        Time unit of the BG/NBD (and Pareto/NBD) RFM summary.
    n_jobs
        Worker processes for the cohort curves' per-segment forecasts (as in
        :class:`CohortLTV`).

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> store = lf.datasets.make_demo_store(n_users=2000, seed=1)
    >>> fit = lf.ltv.AutoLTV(horizon="90D", window="28D", folds=1, use_prophet=False).fit(
    ...     store.orders, observation_end="2026-03-16")
    >>> list(fit.choice.columns)
    ['model', 'reason', 'ape_cohort', 'ape_bgnbd', 'ape_blend']
    >>> per_customer = fit.expected_customer_revenue(until="2026-05-01")
    >>> totals = fit.expected_revenue(until="2026-05-01")
    >>> bool(abs(per_customer.sum() - totals["expected"].sum()) < 1e-6 * totals["expected"].sum())
    True
    """

    horizon: pd.Timedelta = attrs.field(
        default=pd.Timedelta("365D"), converter=_horizon, validator=positive_duration
    )
    window: pd.Timedelta | Literal["auto"] = attrs.field(
        default="auto", converter=_window, validator=_window_ok
    )
    folds: int = attrs.field(default=1, validator=positive_int)
    candidates: tuple[str, ...] = attrs.field(
        default=("cohort", "bgnbd", "blend"), converter=_candidates
    )
    step: pd.Timedelta = attrs.field(
        default=pd.Timedelta("7D"), converter=_step, validator=positive_duration
    )
    period: Literal["D", "W", "M"] = attrs.field(default="M", validator=in_choices({"D", "W", "M"}))
    use_prophet: bool = attrs.field(default=True, validator=Boolean())
    unit: str = attrs.field(default="W", validator=in_choices({"D", "W", "M"}))
    n_jobs: int = attrs.field(default=1, validator=positive_int)

    @validate_params(
        customer=ColumnName(),
        time=ColumnName(),
        value=ColumnName(),
        by=[None, Columns()],
        observation_end=[None, Timestamp()],
    )
    def fit(
        self,
        orders: pd.DataFrame,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        by: str | Sequence[str] | None = None,
        observation_end: object = None,
    ) -> AutoLTVResult:
        """Backtest every candidate inside the calibration data, then fit them all on it.

        Parameters
        ----------
        orders
            One row per order (a pandas frame: forecasts are per customer); never modified.
        customer, time, value, by, observation_end
            As in :meth:`CohortLTV.fit`: orders strictly before ``observation_end`` are
            used (default: just after the last one).
        """
        kw: dict[str, Any] = {"customer": customer, "time": time, "value": value, "by": by}
        with warnings.catch_warnings(
            record=True, action="always", category=ConvergenceWarning
        ) as caught:
            final = self._fit_all(orders, observation_end, kw)
        # a degenerate count or spend fit is said in the provenance (and summary), not
        # raised: the backtest judges the model; every other warning goes on to the caller
        fit_notes = tuple(
            dict.fromkeys(
                f"degenerate fit: {w.message}"
                for w in caught
                if issubclass(w.category, ConvergenceWarning)
            )
        )
        for w in caught:
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn(w.message, w.category, stacklevel=2)
        cohort = final["cohort"]
        assert isinstance(cohort, CohortLTVResult)
        cut = cohort.observation_end
        rows, notes, window = self._backtest(orders, cut, kw)
        errors = pd.DataFrame(rows, columns=["origin", "segment", "model", "actual", "predicted"])
        errors["ape"] = (errors["predicted"] - errors["actual"]).abs() / errors["actual"].where(
            errors["actual"] > 0
        )
        undefined = int(errors["ape"].isna().sum())
        if undefined:
            note = (
                f"backtest APE is undefined (NaN) for {undefined:,} of {len(errors):,} fold "
                "rows: the segment's customers spent nothing in the fold's window (those rows "
                "do not count in the choice)"
            )
            notes = (*notes, note)
            warnings.warn(f"AutoLTV.fit: {note}.", DataQualityWarning, stacklevel=2)
        choice = _choose(errors, self.candidates, _segments(cohort))
        return AutoLTVResult(
            spec=self,
            cohort=cohort,
            probabilistic={k: v for k, v in final.items() if k != "cohort"},  # type: ignore[misc]
            errors=errors,
            winners=choice,
            window=window,
            by=cohort.by,
            provenance=attrs.evolve(
                cohort.provenance, spec=self, notes=(*cohort.provenance.notes, *fit_notes, *notes)
            ),
        )

    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        observation_end: object = None,
        by: str | Sequence[str] | None = None,
    ) -> AutoLTVResult:
        """:class:`~linkstar_funnel.ltv.LTVModel` entry point: :meth:`fit`."""
        return self.fit(
            orders,
            customer=customer,
            time=time,
            value=value,
            by=by,
            observation_end=observation_end,
        )

    def _resolved_window(self, first: pd.Timestamp, cut: pd.Timestamp) -> pd.Timedelta:
        """The fold window for orders from ``first`` to the ``cut`` (``window="auto"``: half
        that span in whole days, at least one, at most ``horizon``)."""
        if self.window != "auto":
            return self.window
        half = pd.Timedelta(days=max(int((cut - first) / pd.Timedelta(days=2)), 1))
        return min(half, self.horizon)

    def _fit_all(
        self, orders: pd.DataFrame, end: object, kw: dict[str, Any]
    ) -> dict[str, CohortLTVResult | ProbabilisticLTVResult]:
        """Cohort curves and each probabilistic model needed, fitted on orders before ``end``."""
        spec = CohortLTV(
            horizon=self.horizon,
            step=self.step,
            period=self.period,
            use_prophet=self.use_prophet,
            n_jobs=self.n_jobs,
        )
        out: dict[str, CohortLTVResult | ProbabilisticLTVResult] = {}
        cohort = spec.fit(orders, observation_end=end, **kw)
        out["cohort"] = cohort
        pkw = {k: v for k, v in kw.items() if k != "by"}
        for name in ("bgnbd", "pareto"):
            if name == "bgnbd" or name in self.candidates:
                model = ProbabilisticLTV(purchases=_PROBABILISTIC[name](), period=self.unit)
                out[name] = model.fit_orders(orders, observation_end=cohort.observation_end, **pkw)
        return out

    def _backtest(
        self, orders: pd.DataFrame, cut: pd.Timestamp, kw: dict[str, Any]
    ) -> tuple[list[tuple[Any, ...]], tuple[str, ...], pd.Timedelta]:
        """Per fold, segment and candidate: the holdout total and its forecast; notes; the
        window."""
        rows: list[tuple[Any, ...]] = []
        notes: list[str] = []
        times = pd.to_datetime(orders[kw["time"]], errors="coerce")
        first = times[times < cut].min()
        window = self._resolved_window(first, cut)
        for i in range(self.folds, 0, -1):
            origin = cut - i * window
            stop = origin + window
            if not origin - window >= first:
                notes.append(
                    f"backtest fold at {origin}: skipped (less than one window of history "
                    "before it)"
                )
                continue
            # the library's warnings about a fold's fits are the fold's notes, not the caller's
            with warnings.catch_warnings(
                record=True, action="always", category=LinkstarWarning
            ) as caught:
                try:
                    fits = self._fit_all(orders, origin, kw)
                except Exception as exc:  # noqa: BLE001 - a fold too early to fit is skipped, said
                    notes.append(f"backtest fold at {origin}: skipped ({type(exc).__name__})")
                    continue
            ours = [w for w in caught if issubclass(w.category, LinkstarWarning)]
            for w in caught:
                if not issubclass(w.category, LinkstarWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            if ours:
                first_text = " ".join(str(ours[0].message).split())
                notes.append(
                    f"backtest fold at {origin}: {len(ours)} warning(s) in its fits (first: "
                    f"{first_text})"
                )
            cohort = fits["cohort"]
            assert isinstance(cohort, CohortLTVResult)
            seg = _segments(cohort)
            inside = ((times >= origin) & (times < stop)).to_numpy()
            actual = (
                pd.to_numeric(orders[kw["value"]], errors="coerce")[inside]
                .groupby(orders[kw["customer"]][inside].to_numpy())
                .sum()
                .reindex(seg.index, fill_value=0.0)
            )
            preds = _candidate_predictions(fits, self.candidates, stop, seg.index)
            for name, pred in preds.items():
                got = pred.groupby(seg.to_numpy()).sum()
                want = actual.groupby(seg.to_numpy()).sum()
                rows += [(origin, s, name, float(want[s]), float(got[s])) for s in got.index]
        return rows, tuple(notes), window


def _segments(cohort: CohortLTVResult) -> pd.Series:
    """Each customer's segment (its ``by`` labels joined by " > "; "all" without ``by``)."""
    names = np.asarray([" > ".join(p) if p else "all" for p in cohort.leaf_paths], dtype=object)
    leaf = cohort.cells.leaf[cohort.customer_cell]
    return pd.Series(names[leaf], index=cohort.customers, name="segment")


def _candidate_predictions(
    fits: dict[str, CohortLTVResult | ProbabilisticLTVResult],
    candidates: Sequence[str],
    until: pd.Timestamp,
    index: pd.Index,
) -> dict[str, pd.Series]:
    """Per-customer forecast of each candidate to ``until`` on the cohort model's customers."""
    base = {
        name: fit.expected_customer_revenue(until).reindex(index).fillna(0.0)
        for name, fit in fits.items()
    }
    out = {c: base[c] for c in candidates if c in base}
    if "blend" in candidates:
        out["blend"] = (base["cohort"] + base["bgnbd"]) / 2.0
    return out


def _choose(errors: pd.DataFrame, candidates: Sequence[str], segments: pd.Series) -> pd.DataFrame:
    """The winner per segment: lowest mean APE over folds (the overall winner where unscored)."""
    mean = errors.pivot_table(index="segment", columns="model", values="ape", aggfunc="mean")
    mean = mean.reindex(columns=list(candidates))
    overall = errors.groupby("model")[["actual", "predicted"]].sum().reindex(list(candidates))
    overall_ape = (overall["predicted"] - overall["actual"]).abs() / overall["actual"]
    fallback = str(overall_ape.idxmin()) if overall_ape.notna().any() else candidates[0]
    rows = []
    for seg in sorted(pd.unique(segments.to_numpy())):
        scores = mean.loc[seg] if seg in mean.index else pd.Series(np.nan, index=list(candidates))
        if scores.notna().any():
            model = str(scores.idxmin())
            reason = f"lowest mean backtest APE ({scores[model]:.1%} over the folds)"
        else:
            model = fallback
            reason = "no backtest holdout value for this segment: the overall winner"
        rows.append(
            {
                "segment": seg,
                "model": model,
                "reason": reason,
                **{f"ape_{c}": float(scores[c]) for c in candidates},
            }
        )
    return pd.DataFrame(rows)


@attrs.frozen(eq=False)
class AutoLTVResult(ResultMixin):
    """The candidates fitted on the calibration data, their backtest errors and the winners."""

    spec: AutoLTV
    cohort: CohortLTVResult = attrs.field(repr=False)
    probabilistic: dict[str, ProbabilisticLTVResult] = attrs.field(repr=False)
    errors: pd.DataFrame = attrs.field(repr=False)
    winners: pd.DataFrame = attrs.field(repr=False)
    window: pd.Timedelta
    by: tuple[str, ...]
    provenance: Provenance = attrs.field(repr=False)

    @property
    def observation_end(self) -> pd.Timestamp:
        """The cut: forecasts start here."""
        return self.cohort.observation_end

    @property
    def choice(self) -> pd.DataFrame:
        """Per segment: the ``by`` labels, the ``model`` chosen, the ``reason`` and each
        candidate's mean backtest APE (``ape_<candidate>``)."""
        out = self.winners.copy()
        parts = out["segment"].str.split(" > ", regex=False)
        for i, name in enumerate(self.by):
            out[name] = parts.str[i]
        rest = [c for c in out.columns if c != "segment" and c not in self.by]
        return out[[*self.by, *rest]]

    def _segments(self) -> pd.Series:
        return _segments(self.cohort)

    def _cells(self) -> npt.NDArray[np.int64]:
        """Each customer's (segment, cohort) group code."""
        cells, cell = self.cohort.cells, self.cohort.customer_cell
        return np.asarray(
            cells.leaf[cell] * len(self.cohort.cohort_labels) + cells.cohort[cell], dtype=np.int64
        )

    def _shares(self) -> pd.Series:
        """Each customer's share of their cohort's total in their segment: BG/NBD at the
        horizon (the cohort model's where BG/NBD gives the whole cohort nothing)."""
        seg = self._segments()
        group = self._cells()
        horizon_end = self.observation_end + self.spec.horizon
        rank = self.probabilistic["bgnbd"].expected_customer_revenue(horizon_end)
        rank = rank.reindex(seg.index).fillna(0.0)
        fallback = self.cohort.expected_customer_revenue(horizon_end)
        total = rank.groupby(group).transform("sum")
        total_fb = fallback.groupby(group).transform("sum")
        share = np.where(total > 0, rank / total.where(total > 0, 1.0), np.nan)
        share_fb = np.where(total_fb > 0, fallback / total_fb.where(total_fb > 0, 1.0), 0.0)
        return pd.Series(np.where(np.isnan(share), share_fb, share), index=seg.index)

    @validate_params(until=Timestamp())
    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected value per customer from ``observation_end`` to ``until``: the winning
        model's total for the customer's cohort in their segment, shared in proportion to
        the BG/NBD forecast at the horizon."""
        end = _align(pd.Timestamp(until), self.observation_end)  # type: ignore[arg-type]
        if end <= self.observation_end:
            err = bad_parameter(
                "AutoLTVResult", "until", f"a time after {self.observation_end}", until
            )
            raise err
        seg = self._segments()
        fits: dict[str, CohortLTVResult | ProbabilisticLTVResult] = {
            "cohort": self.cohort,
            **self.probabilistic,
        }
        preds = _candidate_predictions(fits, self.spec.candidates, end, seg.index)
        winner = self.winners.set_index("segment")["model"]
        labels = seg.to_numpy()
        group = self._cells()
        chosen = winner.reindex(labels).to_numpy()
        total = np.zeros(len(labels))
        for model in set(chosen):
            mask = chosen == model
            sums = preds[str(model)].groupby(group).sum()
            total[mask] = sums.reindex(group[mask]).to_numpy(dtype=np.float64)
        out = self._shares() * total
        return out.rename("expected")

    @validate_params(until=Timestamp(), alpha=Real(0, 1, closed="neither"))
    def expected_revenue(self, until: object, *, alpha: float = 0.05) -> pd.DataFrame:
        """Expected value of each cohort's customers from ``observation_end`` to ``until``.

        One row per segment and cohort, as :meth:`CohortLTVResult.expected_revenue`:
        ``customers``, ``expected`` (the sum of :meth:`expected_customer_revenue`),
        ``lower`` and ``upper`` (the cohort model's interval, scaled to ``expected``).
        """
        base = self.cohort.expected_revenue(until, alpha=alpha)
        per = self.expected_customer_revenue(until)
        cells = self.cohort.cells
        cell = self.cohort.customer_cell
        key = cells.leaf[cell] * len(self.cohort.cohort_labels) + cells.cohort[cell]
        ug = np.unique(cells.leaf * len(self.cohort.cohort_labels) + cells.cohort)
        total = pd.Series(per.to_numpy(), index=key).groupby(level=0).sum().reindex(ug)
        expected = total.fillna(0.0).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(base["expected"] > 0, expected / base["expected"], np.nan)
        out = base.copy()
        out["expected"] = expected
        out["lower"] = np.where(np.isnan(ratio), expected, base["lower"] * ratio)
        out["upper"] = np.where(np.isnan(ratio), expected, base["upper"] * ratio)
        return out

    def predict(self, at: object = None, *, alpha: float = 0.05) -> CohortForecastResult:
        """Cumulative value per acquired customer by age: the cohort curves (see
        :meth:`CohortLTVResult.predict`), whichever model won the totals."""
        return self.cohort.predict(at, alpha=alpha)

    def to_frame(self) -> pd.DataFrame:
        """The backtest: per fold ``origin``, ``segment`` and ``model``: ``actual``,
        ``predicted`` and ``ape``."""
        return self.errors.copy()

    def summary(self) -> Summary:
        """Which model won where, and each candidate's mean backtest APE there."""
        counts = self.winners["model"].value_counts()
        scored = self.errors["origin"].nunique()
        folds = f"{scored} of {self.spec.folds} folds scored, {self.window.days} days each"
        facts = (
            ("observation end", str(self.observation_end)),
            ("backtest", folds),
            ("segments", f"{len(self.winners):,}"),
            ("chosen", ", ".join(f"{m} in {n:,}" for m, n in counts.items())),
        )
        return Summary(
            "Auto LTV",
            facts=facts,
            table=self.choice.round(4),
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Mean backtest APE of each candidate, all segments together."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        mean = self.errors.groupby("model")["ape"].mean().reindex(list(self.spec.candidates))
        ax.bar(mean.index.astype(str), mean.fillna(0.0).to_numpy(), **kwargs)
        ax.set_ylabel("mean backtest APE")
        ax.set_title("AutoLTV candidates")
        return ax


def _align(ts: pd.Timestamp, like: pd.Timestamp) -> pd.Timestamp:
    if like.tz is not None:
        return ts.tz_localize(like.tz) if ts.tz is None else ts.tz_convert(like.tz)
    return ts.tz_localize(None) if ts.tz is not None else ts
