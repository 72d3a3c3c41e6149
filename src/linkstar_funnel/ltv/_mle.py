"""Maximum likelihood on log-parameters: optimiser, Hessian standard errors, failure rules.

Every probabilistic model minimises its mean negative log-likelihood over the logarithms
of its (positive) parameters with BFGS, falling back to Nelder-Mead. The rules:

* a non-finite optimum raises :class:`~linkstar_funnel.errors.ConvergenceError` carrying
  the optimiser's message: parameters are never NaN;
* an optimiser that stops early with a sizeable gradient, or a parameter that runs to the
  edge of its domain, gives a :class:`~linkstar_funnel.errors.ConvergenceWarning` and a
  usable result;
* standard errors come from the inverse of a central-difference Hessian of the total
  negative log-likelihood in log-parameters, mapped to natural units by the delta method.
  When the Hessian is not positive definite they are NaN and a warning says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from ..errors import ConvergenceError, ConvergenceWarning, ParameterError
from ..stats import z_value as shared_z_value

__all__ = ["MLEFit", "emit", "fit_mle", "z_value"]

FloatArray = npt.NDArray[np.float64]
LogLik = Callable[[FloatArray], FloatArray]
Gradient = Callable[[FloatArray], FloatArray]
_BOUND = 15.0  # |log(param)| beyond this (3e-7 .. 3e6) is the edge of the domain
_GRAD_OK = 1e-4


def z_value(alpha: float, *, owner: str = "this call") -> float:
    """Two-sided normal quantile for a ``1 - alpha`` interval, from
    :func:`linkstar_funnel.stats.z_value`; a bad ``alpha`` error names ``owner``."""
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        msg = f"The 'alpha' parameter of {owner} must be a number in (0, 1). Got {alpha!r} instead."
        raise ParameterError(msg)
    return shared_z_value(alpha)


@attrs.frozen(eq=False)
class MLEFit:
    """The numbers of a maximum-likelihood fit (shared by every fitted model)."""

    names: tuple[str, ...]
    values: tuple[float, ...]
    log_cov: FloatArray = attrs.field(repr=False)
    log_likelihood: float
    n_obs: int
    converged: bool
    message: str
    iterations: int
    issues: tuple[str, ...] = ()

    @property
    def params(self) -> dict[str, float]:
        """Estimates by name."""
        return dict(zip(self.names, self.values, strict=True))

    @property
    def standard_errors(self) -> dict[str, float]:
        """Delta-method standard errors in natural units (NaN when unavailable)."""
        se_log = np.sqrt(np.clip(np.diag(self.log_cov), 0.0, None))
        return {n: float(v * s) for n, v, s in zip(self.names, self.values, se_log, strict=True)}

    def params_frame(self, alpha: float = 0.05) -> pd.DataFrame:
        """``estimate``, ``std_error``, ``lower``, ``upper`` per parameter.

        The interval is symmetric on the log scale (parameters are positive), so it always
        contains the estimate.
        """
        z = z_value(alpha, owner="params_frame")
        est = np.asarray(self.values)
        se_log = np.sqrt(np.clip(np.diag(self.log_cov), 0.0, None))
        se = np.asarray(list(self.standard_errors.values()))
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "lower": est * np.exp(-z * se_log),
                "upper": est * np.exp(z * se_log),
            },
            index=pd.Index(self.names, name="parameter"),
        )


def fit_mle(
    loglik: LogLik,
    x0: Mapping[str, float],
    *,
    weights: FloatArray,
    owner: str,
    penalizer: float = 0.0,
    maxiter: int = 2000,
    gradient: Gradient | None = None,
    penalty_scale: Sequence[float] | None = None,
    warn: bool = True,
) -> MLEFit:
    """Maximise ``sum(weights * loglik(params))`` over positive parameters.

    Parameters
    ----------
    loglik
        Per-observation log-likelihoods given the natural parameters (vectorised).
    x0
        Starting values by name (positive).
    weights
        Multiplicity of each observation (rows compressed to unique values).
    owner
        The model's name, for messages.
    penalizer
        L2 penalty on the parameters (``penalizer * sum((scale * params)**2)`` added to
        the mean negative log-likelihood), as lifetimes does; 0 gives the plain MLE.
    gradient
        Per-observation gradients of ``loglik`` in the natural parameters, shape
        ``(n, k)``: with it the optimiser converges to the optimum, not to wherever
        finite differences lose precision on a flat ridge.
    penalty_scale
        Multipliers that make the penalised parameters unit-free (e.g. a rate scale
        measured in units of the longest customer age), so the penalty does not depend on
        the unit of time the data are given in.
    warn
        Emit the fit's :class:`~linkstar_funnel.errors.ConvergenceWarning` s now; with
        ``False`` they are kept in :attr:`MLEFit.issues` for the caller to decide.
    """
    names = tuple(x0)
    n = float(weights.sum())
    scale = np.ones(len(names)) if penalty_scale is None else np.asarray(penalty_scale, float)

    def objective(theta: FloatArray) -> float:
        if np.any(np.abs(theta) > 50):
            return np.inf
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            ll = loglik(params)
            value = -float(weights @ ll) / n + penalizer * float(
                (scale * params) @ (scale * params)
            )
        return value if np.isfinite(value) else np.inf

    def jacobian(theta: FloatArray) -> FloatArray:
        assert gradient is not None
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            g = -(weights @ gradient(params)) / n * params
            g = g + 2.0 * penalizer * (scale * params) ** 2
        return np.where(np.isfinite(g), g, 0.0)

    start = np.log(np.asarray([x0[k] for k in names], dtype=np.float64))
    check = (lambda t: _gradient(objective, t)) if gradient is None else jacobian
    # Finite differences at the edge of the domain meet inf - inf (numpy floating-point
    # warnings): the gradient check below decides.
    with np.errstate(all="ignore"):
        res = optimize.minimize(
            objective,
            start,
            method="BFGS",
            jac=None if gradient is None else jacobian,
            options={"maxiter": maxiter, "gtol": 1e-9},
        )
        grad = check(res.x)
        # Nelder-Mead rescues a fit whose finite-difference gradient lost precision. With
        # an exact gradient, BFGS stopping short means a boundary (a flat ridge toward a
        # limit model, which the caller decides about): Nelder-Mead would only wander
        # along it for up to 5 x maxiter steps (seconds per fit) to no better optimum.
        stuck = np.max(np.abs(grad)) >= _GRAD_OK and gradient is None
        if not np.isfinite(res.fun) or stuck:
            nm = optimize.minimize(
                objective,
                res.x if np.isfinite(res.fun) else start,
                method="Nelder-Mead",
                options={"maxiter": maxiter * 5, "xatol": 1e-8, "fatol": 1e-12},
            )
            if np.isfinite(nm.fun) and (not np.isfinite(res.fun) or nm.fun <= res.fun):
                res = nm
                grad = check(res.x)
    if not (np.all(np.isfinite(res.x)) and np.isfinite(res.fun)):
        msg = (
            f"{owner} did not converge: the optimiser stopped without a finite likelihood "
            f"({res.message}).\nHint: check the data for customers with recency > T or "
            "negative values, or pass a small penalizer."
        )
        raise ConvergenceError(msg)
    gmax = float(np.max(np.abs(grad)))
    edge = [k for k, t in zip(names, res.x, strict=True) if abs(t) > _BOUND]
    converged = gmax < _GRAD_OK and not edge
    issues: list[str] = []
    if edge:
        issues.append(
            f"{owner}: the parameter(s) {', '.join(edge)} ran to the edge of their domain "
            f"({', '.join(f'{k}={v:.3g}' for k, v in zip(names, np.exp(res.x), strict=True))}); "
            "the data do not identify them. The estimates are usable as a limit case; "
            "standard errors are not reported."
        )
    elif not converged:
        issues.append(
            f"{owner} stopped before converging (largest gradient {gmax:.2g}; optimiser: "
            f"{res.message}). The estimates are usable but check them."
        )
    k = len(names)
    log_cov = np.full((k, k), np.nan)
    if not edge:
        log_cov, problem = _log_covariance(lambda t: objective(t) * n, res.x, owner)
        issues += [problem] if problem else []
    values = np.exp(res.x)
    mle = MLEFit(
        names=names,
        values=tuple(float(v) for v in values),
        log_cov=log_cov,
        log_likelihood=-float(res.fun - penalizer * float((scale * values) @ (scale * values))) * n,
        n_obs=round(n),
        converged=converged,
        message=str(res.message),
        iterations=int(res.get("nit", 0)),
        issues=tuple(issues),
    )
    if warn:
        emit(mle, stacklevel=3)
    return mle


def emit(mle: MLEFit, *, stacklevel: int = 2) -> None:
    """Issue the fit's deferred :class:`~linkstar_funnel.errors.ConvergenceWarning` s."""
    for message in mle.issues:
        warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel + 1)


def _gradient(f: Callable[[FloatArray], float], x: FloatArray, h: float = 1e-6) -> FloatArray:
    out = np.empty_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (f(x + e) - f(x - e)) / (2 * h)
    return np.where(np.isfinite(out), out, np.inf)


def _log_covariance(
    f: Callable[[FloatArray], float], x: FloatArray, owner: str
) -> tuple[FloatArray, str]:
    k = len(x)
    h = 1e-4
    hess = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        for j in range(i, k):
            ei = np.zeros(k)
            ej = np.zeros(k)
            ei[i] = h
            ej[j] = h
            if i == j:
                val = (f(x + ei) - 2 * f0 + f(x - ei)) / h**2
            else:
                val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                    4 * h**2
                )
            hess[i, j] = hess[j, i] = val
    try:
        if not np.all(np.isfinite(hess)):
            raise np.linalg.LinAlgError
        np.linalg.cholesky(hess)
        return np.asarray(np.linalg.inv(hess), dtype=np.float64), ""
    except np.linalg.LinAlgError:
        problem = (
            f"{owner}: the Hessian at the optimum is not positive definite; standard errors "
            "are not available (NaN)."
        )
        return np.full((k, k), np.nan), problem


def compress(*columns: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Unique rows of the stacked columns and their multiplicities (speeds up the fits)."""
    stacked = np.column_stack(columns)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return [np.ascontiguousarray(uniq[:, i]) for i in range(uniq.shape[1])], counts.astype(
        np.float64
    )


def check_columns(
    frame: pd.DataFrame, names: Sequence[str], owner: str
) -> None:  # pragma: no cover - thin
    """Raise a ColumnNotFoundError for the first missing column."""
    from ..errors import ColumnNotFoundError

    for name in names:
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, frame_name=f"{owner} input")
