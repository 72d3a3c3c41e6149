"""The :class:`ExperimentResult`: variants against a control, in a table, words and a plot."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from ..results import Provenance, ResultMixin, Summary
from ._spec import ExperimentSpec

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ExperimentResult"]

#: Below this SRM p-value the split is treated as broken (GrowthBook's threshold).
SRM_THRESHOLD = 0.001
_UP, _DOWN, _FLAT = "#009E73", "#D55E00", "#7f7f7f"


def _chance(p: float) -> str:
    """A probability as people read it: never a rounded 100% or 0%."""
    if p > 0.999:
        return ">99.9%"
    if p < 0.001:
        return "<0.1%"
    return f"{p:.1%}" if p > 0.99 or p < 0.01 else f"{p:.0%}"


@attrs.frozen(eq=False)
class ExperimentResult(ResultMixin):
    """Each variant against the control: lift, interval, test, significance, SRM check.

    Built by :func:`compare_rates`, :func:`compare_means`, :func:`compare_funnel` and
    ``FunnelResult.experiment``.

    Attributes
    ----------
    table
        See :meth:`to_frame`.
    spec
        The :class:`ExperimentSpec` (method, alpha, control...).
    kind
        ``"rates"``, ``"means"``, ``"ratio"``, ``"cuped"`` or ``"funnel"``.
    provenance
        Rows used and dropped, and notes.
    """

    table: pd.DataFrame
    spec: ExperimentSpec
    kind: str
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """One row per variant (per step and variant for a funnel), control first.

        Columns: [``stage``, ``step``], ``variant``, ``users``, then ``conversions``,
        ``rate`` (rates and funnels) or ``total``, [``denominator_total``], ``mean``;
        ``lift`` (relative: ``(treatment - control) / control``, or the difference with
        ``absolute=True``), ``ci_low``, ``ci_high``; frequentist and sequential:
        ``p_value``, ``p_value_adjusted`` (Holm or BH across the table); Bayesian:
        ``chance_to_win``, ``risk`` (expected loss of shipping the variant, in lift units)
        and ``risk_control`` (of keeping the control); with a covariate:
        ``variance_reduction``; then ``significant``, ``srm_p_value`` and ``is_control``.
        The control's own row has lift 0, interval (0, 0), p-value 1 and chance 0.5.
        A comparison with no answer has NaN lift and interval (a warning said why).
        A fresh copy.
        """
        return self.table.copy()

    @property
    def srm_p_value(self) -> float:
        """The sample-ratio-mismatch chi-square p-value (one per result)."""
        return float(self.table["srm_p_value"].iloc[0])

    # ------------------------------------------------------------------ words

    def _fmt(self, v: float, *, signed: bool = False) -> str:
        if self.spec.absolute:
            if self.kind in ("rates", "funnel"):
                text = f"{v * 100:+.2f} pp" if signed else f"{v * 100:.2f} pp"
            else:
                text = f"{v:+,.4g}" if signed else f"{v:,.4g}"
        else:
            text = f"{v:+.1%}" if signed else f"{v:.1%}"
        return text

    def lines(self) -> list[str]:
        """Plain-language sentences, one per variant, for reports.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.experiment import compare_rates
        >>> counts = pd.DataFrame({"variant": ["A", "B"], "users": [5_000, 5_000],
        ...                        "conversions": [150, 160]})
        >>> compare_rates(counts, control="A").lines()
        ['B: conversions not yet conclusive (lift +6.7%, 95% CI -16.7% to +30.1%).']
        """
        t = self.table
        out = []
        if self.srm_p_value < SRM_THRESHOLD:
            out.append(
                f"Warning: sample ratio mismatch (p = {self.srm_p_value:.2g}): users did not "
                "split between variants as intended, so these comparisons may be biased."
            )
        level, iname = self.spec.level, self.spec.interval_name
        metric = t["stage"] if "stage" in t else pd.Series(self.spec.metric, index=t.index)
        for variant in pd.unique(t.loc[~t["is_control"], "variant"]):
            rows = t.loc[(t["variant"] == variant) & ~t["is_control"]]
            found, open_, missing = [], [], []
            for i, row in rows.iterrows():
                name = str(metric[i])
                if math.isnan(row["lift"]):
                    missing.append(name)
                    continue
                if not row["significant"]:
                    open_.append((name, row))
                    continue
                verb = "raises" if row["lift"] > 0 else "lowers"
                text = (
                    f"{verb} {name} by {self._fmt(abs(row['lift']))} ({level} {iname} "
                    f"{self._fmt(row['ci_low'])} to {self._fmt(row['ci_high'])}"
                )
                if self.spec.method == "bayesian":
                    text += f", {_chance(row['chance_to_win'])} chance to beat control"
                found.append(text + ")")
            parts = list(found)
            if open_ and not found and len(open_) == 1 and not missing:
                name, row = open_[0]
                out.append(
                    f"{variant}: {name} not yet conclusive (lift {self._fmt(row['lift'], signed=True)}, "
                    f"{level} {iname} {self._fmt(row['ci_low'], signed=True)} to "
                    f"{self._fmt(row['ci_high'], signed=True)})."
                )
                continue
            if open_:
                parts.append(f"{', '.join(n for n, _ in open_)} not yet conclusive")
            if missing:
                parts.append(f"{', '.join(missing)} cannot be compared (no answer)")
            sentence = "; ".join(parts)
            out.append(f"{variant} {sentence}." if found else f"{variant}: {sentence}.")
        return out

    def summary(self) -> Summary:
        """Method, control, SRM check; the table; the sentences of :meth:`lines`."""
        t = self.table
        facts = (
            ("metric", self.spec.metric),
            ("method", self.spec.method),
            ("control", str(self.spec.control)),
            ("variants", str(len(pd.unique(t["variant"])))),
            ("lift", "absolute difference" if self.spec.absolute else "relative"),
            ("correction", str(self.spec.correction) if self.spec.method != "bayesian" else "—"),
            ("SRM p-value", f"{self.srm_p_value:.3g}"),
        )
        table = t.drop(columns=["is_control", "srm_p_value"]).copy()
        for col in table.columns:
            if table[col].dtype == np.float64:
                table[col] = table[col].round(4)
        notes = (*self.lines(), *self.provenance.lines())
        return Summary("Experiment", facts, table, notes)

    def _significance_rule(self) -> str:
        if self.spec.method == "bayesian":
            return f"{self.spec.level} credible interval excludes 0"
        names = {"holm": "after Holm correction", "bh": "after Benjamini-Hochberg"}
        corrected = names.get(str(self.spec.correction), "uncorrected")
        return f"significant at {self.spec.alpha:g} {corrected}"

    # ------------------------------------------------------------------ plot

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Lift of each variant (per step) with its interval; significant ones coloured.

        Parameters
        ----------
        ax
            Axes to draw on (default: a new figure sized to the rows).
        **kwargs
            Passed to ``Axes.errorbar``.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from linkstar_funnel.experiment import compare_rates
        >>> counts = pd.DataFrame({"variant": ["A", "B", "C"], "users": [5_000] * 3,
        ...                        "conversions": [150, 190, 140]})
        >>> compare_rates(counts, control="A").plot().get_title(loc="left")
        'Lift against A (95% CI)'
        """
        from ..plotting import get_axes, percent_axis, style_axes

        t = self.table.loc[~self.table["is_control"]].reset_index(drop=True)
        single = len(pd.unique(t["variant"])) == 1
        if "stage" in t:
            pairs = zip(t["stage"], t["variant"], strict=True)
            labels = [str(s) if single else f"{s} · {v}" for s, v in pairs]
        else:
            labels = [str(v) for v in t["variant"]]
        ax = get_axes(ax, figsize=(8.0, 1.2 + 0.45 * max(len(t), 2)))
        y = np.arange(len(t))[::-1]
        lift = t["lift"].to_numpy(dtype=float)
        low, high = t["ci_low"].to_numpy(dtype=float), t["ci_high"].to_numpy(dtype=float)
        sig = t["significant"].to_numpy(dtype=bool)
        colours = [
            (_UP if v > 0 else _DOWN) if s else _FLAT for v, s in zip(lift, sig, strict=True)
        ]
        options: dict[str, Any] = {"fmt": "o", "capsize": 4, "markersize": 7, "linewidth": 2}
        options |= kwargs
        for i in range(len(t)):
            if math.isnan(lift[i]):
                continue
            ax.errorbar(
                lift[i], y[i], xerr=[[lift[i] - low[i]], [high[i] - lift[i]]],
                color=colours[i], **options,
            )  # fmt: skip
            ax.annotate(
                self._fmt(lift[i], signed=True), (high[i], y[i]), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize=9, color=colours[i],
            )  # fmt: skip
        ax.axvline(0.0, color="#333333", linewidth=1)
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, len(t) - 0.3)
        what = "difference" if self.spec.absolute else "relative lift"
        if not self.spec.absolute:
            percent_axis(ax, "x")
        ax.set_xlabel(f"{what} against the control (coloured: {self._significance_rule()})")
        ax.margins(x=0.15)
        who = f"{t['variant'].iloc[0]} against " if single and len(t) else "Lift against "
        if single and len(t):
            who = "Lift of " + who
        title = f"{who}{self.spec.control} ({self.spec.level} {self.spec.interval_name})"
        return style_axes(ax, title=title, grid_axis="x")
