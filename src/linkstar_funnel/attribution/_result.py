"""AttributionResult: the credit one model gives each channel, in conversions and value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from .._params import Options, validate_params
from ..plotting import PALETTE, get_axes, style_axes
from ..results import Provenance, ResultMixin, Summary
from ._specs import ECONOMICS_PARAMS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._economics import ChannelEconomicsResult
    from ._journeys import Journeys

__all__ = ["METRIC", "AttributionResult", "MarkovResult", "Metric", "make_result", "model_name"]

FloatArray = npt.NDArray[np.float64]
Metric = Literal["conversions", "value"]
METRIC = Options("conversions", "value")


def _readonly(value: npt.ArrayLike) -> FloatArray:
    arr = np.array(value, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def model_name(model: object) -> str:
    """A model's display name: its ``name`` attribute, else its class name."""
    name = getattr(model, "name", None)
    return name if isinstance(name, str) and name else type(model).__name__


@attrs.frozen(eq=False)
class AttributionResult(ResultMixin):
    """Conversions and value credited to each channel by one model.

    Attributes
    ----------
    model
        The model spec that produced the result.
    channels
        Channel labels, in the journeys' order.
    conversions, value
        Credit per channel (same order as ``channels``).
    total_conversions, total_value
        The journeys' totals; credits sum to them (up to rounding).
    n_journeys
        Journeys read.
    provenance
        Spec, row accounting of the inputs, and notes on how credit was assigned.
    """

    model: object
    channels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    conversions: FloatArray = attrs.field(converter=_readonly)
    value: FloatArray = attrs.field(converter=_readonly)
    total_conversions: float
    total_value: float
    n_journeys: int
    provenance: Provenance

    @property
    def name(self) -> str:
        """The model's display name."""
        return model_name(self.model)

    @validate_params(metric=METRIC)
    def credit(self, metric: Metric = "conversions") -> pd.Series[float]:
        """Credit per channel as a Series indexed by channel."""
        values = _metric(self, metric)
        return pd.Series(values.copy(), index=pd.Index(self.channels, name="channel"), name=metric)

    def to_frame(self) -> pd.DataFrame:
        """One row per channel: ``channel``, ``conversions``, ``value``, ``share``, ``value_share``.

        ``share`` is the channel's share of conversions, ``value_share`` of value (0 when
        the total is 0). Rows are sorted by conversions, largest first, then by channel.
        """
        conv = self.conversions.copy()
        val = self.value.copy()
        out = pd.DataFrame(
            {
                "channel": list(self.channels),
                "conversions": conv,
                "value": val,
                "share": _share(conv),
                "value_share": _share(val),
            }
        )
        out = out.sort_values(["conversions", "channel"], ascending=[False, True], kind="stable")
        return out.reset_index(drop=True)

    def summary(self) -> Summary:
        """Title, totals, the credit table and provenance notes."""
        table = self.to_frame()
        top = table.iloc[0]["channel"] if len(table) else "-"
        shown = table.assign(
            conversions=table["conversions"].round(2),
            value=table["value"].round(2),
            share=(100 * table["share"]).round(1).astype(str) + "%",
            value_share=(100 * table["value_share"]).round(1).astype(str) + "%",
        )
        return Summary(
            f"{self.name} attribution",
            facts=(
                ("journeys", f"{self.n_journeys:,}"),
                ("conversions", f"{self.total_conversions:,.2f}"),
                ("value", f"{self.total_value:,.2f}"),
                ("top channel", str(top)),
            ),
            table=shown,
            notes=tuple(self.provenance.lines()),
        )

    @validate_params(metric=METRIC)
    def plot(
        self, ax: Axes | None = None, *, metric: Metric = "conversions", **kwargs: Any
    ) -> Axes:
        """Horizontal bars of credit per channel (largest at the top)."""
        series = self.credit(metric).sort_values()
        ax = get_axes(ax, figsize=(7.0, 0.35 * len(series) + 1.5))
        ax.barh(
            list(series.index), series.to_numpy(), color=kwargs.pop("color", PALETTE[0]), **kwargs
        )
        ax.set_xlabel(f"attributed {metric}")
        return style_axes(ax, title=f"{self.name}: {metric} by channel", grid_axis="x")

    @validate_params(**ECONOMICS_PARAMS)
    def economics(
        self,
        spend: object,
        *,
        channel: str = "channel",
        cost: str = "cost",
        channel_map: dict[str, str] | None = None,
    ) -> ChannelEconomicsResult:
        """CPA (CAC when conversions are first purchases) and ROAS per channel, given spend.

        See :func:`linkstar_funnel.attribution.channel_economics`.
        """
        from ._economics import channel_economics

        return channel_economics(self, spend, channel=channel, cost=cost, channel_map=channel_map)


@attrs.frozen(eq=False)
class MarkovResult(AttributionResult):
    """A Markov attribution, with the chain behind it.

    Attributes
    ----------
    removal_effects
        Per channel: ``channel``, ``removal_effect`` (relative drop in P(conversion) when
        the channel is removed), ``removal_effect_value`` (same for expected value).
    transition_matrix
        Square DataFrame of transition probabilities between states (``(start)``, the
        channel states, ``(conversion)``, ``(null)``); rows sum to 1 for transient states.
    conversion_probability
        P(conversion) from ``(start)`` in the fitted chain.
    """

    removal_effects: pd.DataFrame = attrs.field(kw_only=True)
    transition_matrix: pd.DataFrame = attrs.field(kw_only=True)
    conversion_probability: float = attrs.field(kw_only=True)


def _metric(result: AttributionResult, metric: str) -> FloatArray:
    return result.conversions if metric == "conversions" else result.value


def _share(values: FloatArray) -> FloatArray:
    total = values.sum()
    return values / total if total > 0 else np.zeros_like(values)


def make_result(
    model: object,
    journeys: Journeys,
    conversions: npt.ArrayLike,
    value: npt.ArrayLike,
    *,
    notes: Sequence[str] = (),
    channels: Sequence[str] | None = None,
) -> AttributionResult:
    """Wrap credit arrays into an :class:`AttributionResult` with provenance."""
    return AttributionResult(
        model=model,
        channels=tuple(journeys.channels if channels is None else channels),
        conversions=conversions,
        value=value,
        total_conversions=journeys.total_conversions,
        total_value=journeys.total_value,
        n_journeys=journeys.n_journeys,
        provenance=provenance(model, journeys, notes),
    )


def provenance(model: object, journeys: Journeys, notes: Sequence[str] = ()) -> Provenance:
    """The spec, the journeys' row accounting and notes (journeys' first, then the model's)."""
    return Provenance(spec=model, inputs=journeys.inputs, notes=(*journeys.notes, *notes))
