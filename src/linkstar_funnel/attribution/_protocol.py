"""The AttributionModel protocol, and a conformance kit to run on your own models."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .._conformance import ConformanceKit
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
    value, to ``rtol``); it neither mutates its input nor depends on how channels are coded
    (the same names in another order get the same credit) or on anything but its input
    (two calls agree); journeys without conversions get no credit.

    Every check runs, whatever fails before it; a crash of ``attribute`` is recorded as a
    failure too.

    Raises
    ------
    ConformanceError
        Listing every failed check (an :class:`AssertionError` too, as before).

    Examples
    --------
    >>> import linkstar_funnel.attribution as la
    >>> la.check_attribution_model(la.Markov())
    """
    kit = ConformanceKit(type(model).__name__, "AttributionModel")
    if not kit.require(
        isinstance(model, AttributionModel),
        "does not implement AttributionModel (a name and attribute(journeys))",
    ):
        kit.finish()
    assert isinstance(model, AttributionModel)  # for the type checker: finish() raised
    try:
        hash(model)
    except TypeError:
        kit.fail("the model is not hashable (use @attrs.frozen)")
    cases = [("sample journeys", sample_journeys())]
    if journeys is not None:
        cases.append(("given journeys", journeys))
    for label, j in cases:
        _check_on(kit, label, model, j, rtol)
    kit.finish()


def _snapshot(j: Journeys) -> list[npt.NDArray[np.float64]]:
    arrays = [j.offsets, j.touches, j.conversions, j.value, j.nulls]
    if j.ages is not None:
        arrays.append(j.ages)
    return [np.array(a, dtype=np.float64) for a in arrays]


def _check_on(
    kit: ConformanceKit, label: str, model: AttributionModel, j: Journeys, rtol: float
) -> None:
    """Every check on one set of journeys, each failure recorded as ``label: reason``."""
    before = _snapshot(j)
    res: AttributionResult | None = None
    with kit.check(f"{label}: attribute()"):
        got = model.attribute(j)
        if not isinstance(got, AttributionResult):
            msg = f"returned {type(got).__name__}, not AttributionResult"
            raise AssertionError(msg)  # noqa: TRY004 - the kit reports failures as assertions
        res = got
    kit.require(
        all(np.array_equal(a, b) for a, b in zip(before, _snapshot(j), strict=True)),
        f"{label}: attribute() modified its input journeys",
    )
    if res is None:
        return
    if not kit.require(
        set(res.channels) == set(j.channels) and len(res.channels) == len(j.channels),
        f"{label}: result channels {res.channels} differ from the journeys' {j.channels}",
    ):
        return
    _check_totals(kit, label, res, j, rtol)
    with kit.check(f"{label}: attribute() called again"):
        again = model.attribute(j)
        kit.require(
            res.credit().equals(again.credit())
            and res.credit("value").equals(again.credit("value")),
            f"{label}: two calls on the same journeys disagree",
        )
    with kit.check(f"{label}: attribute() on channels coded in another order"):
        kit.require(
            _same_credit_recoded(model, res, j),
            f"{label}: reordering the channel codes changed the credit per channel",
        )
    with kit.check(f"{label}: attribute() on journeys without conversions"):
        res0 = model.attribute(_without_conversions(j))
        kit.require(
            not (np.abs(res0.conversions).sum() > 0 or np.abs(res0.value).sum() > 0),
            f"{label}: journeys without conversions received credit",
        )


def _check_totals(
    kit: ConformanceKit, label: str, res: AttributionResult, j: Journeys, rtol: float
) -> None:
    metrics: tuple[tuple[Metric, float], ...] = (
        ("conversions", j.total_conversions),
        ("value", j.total_value),
    )
    for metric, total in metrics:
        credit = res.credit(metric).to_numpy()
        if not kit.require(
            bool(np.isfinite(credit).all()), f"{label}: {metric} credit is not finite: {credit}"
        ):
            continue
        kit.require(
            bool(np.isclose(credit.sum(), total, rtol=rtol, atol=1e-9 * max(1.0, abs(total)))),
            f"{label}: {metric} credit sums to {float(credit.sum())!r}, not the total {total!r}",
        )


def _same_credit_recoded(model: AttributionModel, res: AttributionResult, j: Journeys) -> bool:
    """Whether channels coded in reverse order get the same credit per name."""
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
    names = list(j.channels)
    got = model.attribute(recoded).credit().reindex(names).to_numpy()
    want = res.credit().reindex(names).to_numpy()
    return bool(np.allclose(got, want, rtol=1e-9, atol=1e-9))


def _without_conversions(j: Journeys) -> Journeys:
    return Journeys(
        channels=j.channels,
        offsets=j.offsets,
        touches=j.touches,
        conversions=np.zeros(j.n_journeys),
        value=np.zeros(j.n_journeys),
        nulls=j.nulls + j.conversions,
        ages=j.ages,
        sep=j.sep,
    )
