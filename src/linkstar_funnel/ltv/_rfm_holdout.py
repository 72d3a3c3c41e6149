"""Calibration / holdout split of orders: an RFM summary before a date, purchases after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_params
from .._params import Timestamp, validate_params
from .._validators import bad_parameter
from ..errors import EmptyFrameError
from ..results import Provenance, ResultMixin, Summary
from ._rfm import RFMResult, per_customer
from ._rfm_rules import (
    DAY_NS,
    RFM_PARAMS,
    RFMRules,
    bucket_days,
    elapsed,
    end_day_number,
    read_orders,
)
from ._units import TimeUnit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CalibrationHoldoutResult", "calibration_holdout"]


@attrs.frozen(eq=False)
class CalibrationHoldoutResult(ResultMixin):
    """An RFM summary of a calibration period plus what each customer did afterwards.

    ``holdout`` is indexed like ``calibration``: ``frequency_holdout`` (transactions in the
    holdout period), ``value_holdout`` (their total value) and ``duration_holdout`` (the
    holdout length in the calibration's unit).
    """

    calibration: RFMResult
    holdout: pd.DataFrame = attrs.field(repr=False)
    calibration_end: pd.Timestamp
    observation_end: pd.Timestamp

    @property
    def provenance(self) -> Provenance:
        """The calibration summary's provenance."""
        return self.calibration.provenance

    def to_frame(self) -> pd.DataFrame:
        """Calibration columns joined with the holdout columns."""
        return self.calibration.frame.join(self.holdout).copy(deep=True)

    def summary(self) -> Summary:
        """Both periods in numbers."""
        h = self.holdout
        facts = (
            ("customers", f"{len(h):,}"),
            ("calibration end", str(self.calibration_end.date())),
            ("holdout end", str(self.observation_end.date())),
            ("holdout transactions", f"{int(h['frequency_holdout'].sum()):,}"),
            ("holdout value", f"{h['value_holdout'].sum():,.0f}"),
        )
        return Summary("Calibration / holdout split", facts=facts)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Mean holdout transactions by calibration repeat purchases."""
        from ._plot import plot_holdout_by_frequency

        return plot_holdout_by_frequency(self.to_frame(), ax=ax, **kwargs)


@renamed_params(freq="period")
@validate_params(calibration_end=Timestamp(), **RFM_PARAMS)
def calibration_holdout(
    orders: object,
    *,
    calibration_end: object,
    observation_end: object = None,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    period: str | TimeUnit = "W",
    status: str | None = None,
    refunds: Literal["net", "drop"] = "net",
    zero_value: Literal["drop", "keep"] = "drop",
    granularity: Literal["D", "W", "M"] = "D",
    tz: str | None = None,
) -> CalibrationHoldoutResult:
    """Split orders at ``calibration_end``: an RFM summary before, purchases after.

    Customers whose first purchase falls after ``calibration_end`` are not in the result
    (they are counted in the provenance notes). Parameters as :func:`rfm_summary`.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel as lf
    >>> orders = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-02-12",
    ...                                  "2026-01-05", "2026-02-01"]),
    ...     "revenue": [10.0, 12.0, 8.0, 30.0, 5.0],
    ... })
    >>> split = lf.ltv.calibration_holdout(orders, calibration_end="2026-01-31",
    ...                                    observation_end="2026-02-28")
    >>> split.holdout
              frequency_holdout  value_holdout  duration_holdout
    customer
    1                         1            8.0               4.0
    2                         0            0.0               4.0
    """
    rules = RFMRules(
        period=period, refunds=refunds, zero_value=zero_value, granularity=granularity, tz=tz
    )
    tx = read_orders(
        orders,
        customer=customer,
        time=time,
        value=value,
        status=status,
        observation_end=observation_end,
        rules=rules,
        owner="calibration_holdout",
    )
    # With weekly or monthly buckets the calibration end's bucket is calibration (lifetimes)
    cal_day = int(
        bucket_days(
            np.array(
                [
                    end_day_number(
                        calibration_end, rules, "calibration_holdout", param="calibration_end"
                    )
                ]
            ),
            rules.granularity,
        )[0]
    )
    if cal_day >= tx.end_day:
        err = bad_parameter(
            "calibration_holdout",
            "calibration_end",
            f"a date before the observation end ({pd.Timestamp(tx.end_day * DAY_NS).date()})",
            calibration_end,
        )
        raise err
    in_cal = tx.day <= cal_day
    if not in_cal.any():
        msg = f"No purchases fall on or before calibration_end={calibration_end!r}."
        raise EmptyFrameError(msg)
    cal_tx = attrs.evolve(
        tx, customer=tx.customer[in_cal], day=tx.day[in_cal], value=tx.value[in_cal]
    )
    cal = per_customer(cal_tx, rules.period, cal_day)
    known = np.zeros(len(tx.labels), dtype=bool)
    known[cal_tx.customer] = True
    later = ~in_cal & known[tx.customer]
    n = len(tx.labels)
    hold_n = np.bincount(tx.customer[later], minlength=n)
    hold_v = np.bincount(tx.customer[later], weights=tx.value[later], minlength=n)
    codes = np.unique(cal_tx.customer)  # same order as per_customer's index
    holdout = pd.DataFrame(
        {
            "frequency_holdout": hold_n[codes].astype(np.int64),
            "value_holdout": hold_v[codes],
            "duration_holdout": np.full(
                len(codes),
                float(elapsed(tx.end_day, np.array(cal_day), rules.period, rules.granularity)),
            ),
        },
        index=cal.index,
    )
    new_later = int(np.unique(tx.customer[~in_cal & ~known[tx.customer]]).size)
    notes = (f"{new_later:,} customers first bought after the calibration end (left out)",)
    cal_end = pd.Timestamp(cal_day * DAY_NS)
    summary = RFMResult(
        cal, rules.period, cal_end, Provenance(rules, {"orders": tx.accounting}, notes)
    )
    return CalibrationHoldoutResult(summary, holdout, cal_end, pd.Timestamp(tx.end_day * DAY_NS))
