"""The fitted cohort model and its forecasts (results of :class:`CohortLTV`)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Real, Timestamp, validate_params
from .._validators import bad_parameter, to_timedelta
from ..engines import CellTable
from ..errors import SchemaError
from ..results import Provenance, ResultMixin, Summary
from ._mle import z_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._cohort import CohortLTV

__all__ = ["CohortForecastResult", "CohortLTVResult"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@attrs.frozen(eq=False)
class CohortLTVResult(ResultMixin):
    """Cohort curves fitted up to ``observation_end``; :meth:`predict` forecasts them.

    (Formerly ``CohortLTVResult``, a deprecated alias.)
    """

    spec: CohortLTV
    cells: CellTable = attrs.field(repr=False)
    leaf_curves: FloatArray = attrs.field(repr=False)
    leaf_sd: FloatArray = attrs.field(repr=False)
    cell_level: FloatArray = attrs.field(repr=False)
    cell_level_var: FloatArray = attrs.field(repr=False)
    cut_ns: int
    tz: object
    cohort_labels: pd.DatetimeIndex = attrs.field(repr=False)
    leaf_paths: tuple[tuple[str, ...], ...] = attrs.field(repr=False)
    by: tuple[str, ...]
    customers: pd.Index = attrs.field(repr=False)
    customer_cell: IntArray = attrs.field(repr=False)
    kappa: float
    cv2: float
    provenance: Provenance = attrs.field(repr=False)

    @property
    def observation_end(self) -> pd.Timestamp:
        """End of the data used (exclusive), in the data's zone."""
        ts = pd.Timestamp(self.cut_ns)
        return ts.tz_localize("UTC").tz_convert(self.tz) if self.tz is not None else ts  # type: ignore[arg-type]

    @property
    def observed_until(self) -> pd.Timestamp:
        """Deprecated name of :attr:`observation_end`."""
        _renamed_attribute("CohortLTVResult", "observed_until", "observation_end")
        return self.observation_end

    # ------------------------------------------------------------------ kernels
    def _cum(self) -> tuple[FloatArray, FloatArray]:
        c = self.leaf_curves
        cm = np.concatenate([np.zeros((len(c), 1)), np.cumsum(c, axis=1)], axis=1)
        csd = np.concatenate([np.zeros((len(c), 1)), np.cumsum(c * self.leaf_sd, axis=1)], axis=1)
        return cm, csd

    def _cell_paths(self, ages: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per cell and age count: observed cumulative, forecast part, its shape-sd sum."""
        cells = self.cells
        cm, csd = self._cum()
        k_max = cells.value.shape[1]
        obs_cum = (
            np.concatenate([np.zeros((len(cells.n), 1)), np.cumsum(cells.value, axis=1)], axis=1)
            / cells.n[:, None]
        )
        k_total = cm.shape[1] - 1
        a = np.minimum(ages, k_total)[None, :]
        k = cells.k_obs[:, None]
        seen = np.minimum(a, k)
        observed = np.take_along_axis(obs_cum, np.minimum(seen, k_max), axis=1)
        leaf = cells.leaf[:, None]
        lo = np.minimum(k, a)
        future = (cm[leaf, a] - cm[leaf, lo]) * self.cell_level[:, None]
        shape = (csd[leaf, a] - csd[leaf, lo]) * self.cell_level[:, None]
        return observed, future, shape

    def _groups(self) -> tuple[IntArray, IntArray]:
        g = self.cells.leaf * len(self.cohort_labels) + self.cells.cohort
        ug, inv = np.unique(g, return_inverse=True)
        return ug, inv.ravel()

    def _labels(self, ug: IntArray) -> pd.DataFrame:
        leaf = ug // len(self.cohort_labels)
        coh = ug % len(self.cohort_labels)
        out = pd.DataFrame({"cohort": self.cohort_labels.take(coh)})
        for i, name in enumerate(self.by):
            out[name] = [self.leaf_paths[j][i] for j in leaf]
        return out

    # ------------------------------------------------------------------ public
    def predict(self, at: object = None, *, alpha: float = 0.05) -> CohortForecastResult:
        """Cumulative value per acquired customer at the given ages, with intervals.

        Parameters
        ----------
        at
            An age (``"365D"``), a list of ages, or ``None`` for every step up to the
            horizon. Ages are rounded to whole steps.
        alpha
            The intervals cover ``1 - alpha``.
        """
        z = z_value(alpha, owner="CohortLTVResult.predict")
        step = self.spec.step
        if at is None:
            steps = np.arange(1, int(np.ceil(self.spec.horizon / step)) + 1)
        else:
            items = at if isinstance(at, Sequence) and not isinstance(at, str) else [at]
            if not items:
                err = bad_parameter("CohortLTVResult.predict", "at", "an age or a list of ages", at)
                raise err
            ages = [to_timedelta(a, param="at", owner="CohortLTVResult.predict") for a in items]
            if any(a <= pd.Timedelta(0) for a in ages):
                err = bad_parameter("CohortLTVResult.predict", "at", "positive ages", at)
                raise err
            steps = np.asarray([max(1, round(a / step)) for a in ages], dtype=np.int64)
        steps = np.asarray(steps, dtype=np.int64)
        observed, future, shape = self._cell_paths(steps)
        ug, inv = self._groups()
        n = self.cells.n.astype(np.float64)
        ng = np.bincount(inv, weights=n)

        def gsum(x: FloatArray) -> FloatArray:
            return (
                np.stack(
                    [
                        np.bincount(inv, weights=x[:, j] * n, minlength=len(ug))
                        for j in range(x.shape[1])
                    ],
                    axis=1,
                )
                / ng[:, None]
            )

        obs_g, fut_g, shape_g = gsum(observed), gsum(future), gsum(shape)
        level_var = np.bincount(inv, weights=self.cell_level_var, minlength=len(ug)) / np.bincount(
            inv, minlength=len(ug)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            shape_sd = np.where(fut_g > 0, shape_g / fut_g, 0.0)
        sigma = np.sqrt(shape_sd**2 + level_var[:, None])
        point = obs_g + fut_g
        lower = obs_g + fut_g * np.exp(-z * sigma)
        upper = obs_g + fut_g * np.exp(z * sigma)
        order = np.argsort(steps, kind="stable")
        for arr in (point, lower, upper):  # cumulative quantities: keep them monotone in age
            arr[:, order] = np.maximum.accumulate(arr[:, order], axis=1)
        min_k = np.full(len(ug), np.iinfo(np.int64).max)
        np.minimum.at(min_k, inv, self.cells.k_obs)
        labels = self._labels(ug)
        n_ages = len(steps)
        frame = labels.loc[labels.index.repeat(n_ages)].reset_index(drop=True)
        frame["age"] = pd.to_timedelta(np.tile(steps, len(ug)) * step.value, unit="ns")
        frame["customers"] = np.repeat(ng.astype(np.int64), n_ages)
        frame["value"] = point.ravel()
        frame["lower"] = lower.ravel()
        frame["upper"] = upper.ravel()
        frame["observed"] = np.tile(steps, len(ug)) <= np.repeat(min_k, n_ages)
        return CohortForecastResult(frame, self.by, alpha, self.observation_end, self.provenance)

    @validate_params(until=Timestamp(), alpha=Real(0, 1, closed="neither"))
    def expected_revenue(self, until: object, *, alpha: float = 0.05) -> pd.DataFrame:
        """Expected value of each cohort's customers from ``observation_end`` to ``until``.

        Returns one row per segment and cohort: ``customers``, ``expected``, ``lower``,
        ``upper`` (cohort totals, not per customer).
        """
        z = z_value(alpha, owner="CohortLTVResult.expected_revenue")
        per_cell, shape = self._window(until)
        ug, inv = self._groups()
        n = self.cells.n.astype(np.float64)
        total = np.bincount(inv, weights=per_cell * n, minlength=len(ug))
        sd_num = np.bincount(inv, weights=shape * n, minlength=len(ug))
        level_var = np.bincount(inv, weights=self.cell_level_var, minlength=len(ug)) / np.bincount(
            inv, minlength=len(ug)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            shape_sd = np.where(total > 0, sd_num / total, 0.0)
        sigma = np.sqrt(shape_sd**2 + level_var)
        out = self._labels(ug)
        out["customers"] = np.bincount(inv, weights=n, minlength=len(ug)).astype(np.int64)
        out["expected"] = total
        out["lower"] = total * np.exp(-z * sigma)
        out["upper"] = total * np.exp(z * sigma)
        return out

    @validate_params(until=Timestamp())
    def expected_customer_revenue(self, until: object) -> pd.Series:
        """Expected value per customer from ``observation_end`` to ``until``.

        Raises
        ------
        SchemaError
            The model was fitted on an engine table, which returns no per-customer values.
        """
        if len(self.customers) == 0 and int(self.cells.n.sum()) > 0:
            msg = (
                "expected_customer_revenue needs per-customer values; this CohortLTV was "
                "fitted on an engine table, which returns only per-cohort series.\nHint: "
                "use predict() or expected_revenue() for cohort values, or fit on a pandas "
                "frame of the orders for per-customer values."
            )
            raise SchemaError(msg)
        per_cell, _ = self._window(until)
        return pd.Series(per_cell[self.customer_cell], index=self.customers, name="expected")

    def _window(self, until: object) -> tuple[FloatArray, FloatArray]:
        end = pd.Timestamp(until)  # type: ignore[arg-type]
        start = self.observation_end
        if end.tz is None and start.tz is not None:
            end = end.tz_localize(start.tz)
        elif end.tz is not None and start.tz is None:
            end = end.tz_localize(None)
        if end <= start:
            err = bad_parameter("CohortLTVResult", "until", f"a time after {start}", until)
            raise err
        w = (end - start) / self.spec.step
        whole, frac = int(np.floor(w)), float(w - np.floor(w))
        cm, csd = self._cum()
        k_total = cm.shape[1] - 1
        k = self.cells.k_obs
        leaf = self.cells.leaf
        a = np.minimum(k + whole, k_total)
        b = np.minimum(k + whole + 1, k_total)
        mean = cm[leaf, a] - cm[leaf, k] + frac * (cm[leaf, b] - cm[leaf, a])
        shape = csd[leaf, a] - csd[leaf, k] + frac * (csd[leaf, b] - csd[leaf, a])
        return mean * self.cell_level, shape * self.cell_level

    def to_frame(self) -> pd.DataFrame:
        """The forecast curves at every step to the horizon (see :meth:`predict`)."""
        return self.predict().to_frame()

    def summary(self) -> Summary:
        """Customers, cohorts, segments and the model settings."""
        facts = (
            ("customers", f"{len(self.customers):,}"),
            ("cohorts", f"{len(self.cohort_labels):,}"),
            (
                "segments",
                f"{len(self.leaf_paths):,}" + (f" ({' > '.join(self.by)})" if self.by else ""),
            ),
            ("horizon", f"{self.spec.horizon.days} days"),
            ("observation end", str(self.observation_end)),
        )
        return Summary("Cohort LTV model", facts=facts, notes=tuple(self.provenance.lines()))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Cohort curves with forecast bands (see :meth:`CohortForecastResult.plot`)."""
        return self.predict().plot(ax=ax, **kwargs)


@attrs.frozen(eq=False)
class CohortForecastResult(ResultMixin):
    """Cumulative value per acquired customer by cohort, segment and age, with intervals.

    (Formerly ``CohortForecastResult``, a deprecated alias.)
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    by: tuple[str, ...]
    alpha: float
    observation_end: pd.Timestamp
    provenance: Provenance = attrs.field(repr=False)

    @property
    def observed_until(self) -> pd.Timestamp:
        """Deprecated name of :attr:`observation_end`."""
        _renamed_attribute("CohortForecastResult", "observed_until", "observation_end")
        return self.observation_end

    def to_frame(self) -> pd.DataFrame:
        """``cohort``, segment columns, ``age``, ``customers``, ``value``, ``lower``,
        ``upper``, ``observed`` (whether every customer of the cohort was observed that long)."""
        return self.frame.copy()

    def ltv(self) -> pd.DataFrame:
        """Customer-weighted value per acquired customer by segment at each age."""
        f = self.frame
        keys = [*self.by, "age"]
        w = f["customers"].to_numpy(dtype=np.float64)
        parts = (
            f.assign(_v=f["value"] * w, _l=f["lower"] * w, _u=f["upper"] * w, _w=w)
            .groupby(keys, sort=True, observed=True)[["_v", "_l", "_u", "_w"]]
            .sum()
        )
        out = pd.DataFrame(
            {
                "customers": parts["_w"].astype(np.int64),
                "value": parts["_v"] / parts["_w"],
                "lower": parts["_l"] / parts["_w"],
                "upper": parts["_u"] / parts["_w"],
            }
        )
        return out.reset_index()

    def summary(self) -> Summary:
        """Value per customer at the last age, by segment."""
        last = self.frame["age"].max()
        table = self.ltv()
        table = table[table["age"] == last].drop(columns="age").round(2)
        facts = (
            ("age", f"{last.days} days"),
            ("interval", f"{1 - self.alpha:.0%}"),
            ("observation end", str(self.observation_end)),
        )
        return Summary(
            "Cohort LTV forecast", facts=facts, table=table, notes=tuple(self.provenance.lines())
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Cumulative value per customer by age: observed solid, forecast dashed, bands."""
        from ._plot import plot_cohort_curves

        return plot_cohort_curves(self, ax=ax, **kwargs)


def _renamed_attribute(owner: str, old: str, new: str) -> None:
    warnings.warn(
        f"{owner}.{old} is deprecated and will be removed in the next release; use "
        f"{owner}.{new} instead (same meaning).",
        DeprecationWarning,
        stacklevel=3,
    )
