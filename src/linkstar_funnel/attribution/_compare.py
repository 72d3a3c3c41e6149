"""Several attribution models side by side on the same journeys."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import InstanceOf, Satisfies, check_param, validate_params
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._journeys import Journeys
from ._result import METRIC, AttributionResult, Metric, model_name
from ._specs import ECONOMICS_PARAMS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._economics import ChannelEconomicsResult
    from ._protocol import AttributionModel

__all__ = ["AttributionComparisonResult", "compare_attribution"]


def _results(value: Iterable[AttributionResult]) -> tuple[AttributionResult, ...]:
    return tuple(value)


def _labels(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(eq=False)
class AttributionComparisonResult(ResultMixin):
    """Results of several models on the same journeys.

    Attributes
    ----------
    results
        One :class:`AttributionResult` per model, in the order given.
    labels
        A unique label per model (its name, with a number appended on clashes).
    provenance
        The models, the journeys' row accounting and notes.
    """

    results: tuple[AttributionResult, ...] = attrs.field(converter=_results)
    labels: tuple[str, ...] = attrs.field(converter=_labels)
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``model``, ``channel``, ``conversions``, ``value``, ``share``, ``value_share``."""
        parts = [
            r.to_frame().assign(model=lab) for lab, r in zip(self.labels, self.results, strict=True)
        ]
        cols = ["model", "channel", "conversions", "value", "share", "value_share"]
        return pd.concat(parts, ignore_index=True)[cols]

    @validate_params(metric=METRIC)
    def wide(self, metric: Metric = "conversions") -> pd.DataFrame:
        """One row per channel, one column per model, of ``metric`` credit."""
        cols = {lab: r.credit(metric) for lab, r in zip(self.labels, self.results, strict=True)}
        out = pd.DataFrame(cols).fillna(0.0)
        out.columns.name = "model"
        return out

    def summary(self) -> Summary:
        """Conversions per channel and model, and the journeys' totals."""
        table = self.wide().round(2).reset_index()
        first = self.results[0] if self.results else None
        facts: tuple[tuple[str, str], ...] = ()
        if first is not None:
            facts = (
                ("models", ", ".join(self.labels)),
                ("journeys", f"{first.n_journeys:,}"),
                ("conversions", f"{first.total_conversions:,.2f}"),
                ("value", f"{first.total_value:,.2f}"),
            )
        return Summary(
            "Attribution by model", facts=facts, table=table, notes=tuple(self.provenance.lines())
        )

    @validate_params(metric=METRIC)
    def plot(
        self, ax: Axes | None = None, *, metric: Metric = "conversions", **kwargs: Any
    ) -> Axes:
        """Grouped horizontal bars: channels down the side, one bar per model."""
        wide = self.wide(metric)
        wide = wide.loc[wide.mean(axis=1).sort_values().index]
        ax = get_axes(ax, figsize=(8.0, 0.5 * len(wide) * max(1, len(self.labels)) ** 0.5 + 1.5))
        n = max(len(self.labels), 1)
        height = 0.8 / n
        y = np.arange(len(wide), dtype=np.float64)
        for i, lab in enumerate(self.labels):
            ax.barh(
                y + (i - (n - 1) / 2) * height,
                wide[lab].to_numpy(),
                height=height,
                label=lab,
                color=PALETTE[i % len(PALETTE)],
                **kwargs,
            )
        ax.set_yticks(y, [str(c) for c in wide.index])
        ax.set_xlabel(f"attributed {metric}")
        ax.legend(frameon=False, fontsize=8)
        return style_axes(ax, title=f"Attributed {metric} by model", grid_axis="x")

    @validate_params(**ECONOMICS_PARAMS)
    def economics(
        self,
        spend: object,
        *,
        channel: str = "channel",
        cost: str = "cost",
        channel_map: dict[str, str] | None = None,
    ) -> ChannelEconomicsResult:
        """CPA and ROAS per channel for every model; see ``channel_economics``."""
        from ._economics import channel_economics

        return channel_economics(self, spend, channel=channel, cost=cost, channel_map=channel_map)


@validate_params(
    models=Satisfies(
        lambda ms: isinstance(ms, Iterable) and not isinstance(ms, str | bytes | Mapping),
        "a non-empty list of attribution models (objects with name and attribute())",
    ),
    journeys=InstanceOf(Journeys, description="a Journeys object"),
)
def compare_attribution(
    models: Iterable[AttributionModel], journeys: Journeys
) -> AttributionComparisonResult:
    """Run each model on ``journeys`` and gather the results in one table.

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["a > b", "b > c > a"], "conv": [2, 1], "null": [1, 4]})
    >>> j = la.Journeys.from_paths(df, conversions="conv", null="null")
    >>> cmp = la.compare_attribution([la.FirstTouch(), la.LastTouch(), la.Linear()], j)
    >>> cmp.wide().round(3)
    model    First touch  Last touch  Linear
    channel
    a                2.0         1.0   1.333
    b                1.0         2.0   1.333
    c                0.0         0.0   0.333
    """
    from ._protocol import AttributionModel

    models = list(models)
    check_param(
        "compare_attribution",
        "models",
        models,
        Satisfies(
            lambda ms: bool(ms) and all(isinstance(m, AttributionModel) for m in ms),
            "a non-empty list of attribution models (objects with name and attribute())",
        ),
    )
    results = [m.attribute(journeys) for m in models]
    names = [model_name(m) for m in models]
    labels: list[str] = []
    for name in names:
        label, k = name, 2
        while label in labels:
            label, k = f"{name} #{k}", k + 1
        labels.append(label)
    prov = Provenance(spec=tuple(models), inputs=journeys.inputs, notes=journeys.notes)
    return AttributionComparisonResult(results=results, labels=labels, provenance=prov)
