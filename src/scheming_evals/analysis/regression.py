"""Logistic regression of a behaviour on the condition factors, for crossed designs.

Each factor enters as indicators of its non-default levels (treatment coding against the
paper's default), main effects only. The maximum-likelihood fit is statsmodels' ``Logit``. When
the data are separated (a level where the behaviour is always or never seen, so the MLE runs off
to infinity), the fit is Firth's bias-reduced (Jeffreys-penalised) logistic regression instead,
which stays finite. Its intervals and p-values are those of R's ``logistf`` (its default
``pl=TRUE``; Heinze & Schemper 2002): 95% profile penalised-likelihood intervals (the values of
each coefficient where twice the drop of the profiled penalised log-likelihood reaches the
chi-square(1) 0.95 quantile) and penalised likelihood-ratio tests (the coefficient fixed at 0,
the others re-maximised, the penalty that of the full model). Wald intervals from the penalised
information are kept on each term as a labelled secondary (``wald_*``): under separation they are
the wrong shape (6/20 vs 0/20: Wald p = 0.053, profile p = 0.008).

By scenario. The fits above treat rollouts as independent; rollouts of one scenario are not. For
a maximum-likelihood fit, the same coefficients also get cluster-robust (by scenario) Wald 95%
intervals and p-values (statsmodels ``Logit`` with ``cov_type="cluster"``, small-sample
corrected), kept on each term as ``cluster_*``. Under separation no maximum-likelihood estimate
exists to put a sandwich around, so Firth stays the primary and ``cluster_note`` says the
cluster-robust version was not fitted; likewise with fewer than ``stats.MIN_CLUSTERS`` scenarios.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from scipy.stats import chi2, norm

from ..stats import MIN_CLUSTERS

Z95 = float(norm.ppf(0.975))
CHI2_95 = float(chi2.ppf(0.95, 1))


@dataclass(frozen=True)
class Term:
    name: str  # e.g. "nudge=none"
    odds_ratio: float
    low: float
    high: float
    p_value: float
    # secondary, for the Firth fit only: Wald interval and p-value from the penalised information
    wald_low: float = float("nan")
    wald_high: float = float("nan")
    wald_p: float = float("nan")
    # cluster-robust by scenario (maximum-likelihood fits only): Wald 95% interval and p-value
    cluster_low: float = float("nan")
    cluster_high: float = float("nan")
    cluster_p: float = float("nan")
    # Holm-adjusted over every term fitted for the model (``dissection.regressions``), and m
    p_holm: float = float("nan")
    family_size: int = 0


@dataclass
class Regression:
    eval: str
    model: str
    behaviour: str
    n: int
    k: int
    factors: list[str]
    method: str  # "maximum likelihood", "Firth (separation)" or "none"
    # how the intervals and p-values were computed
    inference: str = ""
    terms: list[Term] = field(default_factory=list)
    note: str = ""
    clusters: int = 0  # scenarios
    cluster_note: str = ""  # why there are no cluster-robust intervals, if there are none

    def cluster_lines(self) -> list[str]:
        """Per term: ``name: [low, high], p = ...`` by scenario, or one line saying why not."""
        if self.cluster_note:
            return [self.cluster_note]
        return [f"{t.name}: [{t.cluster_low:.3g}, {t.cluster_high:.3g}], p "
                + (f"= {t.cluster_p:.3f}" if t.cluster_p >= 0.001 else "< 0.001")
                for t in self.terms]


FIRTH_INFERENCE = ("95% profile penalised-likelihood intervals and penalised likelihood-ratio "
                   "p-values (as R's logistf)")


def design(rows: pd.DataFrame, factors: list[str], defaults: dict[str, str]
           ) -> tuple[np.ndarray, list[str]]:
    """Intercept + one indicator per non-default level present, in a stable order."""
    cols, names = [np.ones(len(rows))], ["intercept"]
    for f in factors:
        for level in sorted(set(rows[f].dropna()) - {defaults[f]}):
            cols.append((rows[f] == level).to_numpy(float))
            names.append(f"{f}={level}")
    return np.column_stack(cols), names


def penalised_loglik(X: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    """Firth's penalised log-likelihood l(beta) + 1/2 log det I(beta) (Jeffreys prior)."""
    return _penalised(X, y, beta)[0]


def _penalised(X: np.ndarray, y: np.ndarray, b: np.ndarray
               ) -> tuple[float, np.ndarray, np.ndarray]:
    eta = X @ b
    p = np.clip(expit(eta), 1e-15, 1 - 1e-15)
    info = X.T @ (X * (p * (1 - p))[:, None])
    _, logdet = np.linalg.slogdet(info)
    # log p = -log(1 + e^-eta), log(1-p) = -log(1 + e^eta): exact far into the tails
    ll = float(-np.sum(y * np.logaddexp(0, -eta) + (1 - y) * np.logaddexp(0, eta)))
    return ll + 0.5 * float(logdet), p, info


def _firth_fit(X: np.ndarray, y: np.ndarray, beta0: np.ndarray, free: np.ndarray,
               max_iter: int = 200, tol: float = 1e-9) -> tuple[np.ndarray, float]:
    """Maximise the penalised log-likelihood over the coefficients in ``free`` (the others
    held at their values in ``beta0``): Newton steps on the modified score
    U* = X'(y - p + h(1/2 - p)), h the hat-matrix diagonal of the full model, with step halving
    on the penalised log-likelihood and steps capped at 5 (as in logistf)."""
    beta = beta0.astype(float).copy()
    ll, p, info = _penalised(X, y, beta)
    for _ in range(max_iter):
        cov = np.linalg.inv(info)
        h = np.einsum("ij,jk,ik->i", X, cov, X) * p * (1 - p)
        score = X.T @ (y - p + h * (0.5 - p))
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(info[np.ix_(free, free)], score[free])
        if np.max(np.abs(step)) > 5:
            step *= 5 / np.max(np.abs(step))
        for _ in range(40):
            new_ll, new_p, new_info = _penalised(X, y, beta + step)
            if new_ll >= ll - 1e-12:
                break
            step /= 2
        beta = beta + step
        ll, p, info = new_ll, new_p, new_info
        if np.max(np.abs(step)) < tol:
            break
    return beta, ll


def firth_logit(X: np.ndarray, y: np.ndarray, max_iter: int = 200, tol: float = 1e-9
                ) -> tuple[np.ndarray, np.ndarray]:
    """Firth (1993) penalised logistic regression: coefficients and their Wald standard errors
    (from the penalised information; a secondary, see ``firth_profile``)."""
    beta, _ = _firth_fit(X, y, np.zeros(X.shape[1]), np.ones(X.shape[1], bool), max_iter, tol)
    _, _, info = _penalised(X, y, beta)
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


@dataclass(frozen=True)
class FirthResult:
    beta: np.ndarray
    se: np.ndarray  # Wald, from the penalised information (secondary)
    low: np.ndarray  # profile penalised-likelihood interval
    high: np.ndarray
    chisq: np.ndarray  # penalised likelihood-ratio statistic for beta_j = 0
    p_value: np.ndarray
    loglik: float  # maximised penalised log-likelihood


def _profile(X: np.ndarray, y: np.ndarray, j: int, b: float, start: np.ndarray) -> float:
    """The penalised log-likelihood maximised over the other coefficients, beta_j fixed at b."""
    free = np.ones(X.shape[1], bool)
    free[j] = False
    beta0 = start.copy()
    beta0[j] = b
    return _firth_fit(X, y, beta0, free)[1] if free.any() else _penalised(X, y, beta0)[0]


def firth_profile(X: np.ndarray, y: np.ndarray, alpha: float = 0.05,
                  max_width: float = 60.0) -> FirthResult:
    """Firth fit with logistf's default inference: profile penalised-likelihood intervals and
    penalised likelihood-ratio p-values. An interval end that does not cross the chi-square
    cut within ``max_width`` of the estimate (on the log-odds scale) is reported as infinite."""
    beta, se = firth_logit(X, y)
    top = _penalised(X, y, beta)[0]
    cut = float(chi2.ppf(1 - alpha, 1))
    k = X.shape[1]
    low, high, stat = np.empty(k), np.empty(k), np.empty(k)
    for j in range(k):
        stat[j] = max(0.0, 2 * (top - _profile(X, y, j, 0.0, beta)))

        def excess(b: float, j: int) -> float:
            return 2 * (top - _profile(X, y, j, b, beta)) - cut

        for sign, out in ((-1, low), (1, high)):
            width = max(1.0, 2 * Z95 * float(se[j]))
            while excess(beta[j] + sign * width, j) < 0 and width < max_width:
                width *= 2
            edge = float(beta[j] + sign * width)
            if excess(edge, j) < 0:
                out[j] = sign * np.inf
            else:
                a, b = sorted((float(beta[j]), edge))
                out[j] = brentq(excess, a, b, args=(j,), xtol=1e-10)
    return FirthResult(beta, se, low, high, stat, chi2.sf(stat, 1), top)


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


def cluster_logit(X: np.ndarray, y: np.ndarray, groups: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Maximum-likelihood logit with cluster-robust (by ``groups``) covariance: coefficients,
    95% Wald intervals (k x 2) and p-values; None when the fit fails."""
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            res = sm.Logit(y, X).fit(disp=0, maxiter=200, cov_type="cluster",
                                     cov_kwds={"groups": groups})
        except Exception:  # noqa: BLE001 - separation, singular Hessian or non-convergence
            return None
    ci = np.asarray(res.conf_int(0.05))
    if not np.all(np.isfinite(ci)):
        return None
    return np.asarray(res.params), ci, np.asarray(res.pvalues)


def fit(rows: pd.DataFrame, behaviour: str, factors: list[str], defaults: dict[str, str],
        eval_name: str = "", model: str = "", cluster: str = "scenario") -> Regression:
    """Regress ``behaviour`` on ``factors`` (odds ratios with 95% intervals), and with
    cluster-robust intervals by ``cluster`` where the maximum-likelihood fit exists."""
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
    groups = (pd.factorize(data[cluster].astype(object).where(data[cluster].notna(), "?"))[0]
              if cluster in data else np.zeros(len(y), int))
    reg.clusters = int(len(np.unique(groups)))
    got = None if _separated(X, y) else _mle(X, y)
    if got is None:
        f = firth_profile(X, y)
        reg.method = "Firth (separation)"
        reg.inference = FIRTH_INFERENCE
        reg.note = ("separation: a level where the behaviour is always or never seen; "
                    "Firth-penalised estimates, " + FIRTH_INFERENCE)
        reg.cluster_note = ("not fitted (separation: no maximum-likelihood "
                            "estimate; the Firth intervals are the ones to read)")
        for j in range(1, len(names)):
            wald_p = float(2 * norm.sf(abs(f.beta[j] / f.se[j])))
            reg.terms.append(Term(
                names[j], float(np.exp(f.beta[j])), float(np.exp(f.low[j])),
                float(np.exp(f.high[j])), float(f.p_value[j]),
                float(np.exp(f.beta[j] - Z95 * f.se[j])),
                float(np.exp(f.beta[j] + Z95 * f.se[j])), wald_p))
        return reg
    beta, se, pvals = got
    reg.method = "maximum likelihood"
    reg.inference = "Wald 95% intervals and Wald p-values"
    robust = cluster_logit(X, y, groups) if reg.clusters >= MIN_CLUSTERS else None
    if reg.clusters < MIN_CLUSTERS:
        reg.cluster_note = (f"not fitted ({reg.clusters} scenario"
                            f"{'s' if reg.clusters != 1 else ''}, fewer than {MIN_CLUSTERS})")
    elif robust is None:
        reg.cluster_note = "not fitted (the cluster-robust fit failed)"
    nan = float("nan")
    for j in range(1, len(names)):
        cl, ch, cp = ((float(np.exp(robust[1][j, 0])), float(np.exp(robust[1][j, 1])),
                       float(robust[2][j])) if robust is not None else (nan, nan, nan))
        reg.terms.append(Term(names[j], float(np.exp(beta[j])),
                              float(np.exp(beta[j] - Z95 * se[j])),
                              float(np.exp(beta[j] + Z95 * se[j])), float(pvals[j]),
                              cluster_low=cl, cluster_high=ch, cluster_p=cp))
    return reg
