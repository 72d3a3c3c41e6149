"""The settings of an experiment analysis, shared by every comparison and kept as provenance."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Literal

import attrs

from .._params import Boolean, Options, Real, Satisfies

__all__ = ["ExperimentSpec", "Method"]

Method = Literal["frequentist", "bayesian", "sequential"]
Correction = Literal["holm", "bh"]

METHOD = Options("frequentist", "bayesian", "sequential")
CORRECTION = [None, Options("holm", "bh")]
ALPHA = Real(0, 0.5, closed="neither")
TUNING = Real(1, 1e12)
ABSOLUTE = Boolean()


def _weights_ok(value: object) -> bool:
    if not isinstance(value, Mapping) or not value:
        return False
    return all(
        Real(0, None, closed="neither").accepts(w) and isinstance(k, Hashable)
        for k, w in value.items()
    )


WEIGHTS = [None, Satisfies(_weights_ok, "a mapping of variant to positive weight")]
CONTROL = Satisfies(
    lambda v: isinstance(v, Hashable) and v is not None and v == v,  # noqa: PLR0124 - NaN test
    "a variant label (not None or NaN)",
)


def _frozen_weights(value: Mapping[Hashable, float] | None) -> Mapping[Hashable, float] | None:
    return dict(value) if isinstance(value, Mapping) else value  # others: the validator says


@attrs.frozen
class ExperimentSpec:
    """How an experiment was analysed.

    Parameters
    ----------
    metric
        What is compared: a rate's conversions column, a value column, a funnel.
    control
        The control variant's label.
    method
        ``"frequentist"`` (Welch t-test), ``"bayesian"`` (flat prior) or ``"sequential"``
        (always-valid intervals: look as often as you like).
    alpha
        One minus the confidence (credible) level; the false-positive rate of each test.
    absolute
        Report differences (``treatment - control``) instead of relative lifts.
    correction
        Multiple-comparison correction of p-values across variants and metrics:
        ``"holm"`` (family-wise error), ``"bh"`` (Benjamini-Hochberg false discovery
        rate) or ``None``. Not used by the Bayesian method.
    sequential_tuning
        The sequential test's tuning parameter (gbstats' default 5,000): the sample size
        at which its interval is narrowest relative to a fixed-horizon one.
    weights
        The intended traffic split per variant (equal when ``None``), for the
        sample-ratio-mismatch check.
    covariate
        The pre-period column CUPED adjusts with, if any.
    denominator
        The denominator column of a ratio metric, if any.
    """

    metric: str
    control: Hashable = attrs.field(validator=CONTROL)
    method: Method = attrs.field(default="frequentist", validator=METHOD)
    alpha: float = attrs.field(default=0.05, validator=ALPHA)
    absolute: bool = attrs.field(default=False, validator=ABSOLUTE)
    correction: Correction | None = attrs.field(
        default="holm", validator=attrs.validators.optional(Options("holm", "bh"))
    )
    sequential_tuning: float = attrs.field(default=5000.0, validator=TUNING)
    weights: Mapping[Hashable, float] | None = attrs.field(
        default=None,
        converter=_frozen_weights,
        validator=attrs.validators.optional(WEIGHTS[1]),  # type: ignore[arg-type]
    )
    covariate: str | None = None
    denominator: str | None = None

    @property
    def level(self) -> str:
        """The interval's level as people write it ("95%")."""
        return (
            f"{1 - self.alpha:.0%}"
            if round((1 - self.alpha) * 100, 6).is_integer()
            else (f"{1 - self.alpha:.1%}")
        )

    @property
    def interval_name(self) -> str:
        """``"CI"`` or ``"credible interval"``."""
        return "credible interval" if self.method == "bayesian" else "CI"
