"""What BG/NBD and Pareto/NBD share: reading RFM input, and the fitted-model surface."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ParameterError, SchemaError
from ..results import Provenance, ResultMixin, Summary
from ..schema import Column, RowAccounting, as_frame, validate
from ._mle import MLEFit
from ._rfm import RFMResult
from ._units import SpanLike, TimeUnit, as_span, as_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CountModelResult", "RFMData", "read_rfm"]

FloatArray = npt.NDArray[np.float64]
_TOL = 1e-9


@attrs.frozen(eq=False)
class RFMData:
    """Validated per-customer arrays, their labels and unit."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    monetary_value: FloatArray | None
    index: pd.Index
    unit: TimeUnit
    accounting: RowAccounting


def read_rfm(
    data: object,
    *,
    unit: TimeUnit | str | None,
    owner: str,
    need_time: bool = True,
    need_monetary: bool = False,
    default_unit: TimeUnit | None = None,
) -> RFMData:
    """Read an :class:`RFMResult` or a frame with ``frequency``/``recency``/``T`` columns.

    A plain frame carries no unit: ``unit`` must then be given (or ``default_unit``, the
    unit of an already-fitted model). An :class:`RFMResult` in another unit than ``unit``
    is converted.
    """
    if isinstance(data, RFMResult):
        frame, data_unit = data.frame, data.unit
    else:
        frame = as_frame(data, frame_name=f"{owner} input")
        data_unit = None
    target = as_unit(unit, owner=owner) if unit is not None else (data_unit or default_unit)
    if target is None and need_time:
        msg = (
            f"The 'unit' parameter of {owner} must be given for a plain frame: its recency "
            "and T carry no unit. Got None instead.\nHint: pass unit='W' if they are in "
            "weeks, or build the frame with lf.ltv.rfm_summary(..., period='W')."
        )
        raise ParameterError(msg)
    target = target or TimeUnit("D")
    needed = ["frequency"] + (["recency", "T"] if need_time else [])
    needed += ["monetary_value"] if need_monetary else []
    # the schema layer: missing columns, non-numbers and inf refused, NaN rows counted
    table = validate(
        frame, [Column(name, name, "number") for name in needed], frame_name=f"{owner} input"
    )
    acc = table.accounting
    cols = {name: table.numbers[name] for name in needed}
    index = frame.index if table.rows is None else frame.index[table.rows]
    x = cols["frequency"]
    if np.any(x < 0) or np.any(np.abs(x - np.round(x)) > _TOL):
        msg = f"Column 'frequency' of the {owner} input must hold whole numbers ≥ 0."
        raise SchemaError(msg)
    scale = data_unit.days / target.days if data_unit is not None else 1.0
    rec = cols.get("recency", np.zeros_like(x)) * scale
    age = cols.get("T", np.zeros_like(x)) * scale
    if need_time and (np.any(rec < 0) or np.any(rec > age * (1 + 1e-9) + _TOL)):
        msg = (
            f"The {owner} input must have 0 ≤ recency ≤ T on every row.\n"
            "Hint: recency is the time from the first to the last purchase, T from the first "
            "purchase to the end of the observation period."
        )
        raise SchemaError(msg)
    if need_time and np.any((x == 0) & (rec > _TOL)):
        msg = f"The {owner} input has customers with frequency 0 but recency > 0."
        raise SchemaError(msg)
    money = cols.get("monetary_value")
    return RFMData(
        frequency=np.round(x),
        recency=np.minimum(rec, age),
        T=age,
        monetary_value=money,
        index=index,
        unit=target,
        accounting=acc,
    )


@attrs.frozen(eq=False)
class CountModelResult(ResultMixin, abc.ABC):
    """A fitted purchase-count model (BG/NBD or Pareto/NBD) in a fixed time unit."""

    spec: object
    mle: MLEFit = attrs.field(repr=False)
    unit: TimeUnit
    data: RFMData = attrs.field(repr=False)
    provenance: Provenance = attrs.field(repr=False)

    _title: str = attrs.field(default="", init=False, repr=False)

    # -- model-specific kernels (arrays in the model's unit) -----------------------------
    @abc.abstractmethod
    def _unconditional(self, t: FloatArray) -> FloatArray: ...

    @abc.abstractmethod
    def _conditional(
        self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray: ...

    @abc.abstractmethod
    def _p_alive(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray: ...

    # -- public surface -----------------------------------------------------------------
    @property
    def model(self) -> str:
        """The model fitted (BG/NBD may be its NBD limit: see ``BetaGeoResult.at_boundary``)."""
        return self._title.split(" ")[0]

    @property
    def params(self) -> dict[str, float]:
        """Estimates by name."""
        return self.mle.params

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors by name (from the inverse Hessian; delta method)."""
        return self.mle.standard_errors

    @property
    def log_likelihood(self) -> float:
        """Log-likelihood at the estimates (in this model's time unit)."""
        return self.mle.log_likelihood

    def params_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """Estimates, standard errors and ``1 - alpha`` intervals."""
        return self.mle.params_frame(alpha)

    def _span(self, t: SpanLike, param: str = "t") -> float:
        owner = f"{type(self).__name__}"
        return as_span(t, owner=owner, param=param, model_unit=self.unit).to(self.unit)

    def _arrays(self, data: object) -> RFMData:
        if data is None:
            return self.data
        return read_rfm(data, unit=self.unit, owner=type(self).__name__)

    def expected_purchases(self, t: SpanLike) -> float:
        """Expected purchases of a newly acquired customer within ``t`` (e.g. ``"52W"``)."""
        return float(self._unconditional(np.asarray([self._span(t)]))[0])

    def conditional_expected_purchases(self, t: SpanLike, data: object = None) -> pd.Series:
        """Expected purchases in the next ``t`` given each customer's history.

        Parameters
        ----------
        t
            Horizon with its unit (``"39W"``, ``"365D"``, ``Span(12, "M")``).
        data
            An :class:`RFMResult` (converted to this model's unit) or a frame with
            ``frequency``, ``recency``, ``T`` in this model's unit; default: the fitted data.
        """
        d = self._arrays(data)
        out = self._conditional(self._span(t), d.frequency, d.recency, d.T)
        return pd.Series(out, index=d.index, name="expected_purchases")

    def p_alive(self, data: object = None) -> pd.Series:
        """Probability each customer is still active at the end of their observation."""
        d = self._arrays(data)
        return pd.Series(self._p_alive(d.frequency, d.recency, d.T), index=d.index, name="p_alive")

    def predict(self, t: SpanLike, data: object = None) -> pd.DataFrame:
        """``frequency``, ``recency``, ``T``, ``p_alive``, ``expected_purchases`` per customer."""
        d = self._arrays(data)
        return pd.DataFrame(
            {
                "frequency": d.frequency,
                "recency": d.recency,
                "T": d.T,
                "p_alive": self._p_alive(d.frequency, d.recency, d.T),
                "expected_purchases": self._conditional(self._span(t), d.frequency, d.recency, d.T),
            },
            index=d.index,
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``parameter``, ``estimate``, ``std_error``, ``lower``, ``upper``."""
        return self.params_frame().reset_index()

    def summary(self, alpha: float = 0.05) -> Summary:
        """Parameters with intervals, log-likelihood, customers, unit."""
        table = self.params_frame(alpha).reset_index().round(4)
        facts = (
            ("model", self.model),
            ("customers", f"{self.mle.n_obs:,}"),
            ("time unit", str(self.unit)),
            ("log-likelihood", f"{self.log_likelihood:,.1f}"),
            ("converged", "yes" if self.mle.converged else f"no ({self.mle.message})"),
        )
        return Summary(self._title, facts=facts, table=table, notes=tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The P(alive) matrix: probability alive by frequency and recency (at the largest T)."""
        from ._plot import plot_p_alive_matrix

        return plot_p_alive_matrix(self, ax=ax, **kwargs)
