"""BG/NBD arithmetic: log-likelihoods with gradients, and expectations finite everywhere.

The NBD model is BG/NBD's limit as ``a -> 0`` (the drop-out probability's Beta(a, b)
distribution collapses onto 0: nobody drops out). Its likelihood is the BG/NBD
likelihood's limit, whatever ``b``; its expectations are the BG/NBD expectations' limits.

Expected purchases share one kernel, :func:`expected_while_alive`: the expected number of
purchases in ``t`` of a customer who is alive, with rate ``lambda ~ Gamma(R, A)`` and
drop-out probability ``p ~ Beta(a, B)``::

    h = E_p[(1 - (1 + p t / A) ** -R) / p]
      = (a + B - 1) / (a - 1) * (1 - (A / (A + t)) ** R * 2F1(R, B; a + B - 1; t / (A + t)))

The closed form is exact but loses precision (up to ``0 * inf``) for large ``R``, near
``a = 1`` and near ``a + B = 1``; there the expectation is integrated numerically
(``scipy.integrate.quad`` with the Beta weight), so ``h`` is finite and continuous in every
parameter, and equals ``R t / A`` (the NBD value) at ``a = 0``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import integrate
from scipy.special import betainc, betaln, digamma, gammaln, hyp2f1

__all__ = [
    "bgnbd_gradient",
    "bgnbd_log_likelihood",
    "expected_while_alive",
    "nbd_gradient",
    "nbd_log_likelihood",
]

FloatArray = npt.NDArray[np.float64]
_NEAR = 1e-4  # |a - 1| or |a + B - 1| below this: the closed form cancels, integrate
_LARGE_R = 30.0  # beyond, hyp2f1's terms grow too large to cancel exactly: integrate


def _components(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The constant term, and the log-likelihoods of "still active" and "dropped out"."""
    r, alpha, a, b = params
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    stay = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    x1 = np.maximum(x, 1.0)
    drop = np.where(x > 0, betaln(a + 1.0, b + x1 - 1.0) - (r + x) * np.log(alpha + tx), -np.inf)
    return base, stay, drop


def bgnbd_log_likelihood(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood, in log space (``betaln``, ``logaddexp``).

    Examples
    --------
    >>> import numpy as np
    >>> ll = bgnbd_log_likelihood(np.array([0.243, 4.414, 0.793, 2.426]),
    ...                           np.array([2.0]), np.array([30.43]), np.array([38.86]))
    >>> round(float(ll[0]), 4)
    -9.4586
    """
    base, stay, drop = _components(params, x, tx, T)
    return np.asarray(base + np.logaddexp(stay, drop), dtype=np.float64)


def bgnbd_gradient(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Per-customer gradient of :func:`bgnbd_log_likelihood` in ``(r, alpha, a, b)``, shape (n, 4).

    ``a`` enters through ``w_drop / a`` (``digamma(a + 1) - digamma(a) = 1 / a``), which
    stays exact as ``a -> 0``.
    """
    r, alpha, a, b = params
    _, stay, drop = _components(params, x, tx, T)
    total = np.logaddexp(stay, drop)
    w_stay, w_drop = np.exp(stay - total), np.exp(drop - total)
    x1 = np.maximum(x, 1.0)
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - w_stay * np.log(alpha + T)
        - w_drop * np.log(alpha + tx)
    )
    d_alpha = r / alpha - (r + x) * (w_stay / (alpha + T) + w_drop / (alpha + tx))
    tail = digamma(a + b) - digamma(a + b + x)
    d_a = w_drop / a + tail
    d_b = tail - digamma(b) + w_stay * digamma(b + x) + w_drop * digamma(b + x1 - 1.0)
    return np.column_stack([d_r, d_alpha, d_a, d_b])


def nbd_log_likelihood(
    params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer NBD log-likelihood (BG/NBD at ``a -> 0``); ``tx`` is not used.

    Examples
    --------
    >>> import numpy as np
    >>> x, tx, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
    >>> nbd = nbd_log_likelihood(np.array([0.243, 4.414]), x, tx, T)
    >>> bg = bgnbd_log_likelihood(np.array([0.243, 4.414, 1e-12, 2.426]), x, tx, T)
    >>> bool(np.isclose(nbd[0], bg[0]))
    True
    """
    r, alpha = params[0], params[1]
    out = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - (r + x) * np.log(alpha + T)
    return np.asarray(out + 0.0 * tx, dtype=np.float64)


def nbd_gradient(params: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Per-customer gradient of :func:`nbd_log_likelihood` in ``(r, alpha)``, shape (n, 2)."""
    r, alpha = params[0], params[1]
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T) + 0.0 * tx
    d_alpha = r / alpha - (r + x) / (alpha + T)
    return np.column_stack([d_r, d_alpha])


def expected_while_alive(
    a: float, B: FloatArray, A: FloatArray, R: FloatArray, t: float
) -> FloatArray:
    """Expected purchases in ``t`` of an active customer (see the module docstring).

    ``a = 0`` is the NBD limit: ``R t / A``. Always finite, between the values at
    ``p = 1`` and ``p = 0``, and continuous in ``a`` down to 0.
    """
    B, A, R = np.broadcast_arrays(
        np.asarray(B, dtype=np.float64), np.asarray(A, dtype=np.float64), np.asarray(R, float)
    )
    hi = R * t / A  # every customer at p = 0 (never drops out)
    if a == 0.0 or t == 0.0:
        return np.asarray(hi, dtype=np.float64)
    lo = -np.expm1(-R * np.log1p(t / A))  # every customer at p = 1
    c = a + B - 1.0
    with np.errstate(all="ignore"):
        z = t / (A + t)
        out = c / (a - 1.0) * (1.0 - (A / (A + t)) ** R * hyp2f1(R, B, c, z))
    bad = (
        ~np.isfinite(out)
        | (out < lo * (1 - 1e-9))
        | (out > hi * (1 + 1e-9))
        | (abs(a - 1.0) < _NEAR)
        | (np.abs(c) < _NEAR)
        | (R > _LARGE_R)
    )
    if bad.any():
        out = np.where(bad, 0.0, out)
        cache: dict[tuple[float, float, float], float] = {}
        for i in np.flatnonzero(bad.ravel()):
            key = (float(B.flat[i]), float(A.flat[i]), float(R.flat[i]))
            if key not in cache:
                cache[key] = _integrate(a, *key, t)
            out.flat[i] = cache[key]
    return np.asarray(np.clip(out, lo, hi), dtype=np.float64)


def _integrate(a: float, B: float, A: float, R: float, t: float) -> float:
    """``E_p[g(p)]`` for ``p ~ Beta(a, B)`` by quadrature, piece by piece.

    ``g`` turns at ``p ~ 1 / (R u)``: the pieces are ``[0, s]``, then ten-fold wider ones up
    to 1, so no steep stretch hides between a rule's nodes. On ``[0, s]`` it integrates
    ``g(p) - g(0)`` (which vanishes at 0) and adds ``g(0) P(p < s)``, so that a tiny ``a``
    (mass piling up at 0) costs no precision. Singular ends (``a < 1`` or ``B < 1``) use
    quadpack's algebraic weight.
    """
    u = t / A
    g0 = R * u
    if a - 1.0 <= -1.0:  # a below 1e-16: the Beta mass is at 0 to double precision
        return g0

    def g(p: float) -> float:
        return -math.expm1(-R * math.log1p(p * u)) / p if p > 0.0 else g0

    def excess(p: float) -> float:
        return g(p) - g0 if p > 0.0 else 0.0

    edges = [0.0, min(0.5, 1.0 / max(g0, 1e-300))]
    while edges[-1] < 1.0:
        edges.append(min(1.0, edges[-1] * 10.0))
    log_norm = float(betaln(a, B))
    total = g0 * float(betainc(a, B, edges[1]))
    for lo, hi in itertools.pairwise(edges):
        total += _piece(excess if lo == 0.0 else g, lo, hi, a, B, log_norm)
    return total


def _piece(
    f: Callable[[float], float], lo: float, hi: float, a: float, B: float, log_norm: float
) -> float:
    """``∫ f(p) Beta(p; a, B) dp`` on ``[lo, hi]``, a singular end as quadpack's weight."""
    left = lo == 0.0 and a < 1.0
    right = hi == 1.0 and B < 1.0

    def body(p: float) -> float:
        if p <= 0.0 or p >= 1.0:
            return 0.0
        log_w = (0.0 if left else (a - 1.0) * math.log(p)) + (
            0.0 if right else (B - 1.0) * math.log1p(-p)
        )
        return f(p) * math.exp(log_w - log_norm)

    kw: dict[str, object] = {}
    if left or right:
        kw = {"weight": "alg", "wvar": (a - 1.0 if left else 0.0, B - 1.0 if right else 0.0)}
        norm = math.exp(-log_norm)
        inner = body

        def body(p: float) -> float:  # the weight carries the singular power, not 1/B(a, B)
            return inner(p) if 0.0 < p < 1.0 else f(p) * norm

    # full_output: quadrature's round-off notes stay here (the result is clipped to its
    # bounds by the caller) instead of surfacing as a scipy warning
    return float(
        integrate.quad(
            body,
            lo,
            hi,
            limit=200,
            epsabs=0.0,
            epsrel=1e-10,
            full_output=1,
            **kw,
        )[0]
    )
