"""Logistic regression of a behaviour on the condition factors, for crossed designs.

Each factor enters as indicators of its non-default levels (treatment coding against the
paper's default), main effects only. The maximum-likelihood fit is statsmodels' ``Logit``. When
the data are separated (a level where the behaviour is always or never seen, so the MLE runs off
to infinity), the fit is Firth's bias-reduced (Jeffreys-penalised) logistic regression instead,
which stays finite; its intervals are Wald intervals from the penalised information and are
flagged as approximate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class Term:
    name: str  # e.g. "nudge=none"
    odds_ratio: float
    low: float
    high: float
    p_value: float


@dataclass
class Regression:
    eval: str
    model: str
    behaviour: str
    n: int
    k: int
    factors: list[str]
    method: str  # "maximum likelihood", "Firth (separation)" or "none"
    terms: list[Term] = field(default_factory=list)
    note: str = ""


def design(rows: pd.DataFrame, factors: list[str], defaults: dict[str, str]
           ) -> tuple[np.ndarray, list[str]]:
    """Intercept + one indicator per non-default level present, in a stable order."""
    cols, names = [np.ones(len(rows))], ["intercept"]
    for f in factors:
        for level in sorted(set(rows[f].dropna()) - {defaults[f]}):
            cols.append((rows[f] == level).to_numpy(float))
            names.append(f"{f}={level}")
    return np.column_stack(cols), names


def firth_logit(X: np.ndarray, y: np.ndarray, max_iter: int = 200, tol: float = 1e-9
                ) -> tuple[np.ndarray, np.ndarray]:
    """Firth (1993) penalised logistic regression: coefficients and their Wald standard errors.

    Newton steps on the modified score U* = X'(y - p + h(1/2 - p)), h the hat-matrix diagonal,
    with step halving on the penalised log-likelihood and steps capped at 5 (as in logistf).
    """
    beta = np.zeros(X.shape[1])

    def penalised(b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        p = np.clip(expit(X @ b), 1e-12, 1 - 1e-12)
        info = X.T @ (X * (p * (1 - p))[:, None])
        sign, logdet = np.linalg.slogdet(info)
        ll = float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) + 0.5 * logdet)
        return ll, p, info

    ll, p, info = penalised(beta)
    for _ in range(max_iter):
        cov = np.linalg.inv(info)
        h = np.einsum("ij,jk,ik->i", X, cov, X) * p * (1 - p)
        step = cov @ (X.T @ (y - p + h * (0.5 - p)))
        if np.max(np.abs(step)) > 5:
            step *= 5 / np.max(np.abs(step))
        for _ in range(30):
            new_ll, new_p, new_info = penalised(beta + step)
            if new_ll >= ll - 1e-12:
                break
            step /= 2
        beta = beta + step
        ll, p, info = new_ll, new_p, new_info
        if np.max(np.abs(step)) < tol:
            break
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


def _separated(X: np.ndarray, y: np.ndarray) -> bool:
    """Complete or quasi-complete separation along an indicator: a level (or its absence)
    where the outcome never varies in a direction the MLE can exploit. Checked directly, then
    by the fit itself (non-convergence or exploding coefficients)."""
    for j in range(1, X.shape[1]):
        on = X[:, j] == 1
        if on.any() and (y[on].min() == y[on].max()):
            return True
    return False


def _mle(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            fit = sm.Logit(y, X).fit(disp=0, maxiter=200)
        except Exception:  # noqa: BLE001 - separation, singular Hessian or non-convergence
            return None
    if not fit.mle_retvals.get("converged", False) or np.any(np.abs(fit.params) > 15):
        return None
    return np.asarray(fit.params), np.asarray(fit.bse), np.asarray(fit.pvalues)


def fit(rows: pd.DataFrame, behaviour: str, factors: list[str], defaults: dict[str, str],
        eval_name: str = "", model: str = "") -> Regression:
    """Regress ``behaviour`` on ``factors`` (odds ratios with 95% intervals)."""
    data = rows[rows[behaviour].notna()]
    y = data[behaviour].astype(bool).to_numpy(float)
    reg = Regression(eval_name, model, behaviour, len(y), int(y.sum()), factors, "none")
    if len(y) == 0 or y.min() == y.max():
        reg.note = f"constant outcome ({int(y.sum())}/{len(y)}): nothing to regress"
        return reg
    X, names = design(data, factors, defaults)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        reg.note = "factors confounded in these data (design matrix not of full rank)"
        return reg
    got = None if _separated(X, y) else _mle(X, y)
    if got is None:
        beta, se = firth_logit(X, y)
        pvals = 2 * norm.sf(np.abs(beta / se))
        reg.method = "Firth (separation)"
        reg.note = ("separation: a level where the behaviour is always or never seen; "
                    "Firth-penalised estimates, approximate Wald intervals")
    else:
        beta, se, pvals = got
        reg.method = "maximum likelihood"
    for j in range(1, len(names)):
        reg.terms.append(Term(names[j], float(np.exp(beta[j])),
                              float(np.exp(beta[j] - Z95 * se[j])),
                              float(np.exp(beta[j] + Z95 * se[j])), float(pvals[j])))
    return reg
