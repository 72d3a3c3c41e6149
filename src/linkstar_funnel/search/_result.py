"""The result of ``search.keywords``: per-keyword figures, raw forms, opportunities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import Integer, Real, validate_params
from ..errors import ParameterError
from ..results import Provenance, ResultMixin, Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KeywordsSpec", "SearchKeywordsResult"]


@attrs.frozen
class KeywordsSpec:
    """The settings behind a :class:`SearchKeywordsResult` (its provenance spec)."""

    user: str
    time: str
    query: str
    results: str
    position: str | None
    value: str | None
    window: pd.Timedelta
    by: tuple[str, ...]
    synonyms: tuple[tuple[str, str], ...]
    alpha: float
    clicks: bool
    orders: bool


@attrs.frozen(eq=False)
class SearchKeywordsResult(ResultMixin):
    """Per keyword (and segment): searches, users, zero results, clicks, purchases.

    See ``search.keywords``; sorted by searches (most first) within each segment.
    """

    frame: pd.DataFrame = attrs.field(repr=False)
    forms_frame: pd.DataFrame = attrs.field(repr=False)
    baseline_frame: pd.DataFrame = attrs.field(repr=False)
    spec: KeywordsSpec
    provenance: Provenance = attrs.field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per keyword and segment (a copy); see ``search.keywords``."""
        return self.frame.copy(deep=True)

    def forms(self) -> pd.DataFrame:
        """The raw search terms behind each keyword: ``keyword``, ``form``, ``searches``."""
        return self.forms_frame.copy(deep=True)

    def baseline(self) -> pd.DataFrame:
        """Per segment, the searches that found something: ``searches_with_results``,
        their ``ctr`` and ``revenue_per_search`` (the reference of :meth:`opportunities`)."""
        return self.baseline_frame.copy(deep=True)

    @validate_params(
        min_searches=Integer(1), zero_rate=Real(0, 1, closed="right"), top=[None, Integer(1)]
    )
    def opportunities(
        self, min_searches: int = 10, zero_rate: float = 0.5, top: int | None = 20
    ) -> pd.DataFrame:
        """High-volume keywords that find nothing or are rarely clicked, by lost revenue.

        A keyword with at least ``min_searches`` searches is an opportunity when its
        zero-result rate is at least ``zero_rate`` (``reason`` "zero results") or, with
        clicks, when even the upper bound of its CTR interval is below the CTR of the
        segment's searches that found something ("low CTR").

        **Lost revenue** is what the keyword's searches would have earned at the revenue
        per search of the segment's searches that found something, minus what they did
        earn, floored at 0: ``searches * max(baseline revenue per search - keyword revenue
        per search, 0)``. It needs ``orders``.

        Returns
        -------
        pandas.DataFrame
            Segment columns, ``keyword``, ``searches``, ``zero_result_rate``, ``ctr`` and
            ``ctr_high`` (with clicks), ``baseline_ctr``, ``revenue``,
            ``revenue_per_search``, ``baseline_revenue_per_search``, ``lost_revenue``,
            ``reason``; most lost revenue first, at most ``top`` rows.

        Raises
        ------
        ParameterError
            The result was computed without orders (no revenue to lose).
        """
        if not self.spec.orders:
            msg = (
                "SearchKeywordsResult.opportunities ranks keywords by lost revenue, which "
                "needs orders. Got a result computed without them.\nHint: pass "
                "orders= to search.keywords."
            )
            raise ParameterError(msg)
        by = list(self.spec.by)
        f = self.frame[self.frame["searches"] >= min_searches]
        base = self.baseline_frame.rename(
            columns={"ctr": "baseline_ctr", "revenue_per_search": "baseline_revenue_per_search"}
        )
        if by:
            f = f.merge(base, on=by, how="left")
        else:
            f = f.assign(**{c: base[c].iloc[0] for c in base.columns})
        zero = f["zero_result_rate"] >= zero_rate
        low = (
            f["ctr_high"] < f["baseline_ctr"]
            if self.spec.clicks
            else pd.Series(False, index=f.index)
        )
        f = f.assign(reason=np.where(zero, "zero results", "low CTR"))[zero | low]
        rps = f["revenue"] / f["searches"]
        lost = f["searches"] * np.maximum(f["baseline_revenue_per_search"] - rps, 0.0)
        f = f.assign(revenue_per_search=rps, lost_revenue=lost)
        cols = [*by, "keyword", "searches", "zero_result_rate"]
        cols += ["ctr", "ctr_high", "baseline_ctr"] if self.spec.clicks else ["baseline_ctr"]
        cols += [
            "revenue",
            "revenue_per_search",
            "baseline_revenue_per_search",
            "lost_revenue",
            "reason",
        ]
        out = f.sort_values(
            ["lost_revenue", "searches", "keyword"], ascending=[False, False, True], kind="stable"
        )[cols]
        return (out if top is None else out.head(top)).reset_index(drop=True)

    def summary(self) -> Summary:
        """Searches, keywords, zero-result share and CTR overall; the top keywords."""
        f = self.frame
        searches = int(f["searches"].sum())
        zero = float((f["zero_result_rate"] * f["searches"]).sum()) / max(searches, 1)
        facts = [
            ("searches", f"{searches:,}"),
            ("keywords", f"{f['keyword'].nunique():,}"),
            ("zero-result searches", f"{zero:.1%}"),
            ("window", str(self.spec.window)),
        ]
        if self.spec.clicks:
            ctr = float((f["ctr"] * f["searches"]).sum()) / max(searches, 1)
            facts.append(("searches with a click", f"{ctr:.1%}"))
        if self.spec.orders:
            facts.append(("revenue after a search", f"{float(f['revenue'].sum()):,.2f}"))
        shown = [c for c in ("keyword", "searches", "zero_result_rate", "ctr") if c in f.columns]
        return Summary(
            "Search keywords",
            facts=tuple(facts),
            table=f[shown].head(10),
            notes=tuple(self.provenance.lines()),
        )

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """The most searched keywords: searches that found something and searches that
        found nothing, stacked."""
        from ..plotting import get_axes, style_axes

        ax = get_axes(ax)
        top = self.frame.groupby("keyword", sort=False)[["searches"]].sum()
        zero = (
            (self.frame["zero_result_rate"] * self.frame["searches"])
            .groupby(self.frame["keyword"], sort=False)
            .sum()
        )
        top = top.assign(zero=zero).sort_values("searches", ascending=False).head(15).iloc[::-1]
        y = np.arange(len(top))
        found = (top["searches"] - top["zero"]).to_numpy()
        ax.barh(y, found, label="found results", **kwargs)
        ax.barh(y, top["zero"].to_numpy(), left=found, label="zero results", color="#d62728")
        ax.set_yticks(y, top.index.astype(str).tolist())
        ax.set_xlabel("searches")
        ax.legend(loc="lower right")
        return style_axes(ax, title="Top search keywords", grid_axis="x")
