"""RFM segments: R, F and M quintile scores, a named segment per customer, P(alive), and
audiences (the customer ids of a segment) to hand to an ad platform.

Orders are cleaned into transactions by the rules of :mod:`._rfm_rules` (missing values,
excluded statuses, late rows, refunds, one transaction per customer and day). Per customer:
``recency`` = days from the last purchase day to ``observation_end``, ``frequency`` = purchase
days, ``monetary`` = their total value.

**Scores** 1..5 are quintiles of each customer's mid-rank: score = 1 + floor(5 (rank - 1/2)
/ n), ranks ascending in value (frequency, monetary) or in recentness (recency: the most
recent customers score 5). Tied customers share their mid-rank, hence their score: the
result depends neither on row order nor on customer ids.

**Segments** come from the table of the R package ``rfm`` (Hebbali, vignette "RFM Analysis":
score ranges per segment, e.g. champions R 4-5, F 4-5, M 4-5). Its rows overlap, so they are
applied most specific first, the first matching rule winning (:data:`STANDARD_SEGMENTS`);
"lost" is its description, the lowest score on all three (its table row, R, F and M ≤ 2,
would leave "hibernating" empty). Customers no rule matches are ``"other"``. Pass
``segments=`` to replace the map.

**P(alive)** comes from a BG/NBD fit (:class:`~linkstar_funnel.ltv.BetaGeo`) on the same
transactions in weeks. Where the fit does not converge, or lands on its NBD limit (nobody
drops out, so P(alive) is 1 for everyone and says nothing), the column is NaN and a
:class:`~linkstar_funnel.errors.ConvergenceWarning` says why.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Boolean, InstanceOf, Satisfies, validate_params
from .._validators import bad_parameter
from ..errors import ConvergenceError, ConvergenceWarning
from ..results import Provenance, ResultMixin, Summary
from ._rfm import per_customer
from ._rfm_rules import DAY_NS, RFM_PARAMS, RFMRules, Transactions, read_orders
from ._units import TimeUnit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STANDARD_SEGMENTS", "RFMSegmentsResult", "rfm_scores", "rfm_segments"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Range = tuple[int, int]
SegmentMap = Mapping[str, tuple[Range, Range, Range]]

#: The standard map: segment -> (R, F, M) score ranges, tried in this order.
STANDARD_SEGMENTS: dict[str, tuple[Range, Range, Range]] = {
    "champions": ((4, 5), (4, 5), (4, 5)),
    "cannot_lose": ((1, 1), (4, 5), (4, 5)),
    "at_risk": ((1, 2), (2, 5), (2, 5)),
    "loyal": ((2, 5), (3, 5), (3, 5)),
    "new": ((4, 5), (1, 1), (1, 1)),
    "promising": ((3, 4), (1, 1), (1, 1)),
    "potential_loyalist": ((3, 5), (1, 3), (1, 3)),
    "need_attention": ((2, 3), (2, 3), (2, 3)),
    "about_to_sleep": ((2, 3), (1, 2), (1, 2)),
    "lost": ((1, 1), (1, 1), (1, 1)),
    "hibernating": ((1, 2), (1, 2), (1, 2)),
}
#: The segment of customers no rule matches.
OTHER = "other"


def _is_range(r: object) -> bool:
    return (
        isinstance(r, tuple | list)
        and len(r) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in r)
        and 1 <= r[0] <= r[1] <= 5
    )


_SEGMENTS = Satisfies(
    lambda m: (
        isinstance(m, Mapping)
        and len(m) > 0
        and all(isinstance(k, str) and k and k != OTHER for k in m)
        and all(
            isinstance(v, tuple | list) and len(v) == 3 and all(_is_range(r) for r in v)
            for v in m.values()
        )
    ),
    "a mapping of segment name -> (R, F, M) score ranges such as {'champions': ((4, 5), "
    "(4, 5), (4, 5))}, scores within 1..5",
)


def rfm_scores(values: npt.ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Quintile scores 1..5 by mid-rank (ties share a score).

    Examples
    --------
    >>> rfm_scores([10, 20, 20, 30, 40]).tolist()
    [1, 3, 3, 4, 5]
    >>> rfm_scores([3, 1, 2], higher_is_better=False).tolist()
    [1, 5, 3]
    """
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = pd.Series(x if higher_is_better else -x).rank(method="average").to_numpy()
    scores = np.minimum(1 + np.floor(5.0 * (ranks - 0.5) / n), 5)
    return np.asarray(scores, dtype=np.int64)


def assign_segments(r: IntArray, f: IntArray, m: IntArray, rules: SegmentMap) -> npt.NDArray[Any]:
    """The first rule each customer's scores satisfy (``"other"`` when none)."""
    out = np.full(len(r), OTHER, dtype=object)
    open_ = np.ones(len(r), dtype=bool)
    for name, ((r0, r1), (f0, f1), (m0, m1)) in rules.items():
        hit = open_ & (r >= r0) & (r <= r1) & (f >= f0) & (f <= f1) & (m >= m0) & (m <= m1)
        out[hit] = name
        open_ &= ~hit
    return out


@attrs.frozen(eq=False)
class RFMSegmentsResult(ResultMixin):
    """Per customer: recency (days), frequency, monetary, R/F/M scores, segment, P(alive).

    :meth:`audience` gives a segment's customer ids.
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    segment_map: Mapping[str, tuple[Range, Range, Range]] = attrs.field(repr=False)
    observation_end: pd.Timestamp
    p_alive_model: str
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per customer: ``customer``, ``recency`` (days since the last purchase),
        ``frequency`` (purchase days), ``monetary`` (total value), ``r_score``,
        ``f_score``, ``m_score``, ``rfm`` (e.g. ``"545"``), ``segment``, and ``p_alive``
        unless it was not asked for."""
        return self.frame.copy()

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def segments(self) -> list[str]:
        """The segment names of the map, in order, then ``"other"``."""
        return [*self.segment_map, OTHER]

    def audience(self, segment: str) -> pd.Index:
        """The customer ids in ``segment`` (e.g. ``"at_risk"``), in the input's id type.

        Raises
        ------
        ParameterError
            ``segment`` is not a segment of the map.
        """
        if not isinstance(segment, str) or segment not in self.segments:
            owner = "RFMSegmentsResult.audience"
            raise bad_parameter(owner, "segment", f"one of {self.segments}", segment)
        ids = self.frame.loc[self.frame["segment"].to_numpy() == segment, "customer"]
        out: pd.Index = pd.Index(ids.to_numpy(), name="customer")
        return out

    def segment_table(self) -> pd.DataFrame:
        """Per segment (map order): customers, their share, total monetary value and its
        share, mean recency and frequency, mean P(alive) (when computed)."""
        f = self.frame
        g = f.groupby("segment", sort=False)
        columns = {
            "customers": g.size(),
            "monetary": g["monetary"].sum(),
            "mean_recency": g["recency"].mean(),
            "mean_frequency": g["frequency"].mean(),
        }
        if "p_alive" in f.columns:
            columns["mean_p_alive"] = g["p_alive"].mean()
        table = pd.DataFrame(columns).reindex(self.segments)
        table = table.dropna(subset=["customers"])
        table["customers"] = table["customers"].astype(np.int64)
        table.insert(1, "customer_share", table["customers"] / len(f))
        total = float(f["monetary"].sum())
        table.insert(3, "monetary_share", table["monetary"] / total if total else np.nan)
        return table.rename_axis("segment").reset_index()

    def summary(self) -> Summary:
        """Customers, the P(alive) model, and the segment table."""
        t = self.segment_table()
        shown = pd.DataFrame(
            {
                "segment": t["segment"],
                "customers": t["customers"],
                "share": [f"{v:.1%}" for v in t["customer_share"]],
                "value share": [f"{v:.1%}" for v in t["monetary_share"]],
                "P(alive)": [
                    f"{v:.2f}" if np.isfinite(v) else "n/a"
                    for v in t.get("mean_p_alive", pd.Series(np.nan, index=t.index))
                ],
            }
        )
        facts = (
            ("customers", f"{len(self.frame):,}"),
            ("observation end", str(self.observation_end.date())),
            ("P(alive)", self.p_alive_model),
        )
        return Summary(
            "RFM segments", facts=facts, table=shown, notes=tuple(self.provenance.lines())
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Horizontal bars: customers per segment, labelled with their share of the value."""
        from ..plotting import PALETTE, get_axes, style_axes

        t = self.segment_table().iloc[::-1]
        ax = get_axes(ax, figsize=(8.0, 0.35 * len(t) + 1.5))
        y = np.arange(len(t))
        ax.barh(y, t["customers"].to_numpy(), color=kwargs.pop("color", PALETTE[0]), **kwargs)
        top = float(t["customers"].max())
        for i, (n, share) in enumerate(zip(t["customers"], t["monetary_share"], strict=True)):
            pct = f"{share:.0%}" if share >= 0.01 else f"{share:.1%}"
            ax.text(n + top * 0.01, i, f"{n:,}  ({pct} of value)", va="center", fontsize=8)
        ax.set_yticks(y, [s.replace("_", " ") for s in t["segment"]])
        ax.set_xlim(0, top * 1.3)
        ax.set_xlabel("customers")
        return style_axes(ax, title="RFM segments: customers (share of value)", grid_axis="x")


@validate_params(
    segments=[None, _SEGMENTS],
    p_alive=Boolean(),
    **{k: v for k, v in RFM_PARAMS.items() if k not in ("period", "zero_value", "granularity")},
    exclude_status=[InstanceOf(str), InstanceOf(list, tuple)],
)
def rfm_segments(
    orders: object,
    *,
    customer: str = "customer_id",
    time: str = "timestamp",
    value: str = "revenue",
    observation_end: object = None,
    status: str | None = None,
    refunds: Literal["net", "drop"] = "net",
    tz: str | None = None,
    exclude_status: tuple[str, ...] = ("refunded", "cancelled", "canceled", "returned"),
    segments: SegmentMap | None = None,
    p_alive: bool = True,
) -> RFMSegmentsResult:
    """Score customers on recency, frequency and monetary value and name their segment.

    Parameters
    ----------
    orders
        One row per order (or order line); never modified.
    customer, time, value
        Column names. Rows with a missing customer id, time or value are dropped and
        counted in ``provenance``.
    observation_end
        End of observation (a date: orders on that day count); default: the day of the
        last order. Recency is measured to it.
    status, exclude_status
        Optional status column, and the statuses that are not purchases.
    refunds
        ``"net"``: a refund reduces the customer's latest purchase day at or before it;
        ``"drop"``: refunds are ignored.
    tz
        Zone in which days are read (default: the data's own).
    segments
        A replacement map: segment name -> ((R low, R high), (F low, F high), (M low,
        M high)), tried in order, the first match winning. Default
        :data:`STANDARD_SEGMENTS`.
    p_alive
        Fit BG/NBD for each customer's probability of still being active.

    Returns
    -------
    RFMSegmentsResult

    Examples
    --------
    >>> import linkstar_funnel as lf
    >>> orders = lf.datasets.online_retail_orders()
    >>> first = orders[orders["customer_id"].isin(orders["customer_id"].unique()[:150])]
    >>> seg = lf.ltv.rfm_segments(first, observation_end="2011-12-09")
    >>> seg.to_frame().columns.tolist()
    ['customer', 'recency', 'frequency', 'monetary', 'r_score', 'f_score', 'm_score', 'rfm', 'segment', 'p_alive']
    >>> seg.audience("at_risk")[:3].tolist()
    [17850, 13748, 15100]
    """
    rules = RFMRules(period="W", refunds=refunds, tz=tz, exclude_status=exclude_status)
    tx = read_orders(
        orders,
        customer=customer,
        time=time,
        value=value,
        status=status,
        observation_end=observation_end,
        rules=rules,
        owner="rfm_segments",
    )
    seg_map = dict(STANDARD_SEGMENTS if segments is None else segments)
    frame = _per_customer(tx)
    r = rfm_scores(frame["recency"].to_numpy(), higher_is_better=False)
    f = rfm_scores(frame["frequency"].to_numpy())
    m = rfm_scores(frame["monetary"].to_numpy())
    frame["r_score"], frame["f_score"], frame["m_score"] = r, f, m
    frame["rfm"] = [f"{a}{b}{c}" for a, b, c in zip(r, f, m, strict=True)]
    frame["segment"] = assign_segments(r, f, m, seg_map)
    model = "not fitted (p_alive=False)"
    if p_alive:
        frame["p_alive"], model = _p_alive(tx)
    end = pd.Timestamp(tx.end_day * DAY_NS)
    prov = Provenance(rules, {"orders": tx.accounting}, (f"P(alive): {model}",))
    return RFMSegmentsResult(frame, seg_map, end, model, prov)


def _per_customer(tx: Transactions) -> pd.DataFrame:
    order = np.lexsort((tx.day, tx.customer))
    c, d, v = tx.customer[order], tx.day[order], tx.value[order]
    first = np.r_[True, c[1:] != c[:-1]]
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(c)]
    return pd.DataFrame(
        {
            "customer": tx.labels.take(c[starts]).to_numpy(),
            "recency": (tx.end_day - d[ends - 1]).astype(np.int64),
            "frequency": (ends - starts).astype(np.int64),
            "monetary": np.add.reduceat(v, starts),
        }
    )


def _p_alive(tx: Transactions) -> tuple[FloatArray, str]:
    """P(alive) per customer (in ``_per_customer`` order) and what the model was."""
    from ._betageo import BetaGeo

    rfm = per_customer(tx, TimeUnit("W"), tx.end_day)
    nan = np.full(len(rfm), np.nan)
    why = ""
    with warnings.catch_warnings(record=True, action="always") as caught:
        try:
            fit = BetaGeo().fit(rfm, unit="W")
        except ConvergenceError as exc:
            fit, why = None, f"the BG/NBD fit failed ({exc})"
    if fit is not None and fit.at_boundary:
        why = "the BG/NBD fit is its NBD limit (nobody drops out): P(alive) would be 1"
    elif fit is not None and not fit.mle.converged:
        why = f"the BG/NBD fit did not converge ({fit.mle.message})"
    if fit is None or why:
        warnings.warn(
            f"rfm_segments: P(alive) is NaN for every customer: {why}."
            + (f" The fit said: {caught[0].message}" if caught else ""),
            ConvergenceWarning,
            stacklevel=3,
        )
        return nan, f"not available: {why}"
    return fit.p_alive(rfm).to_numpy(dtype=np.float64), "BG/NBD (weeks), converged"
