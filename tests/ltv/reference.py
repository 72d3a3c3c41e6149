"""Slow, obviously-correct per-customer likelihoods in plain Python (math.lgamma, quad)."""

from __future__ import annotations

import math

from scipy import integrate


def bgnbd_ll(r: float, alpha: float, a: float, b: float, x: int, tx: float, T: float) -> float:
    """log of B(a,b+x)/B(a,b) G(r+x)a^r/(G(r)(a+T)^(r+x)) + [x>0] B(a+1,b+x-1)/B(a,b) ..."""

    def lbeta(p: float, q: float) -> float:
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    common = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    stay = math.exp(lbeta(a, b + x) - lbeta(a, b) + common - (r + x) * math.log(alpha + T))
    drop = 0.0
    if x > 0:
        drop = math.exp(
            lbeta(a + 1, b + x - 1) - lbeta(a, b) + common - (r + x) * math.log(alpha + tx)
        )
    return math.log(stay + drop)


def pareto_ll(r: float, alpha: float, s: float, beta: float, x: int, tx: float, T: float) -> float:
    """Alive at T, or died at some tau in (t_x, T]: integrate the second case numerically."""
    head = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) + s * math.log(beta)
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    died, _ = integrate.quad(
        lambda tau: (alpha + tau) ** -(r + x) * s * (beta + tau) ** -(s + 1),
        tx,
        T,
        epsabs=0.0,
        epsrel=1e-12,
        limit=200,
    )
    return head + math.log(alive + died)


def gamma_gamma_ll(p: float, q: float, v: float, x: int, m: float) -> float:
    """Marginal density of the mean of x Gamma(p, nu) values, nu ~ Gamma(q, v)."""
    px = p * x
    return (
        math.lgamma(px + q)
        - math.lgamma(px)
        - math.lgamma(q)
        + q * math.log(v)
        + (px - 1) * math.log(m)
        + px * math.log(x)
        - (px + q) * math.log(x * m + v)
    )


def bgnbd_expected_alive(a: float, B: float, A: float, R: float, t: float) -> float:
    """E[purchases in t | alive], lambda ~ Gamma(R, A), p ~ Beta(a, B), by quadrature over p.

    Given p, E_lambda[(1 - exp(-lambda p t)) / p] = (1 - (A / (A + p t))**R) / p = g(p);
    E[g(p)] = g(0) + E[g(p) - g(0)], the second integrand vanishing where tiny a piles the
    Beta mass up.
    """
    u = t / A

    def excess(p: float) -> float:
        return -math.expm1(-R * math.log1p(p * u)) / p - R * u if p > 0 else 0.0

    val = integrate.quad(
        excess,
        0.0,
        1.0,
        weight="alg",
        wvar=(a - 1.0, B - 1.0),
        epsabs=0.0,
        epsrel=1e-11,
        limit=200,
        full_output=1,
    )[0]
    return R * u + val * math.exp(math.lgamma(a + B) - math.lgamma(a) - math.lgamma(B))


def bgnbd_p_alive(r: float, alpha: float, a: float, b: float, x: int, tx: float, T: float) -> float:
    """P(alive at T): the share of the likelihood in the "still active" term."""
    if x == 0:
        return 1.0
    odds_dead = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    return 1.0 / (1.0 + odds_dead)
