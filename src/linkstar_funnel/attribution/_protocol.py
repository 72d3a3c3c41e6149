"""The AttributionModel protocol, and a conformance kit to run on your own models."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .._params import InstanceOf, Real, validate_params
from ._journeys import Journeys
from ._result import AttributionResult, Metric

__all__ = ["AttributionModel", "check_attribution_model", "sample_journeys"]


@runtime_checkable
class AttributionModel(Protocol):
    """What every attribution model offers: a name and ``attribute(journeys)``.

    Models are small frozen objects holding settings only; ``attribute`` returns a new
    :class:`AttributionResult` whose conversions and value sum to the journeys' totals.
    """

    @property
    def name(self) -> str:
        """Display name, used as the model's label in comparisons."""
        ...

    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit the journeys' conversions and value to their channels."""
        ...


def sample_journeys() -> Journeys:
    """Small journeys exercising repeats, one-touch paths, nulls and fractional counts."""
    return Journeys(
        channels=("search", "social", "email", "direct"),
        offsets=[0, 1, 3, 6, 8, 12, 13, 15],
        touches=[0, 1, 0, 2, 2, 1, 3, 0, 1, 1, 0, 2, 3, 2, 1],
        conversions=[3.0, 1.0, 2.5, 0.0, 1.0, 4.0, 0.5],
        value=[30.0, 12.0, 20.0, 0.0, 15.0, 44.0, 5.0],
        nulls=[5.0, 2.0, 1.0, 6.0, 0.0, 3.0, 2.0],
        ages=[0, 86_400, 0, 7200, 3600, 0, 0, 0, 3e5, 2e5, 1e5, 0, 0, 50, 0],
    )


@validate_params(
    journeys=[None, InstanceOf(Journeys, description="a Journeys object")],
    rtol=Real(0, closed="neither"),
)
def check_attribution_model(
    model: object, journeys: Journeys | None = None, *, rtol: float = 1e-9
) -> None:
    """Check that ``model`` honours the :class:`AttributionModel` contract.

    Runs on :func:`sample_journeys` and, if given, on ``journeys``: the model is a frozen,
    hashable :class:`AttributionModel`; ``attribute`` returns an :class:`AttributionResult`
    over the journeys' channels with finite credit summing to the totals (conversions and
    value, to ``rtol``); it neither mutates its input nor depends on how channels are coded (the
    same names in another order get the same credit) or on anything but its input (two calls agree); journeys
    without conversions get no credit.

    Raises
    ------
    AssertionError
        Listing every failed check.

    Examples
    --------
    >>> import linkstar_funnel.attribution as la
    >>> la.check_attribution_model(la.Markov())
    """
    failures: list[str] = []
    if not isinstance(model, AttributionModel):
        msg = f"{type(model).__name__} does not implement AttributionModel (name, attribute)."
        raise AssertionError(msg)  # noqa: TRY004 - the kit reports failures as assertions
    try:
        hash(model)
    except TypeError:
        failures.append("the model is not hashable (use @attrs.frozen)")
    cases = [("sample journeys", sample_journeys())]
    if journeys is not None:
        cases.append(("given journeys", journeys))
    for label, j in cases:
        failures += [f"{label}: {f}" for f in _check_on(model, j, rtol)]
    if failures:
        raise AssertionError(
            f"{type(model).__name__} fails the AttributionModel checks:\n- " + "\n- ".join(failures)
        )


def _snapshot(j: Journeys) -> list[npt.NDArray[np.float64]]:
    arrays = [j.offsets, j.touches, j.conversions, j.value, j.nulls]
    if j.ages is not None:
        arrays.append(j.ages)
    return [np.array(a, dtype=np.float64) for a in arrays]


def _check_on(model: AttributionModel, j: Journeys, rtol: float) -> list[str]:
    out: list[str] = []
    before = _snapshot(j)
    res = model.attribute(j)
    if not isinstance(res, AttributionResult):
        return [f"attribute() returned {type(res).__name__}, not AttributionResult"]
    if any(not np.array_equal(a, b) for a, b in zip(before, _snapshot(j), strict=True)):
        out.append("attribute() modified its input journeys")
    if set(res.channels) != set(j.channels) or len(res.channels) != len(j.channels):
        out.append(f"result channels {res.channels} differ from the journeys' {j.channels}")
        return out
    metrics: tuple[tuple[Metric, float], ...] = (
        ("conversions", j.total_conversions),
        ("value", j.total_value),
    )
    for metric, total in metrics:
        credit = res.credit(metric).to_numpy()
        if not np.isfinite(credit).all():
            out.append(f"{metric} credit is not finite: {credit}")
        elif not np.isclose(credit.sum(), total, rtol=rtol, atol=1e-9 * max(1.0, abs(total))):
            out.append(f"{metric} credit sums to {credit.sum()!r}, not the total {total!r}")
    again = model.attribute(j)
    if not (
        res.credit().equals(again.credit()) and res.credit("value").equals(again.credit("value"))
    ):
        out.append("two calls on the same journeys disagree")
    # Recode channels in reverse order: the credit per name must not move.
    k = j.n_channels
    recoded = Journeys(
        channels=tuple(reversed(j.channels)),
        offsets=j.offsets,
        touches=(k - 1) - j.touches,
        conversions=j.conversions,
        value=j.value,
        nulls=j.nulls,
        ages=j.ages,
        sep=j.sep,
    )
    got = model.attribute(recoded).credit().reindex(list(j.channels)).to_numpy()
    if not np.allclose(
        got, res.credit().reindex(list(j.channels)).to_numpy(), rtol=1e-9, atol=1e-9
    ):
        out.append("reordering the channel codes changed the credit per channel")
    zero = Journeys(
        channels=j.channels,
        offsets=j.offsets,
        touches=j.touches,
        conversions=np.zeros(j.n_journeys),
        value=np.zeros(j.n_journeys),
        nulls=j.nulls + j.conversions,
        ages=j.ages,
        sep=j.sep,
    )
    res0 = model.attribute(zero)
    if np.abs(res0.conversions).sum() > 0 or np.abs(res0.value).sum() > 0:
        out.append("journeys without conversions received credit")
    return out
