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
