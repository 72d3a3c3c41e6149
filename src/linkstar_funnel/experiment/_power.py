"""Planning a conversion-rate test: users needed, and the smallest lift a test can detect.

Both use the two-sided z-test on Cohen's arcsine effect size ``h = 2 asin(sqrt(p1)) -
2 asin(sqrt(p0))`` with equal arms, as statsmodels' ``NormalIndPower`` with
``proportion_effectsize`` does (the power counts both tails). With more than two variants,
each comparison with the control is planned at ``alpha / (variants - 1)`` (Bonferroni, the
first step of the Holm correction the analysis applies), so the plan holds after it.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

from .._params import Integer, Real, validate_params
from .._validators import bad_parameter
from ..stats import z_value

__all__ = ["minimum_detectable_effect", "sample_size"]

_RATE = Real(0, 1, closed="neither")
_PROB = Real(0, 1, closed="neither")
_VARIANTS = Integer(2, 1_000)


def _power(h: float, n: float, alpha: float) -> float:
    """Power of the two-sided z-test with ``n`` users per arm and effect size ``h``."""
    crit = z_value(alpha)
    shift = h * math.sqrt(n / 2.0)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def _h(p1: float, p0: float) -> float:
    return 2.0 * math.asin(math.sqrt(p1)) - 2.0 * math.asin(math.sqrt(p0))


def users_needed(baseline: float, mde: float, alpha: float, power: float) -> float:
    """Users per arm (not rounded) for one comparison at ``alpha``."""
    h = abs(_h(baseline * (1.0 + mde), baseline))
    crit = z_value(alpha)
    guess = 2.0 * ((crit + float(stats.norm.ppf(power))) / h) ** 2
    # Power rises with n: bracket the root around the one-tail approximation.
    return float(
        optimize.brentq(
            lambda n: _power(h, n, alpha) - power, guess * 0.5, guess * 1.5 + 10.0, xtol=1e-10
        )
    )


@validate_params(
    baseline=_RATE,
    mde=Real(-1, None, closed="neither"),
    alpha=_PROB,
    power=_PROB,
    variants=_VARIANTS,
)
def sample_size(
    *,
    baseline: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
) -> int:
    """Users needed in *each* variant to detect a relative lift of ``mde`` in a rate.

    Parameters
    ----------
    baseline
        The control's conversion rate (0.03 for 3%).
    mde
        The smallest relative lift worth detecting (0.10: from 3% to 3.3%); a negative value
        plans for a drop.
    alpha
        Two-sided false-positive rate of the whole test (split over the ``variants - 1``
        comparisons with the control).
    power
        Chance of detecting a true lift of ``mde``.
    variants
        Arms including the control.

    Returns
    -------
    int
        Users per variant (rounded up); the test needs ``variants`` times as many.

    Examples
    --------
    >>> sample_size(baseline=0.03, mde=0.10, alpha=0.05, power=0.8, variants=2)
    53182
    >>> sample_size(baseline=0.03, mde=0.10, variants=3)
    64404
    """
    target = baseline * (1.0 + mde)
    if mde == 0 or not 0.0 < target < 1.0:
        expected = f"a non-zero relative lift keeping the rate in (0, 1) (baseline {baseline:g})"
        msg = "sample_size"
        raise bad_parameter(msg, "mde", expected, mde)
    return math.ceil(users_needed(baseline, mde, alpha / (variants - 1), power) - 1e-9)


@validate_params(
    users=Integer(2, 10**15), baseline=_RATE, alpha=_PROB, power=_PROB, variants=_VARIANTS
)
def minimum_detectable_effect(
    *,
    users: int,
    baseline: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variants: int = 2,
) -> float:
    """The smallest relative lift in a rate that ``users`` per variant detect.

    The inverse of :func:`sample_size`: with ``users`` in each variant, a true lift of the
    returned size is detected with probability ``power``.

    Parameters
    ----------
    users
        Users per variant.
    baseline, alpha, power, variants
        As in :func:`sample_size`.

    Returns
    -------
    float
        A relative lift (0.1 for +10%).

    Raises
    ------
    ParameterError
        When no lift up to a rate of 100% can be detected with so few users.

    Examples
    --------
    >>> round(minimum_detectable_effect(users=20_000, baseline=0.03), 4)
    0.1654
    """
    a = alpha / (variants - 1)
    top = _h(1.0, baseline)
    if _power(top, users, a) < power:
        expected = (
            f"enough users to detect any lift from a {baseline:g} baseline at power "
            f"{power:g} (even a rate of 100% would go unnoticed)"
        )
        msg = "minimum_detectable_effect"
        raise bad_parameter(msg, "users", expected, users)
    h = float(optimize.brentq(lambda x: _power(x, users, a) - power, 1e-12, top, xtol=1e-14))
    p1 = math.sin((h + 2.0 * math.asin(math.sqrt(baseline))) / 2.0) ** 2
    return p1 / baseline - 1.0
