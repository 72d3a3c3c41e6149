"""The :class:`LTVModel` extension point, a BG/NBD + Gamma-Gamma adapter, and a conformance kit.

Any object with ``fit_orders(...)`` returning something with
``expected_customer_revenue(until)`` can be backtested next to the built-ins. Run
:func:`check_ltv_model` on your own class to check it keeps the contract.
"""

from __future__ import annotations

import inspect
import warnings
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import numpy as np
import pandas as pd

from .._conformance import ConformanceKit
from .._deprecation import renamed_params
from .._params import (
    ColumnName,
    Columns,
    InstanceOf,
    Integer,
    Satisfies,
    Timestamp,
    validate_params,
)
from .._times import cut_ns
from ..errors import EmptyFrameError, ParameterError
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, validate
from ._betageo import BetaGeo
from ._count import CountModelResult
from ._gammagamma import GammaGamma, GammaGammaResult
from ._pareto import ParetoNBD
from ._rfm import rfm_summary
from ._units import Span, TimeUnit, as_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "FittedLTV",
    "LTVModel",
    "ProbabilisticLTV",
    "ProbabilisticLTVResult",
    "check_ltv_model",
    "fit_model",
]


@runtime_checkable
class FittedLTV(Protocol):
    """A fitted LTV model: expected value per customer from its cut to ``until``."""

    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected value per customer (index: customer id) from the cut to ``until``."""
        ...


@runtime_checkable
class LTVModel(Protocol):
    """Anything that fits on orders observed until a cut and forecasts customer value."""

    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str,
        time: str,
        value: str,
        observation_end: object,
        by: str | list[str] | None = None,
    ) -> FittedLTV:
        """Fit on the orders strictly before ``observation_end``."""
        ...


def fit_model(model: LTVModel, orders: object, *, observation_end: object, **kw: Any) -> Any:
    """``model.fit_orders(orders, observation_end=..., **kw)``; a model whose ``fit_orders``
    still takes the former name ``observed_until`` gets that, with a DeprecationWarning."""
    try:
        params = inspect.signature(model.fit_orders).parameters
    except (TypeError, ValueError):  # no signature to read: pass the new name
        params = MappingProxyType({})
    if "observed_until" in params and "observation_end" not in params:
        warnings.warn(
            f"{type(model).__name__}.fit_orders takes 'observed_until', the former name of "
            "'observation_end' in the LTVModel protocol; it will be passed "
            "'observation_end' from the next release.",
            DeprecationWarning,
            stacklevel=3,
        )
        return model.fit_orders(orders, observed_until=observation_end, **kw)  # type: ignore[call-arg, arg-type]
    return model.fit_orders(orders, observation_end=observation_end, **kw)  # type: ignore[arg-type]


def _unit(value: object) -> TimeUnit:
    return as_unit(value, owner="ProbabilisticLTV", param="period")


@renamed_params(freq="period")
@attrs.frozen
class ProbabilisticLTV:
    """BG/NBD (or Pareto/NBD) purchases * Gamma-Gamma spend, as an :class:`LTVModel`.

    Parameters
    ----------
    purchases
        The count model spec (``BetaGeo()`` or ``ParetoNBD()``).
    spend
        The spend model spec.
    period
        Time unit of the RFM summary (formerly ``freq``, deprecated).
    """

    purchases: BetaGeo | ParetoNBD = attrs.field(
        factory=BetaGeo,
        validator=InstanceOf(BetaGeo, ParetoNBD, description="a BetaGeo() or ParetoNBD() spec"),
    )
    spend: GammaGamma = attrs.field(
        factory=GammaGamma, validator=InstanceOf(GammaGamma, description="a GammaGamma() spec")
    )
    period: TimeUnit = attrs.field(default=TimeUnit("W"), converter=_unit)

    @renamed_params(observed_until="observation_end")
    @validate_params(
        customer=ColumnName(),
        time=ColumnName(),
        value=ColumnName(),
        observation_end=Timestamp(),
        by=[None, Columns()],
    )
    def fit_orders(
        self,
        orders: pd.DataFrame,
        *,
        customer: str = "customer_id",
        time: str = "timestamp",
        value: str = "revenue",
        observation_end: object = None,
        by: str | list[str] | None = None,  # noqa: ARG002 - one model for all segments
    ) -> ProbabilisticLTVResult:
        """Summarise orders before ``observation_end`` and fit both models.

        ``observation_end=None`` uses every order (the cut falls just after the last one), as
        :meth:`CohortLTV.fit` does.
        """
        table = validate(
            orders,
            [Column("customer", customer, "key"), Column("time", time, "time")],
            frame_name="orders",
        )
        tv = table.times["time"]
        end = None if observation_end is None else pd.Timestamp(observation_end)  # type: ignore[arg-type]
        last = int(tv.ns.max()) if len(tv.ns) else 0
        cut_at = cut_ns(end, tv.tz, last, owner="ProbabilisticLTV.fit_orders")
        cut = pd.Timestamp(cut_at)
        if tv.tz is not None:
            cut = cut.tz_localize("UTC").tz_convert(tv.tz)
        before = tv.ns < cut_at
        if not before.any():
            msg = f"No orders fall before observation_end={observation_end!r}."
            raise EmptyFrameError(msg)
        last_day = (cut - pd.Timedelta(1, "ns")).floor("D")
        # rows without a customer or time stay in: rfm_summary drops and counts them
        keep = np.ones(len(table.frame), dtype=bool)
        keep[slice(None) if table.rows is None else table.rows] = before
        frame = table.frame[keep]
        rfm = rfm_summary(
            frame,
            customer=customer,
            time=time,
            value=value,
            period=self.period,
            observation_end=last_day.tz_localize(None) if last_day.tz is not None else last_day,
        )
        count_fit = self.purchases.fit(rfm)
        spend_fit = self.spend.fit(rfm)
        return ProbabilisticLTVResult(count_fit, spend_fit, pd.Timestamp(rfm.observation_end), cut)


@attrs.frozen(eq=False)
class ProbabilisticLTVResult(ResultMixin):
    """Fitted count and spend models; expected value = purchases * value per purchase.

    ``to_frame()`` holds both models' parameters (a ``model`` column says which);
    ``summary()`` and ``plot()`` show them; the provenance is the count model's (the orders
    and the RFM summary both models were fitted on). (Formerly ``ProbabilisticLTVFit``, a
    deprecated alias.)
    """

    purchases: CountModelResult
    spend: GammaGammaResult
    origin: pd.Timestamp
    observation_end: pd.Timestamp

    @property
    def provenance(self) -> Provenance:
        """Where the fit came from: the orders, the RFM summary's rows and the models."""
        base = self.purchases.provenance
        notes = (*base.notes, f"spend model: {self.spend.summary().title}")
        return attrs.evolve(base, notes=notes)

    def to_frame(self) -> pd.DataFrame:
        """Both models' parameters: ``model``, ``parameter``, ``estimate``, ``std_error``,
        ``lower``, ``upper``."""
        parts = [
            self.purchases.to_frame().assign(model=self.purchases.model),
            self.spend.to_frame().assign(model="Gamma-Gamma"),
        ]
        out = pd.concat(parts, ignore_index=True)
        return out[["model", *[c for c in out.columns if c != "model"]]]

    def summary(self) -> Summary:
        """Both models' parameters, the customers and the cut."""
        table = self.to_frame().round(4)
        facts = (
            ("purchases", self.purchases.model),
            ("spend", "Gamma-Gamma"),
            ("customers", f"{len(self.purchases.data.frequency):,}"),
            ("observation end", str(self.observation_end)),
        )
        return Summary(
            "Probabilistic LTV", facts=facts, table=table, notes=tuple(self.provenance.lines())
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The count model's fit: customers by number of repeat purchases (see its plot)."""
        return self.purchases.plot(ax=ax, **kwargs)

    @property
    def observed_until(self) -> pd.Timestamp:
        """Deprecated name of :attr:`observation_end`."""
        warnings.warn(
            "ProbabilisticLTVResult.observed_until is deprecated and will be removed in the "
            "next release; use ProbabilisticLTVResult.observation_end instead (same meaning).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.observation_end

    @validate_params(until=Timestamp())
    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected purchases from the calibration end to ``until`` times expected spend."""
        end = pd.Timestamp(until)  # type: ignore[arg-type]
        cut = self.observation_end
        if cut.tz is not None:
            end = end.tz_localize(cut.tz) if end.tz is None else end.tz_convert(cut.tz)
        elif end.tz is not None:
            end = end.tz_localize(None)
        if end <= cut:
            msg = (
                "The 'until' parameter of ProbabilisticLTVResult.expected_customer_revenue must "
                f"be a time after the cut ({cut}). Got {until!r} instead."
            )
            raise ParameterError(msg)
        end = end.tz_localize(None) if end.tz is not None else end
        days = (end - self.origin) / pd.Timedelta(days=1) - 1.0
        n = self.purchases.conditional_expected_purchases(Span(max(days, 0.0), "D"))
        spend = self.spend.conditional_expected_value(
            pd.DataFrame(
                {
                    "frequency": self.purchases.data.frequency,
                    "monetary_value": _money(self.spend, n.index),
                },
                index=n.index,
            )
        )
        return (n * spend).rename("expected")


def _money(
    spend: GammaGammaResult, index: pd.Index
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    m = spend.data.monetary_value
    assert m is not None
    out = pd.Series(m, index=spend.data.index).reindex(index).fillna(0.0)
    return np.asarray(out, dtype=np.float64)


@validate_params(
    model=Satisfies(
        lambda m: isinstance(m, LTVModel), "an object with a fit_orders method (an LTVModel)"
    ),
    seed=Integer(0),
)
def check_ltv_model(model: LTVModel, *, seed: int = 0) -> None:
    """Check that an :class:`LTVModel` keeps the contract; list every rule it breaks.

    On a small seeded order table it checks that the fitted object follows
    :class:`FittedLTV`; that predictions are a pandas Series, finite, ≥ 0 and indexed by
    the customers seen before the cut; that they do not decrease as ``until`` moves later;
    and that they do not depend on the order of the rows. Every check runs, whatever the
    others found.

    Raises
    ------
    ConformanceError
        Listing every failed check (it is also an ``AssertionError``).

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> lf.ltv.check_ltv_model(lf.ltv.CohortLTV(horizon="120D", use_prophet=False))
    """
    kit = ConformanceKit(type(model).__name__, "LTVModel")
    orders, cut = _contract_orders(seed)
    kw = {"customer": "customer_id", "time": "timestamp", "value": "revenue"}
    fitted: object = None
    fitted_ok = False
    near = far = None
    with kit.check("fit_orders"):
        fitted = fit_model(model, orders, observation_end=cut, **kw)
        fitted_ok = True
    if fitted_ok and kit.require(
        isinstance(fitted, FittedLTV),
        "fit_orders must return an object with expected_customer_revenue; got "
        f"{type(fitted).__name__}",
    ):
        assert isinstance(fitted, FittedLTV)  # for the type checker
        with kit.check("expected_customer_revenue"):
            near = fitted.expected_customer_revenue(cut + pd.Timedelta("30D"))
            far = fitted.expected_customer_revenue(cut + pd.Timedelta("120D"))
    if near is not None and far is not None:
        _check_predictions(
            kit, near, far, set(orders.loc[orders["timestamp"] < cut, "customer_id"])
        )
        with kit.check("row order"):
            shuffled = orders.sample(frac=1.0, random_state=seed).reset_index(drop=True)
            again = fit_model(model, shuffled, observation_end=cut, **kw)
            moved = again.expected_customer_revenue(cut + pd.Timedelta("30D"))
            if isinstance(near, pd.Series) and isinstance(moved, pd.Series):
                np.testing.assert_allclose(
                    moved.reindex(near.index).to_numpy(dtype=np.float64),
                    near.to_numpy(dtype=np.float64),
                    rtol=1e-6,
                    err_msg="predictions must not depend on the order of the rows",
                )
    kit.finish()


def _contract_orders(seed: int) -> tuple[pd.DataFrame, pd.Timestamp]:
    """A seeded order table (300 customers over a year) and the cut."""
    rng = np.random.default_rng(seed)
    n = 300
    first = rng.integers(0, 90, n)
    rows = []
    for i in range(n):
        k = 1 + rng.poisson(2.0)
        days = np.sort(first[i] + np.r_[0, rng.integers(1, 200, k - 1)])
        rows += [(f"c{i}", d, float(rng.gamma(2.0, 15.0))) for d in days]
    orders = pd.DataFrame(rows, columns=["customer_id", "day", "revenue"])
    orders["timestamp"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(orders.pop("day"), unit="D")
    return orders, pd.Timestamp("2025-04-01")


def _check_predictions(kit: ConformanceKit, near: object, far: object, seen: set[object]) -> None:
    """Each rule on the predictions is one check: all of them run."""
    if not kit.require(
        isinstance(near, pd.Series) and isinstance(far, pd.Series),
        f"expected_customer_revenue must return a pandas Series; got {type(near).__name__}",
    ):
        return
    assert isinstance(near, pd.Series)
    assert isinstance(far, pd.Series)
    values = pd.to_numeric(near, errors="coerce").to_numpy(dtype=np.float64)
    kit.require(
        set(near.index) == seen,
        f"predictions must cover the {len(seen)} customers seen before the cut (got "
        f"{len(set(near.index) & seen)} of them and {len(set(near.index) - seen)} others)",
    )
    kit.require(bool(np.isfinite(values).all()), "predictions must be finite")
    kit.require(bool((values[~np.isnan(values)] >= 0).all()), "predictions must be ≥ 0")
    later = pd.to_numeric(far.reindex(near.index), errors="coerce").to_numpy(dtype=np.float64)
    kit.require(bool((later >= values - 1e-9).all()), "predictions must not decrease with until")
