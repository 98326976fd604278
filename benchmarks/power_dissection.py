"""Rollouts needed to detect a difference in one dissection cell (README, The report).

One cell of the dissection compares a behaviour's rate under the default condition (p0) with its
rate under one changed condition (p1), n rollouts each. The test is the dissection's own:
Newcombe's hybrid-Wilson interval (``dissection.newcombe``) excluding 0 at level 1 - alpha/m,
which is where the Holm-adjusted p falls below alpha for the smallest p of a family of m
comparisons (Holm's first step is Bonferroni's; with one real difference among m - 1 null ones
this is its power). alpha is ``dissection.ALPHA``; m is the family ``dissection.FAMILY``
declares: 1 (unadjusted), every single change of one behaviour (``single_changes``), and every
covert behaviour of every covert eval times every single change (the largest family one model's
dissection can have under the full condition grid).

Power at n is computed exactly, summing the binomial probabilities of every (k1, k0) whose
Newcombe interval excludes 0 (a vectorised copy of the interval, checked against
``dissection.newcombe`` on every outcome at a small n); the smallest n with power >= 80% is
found by bisection (a discrete test's power is not exactly monotone in n: the n is where it
first crosses within the bracket). Check: at that n, 10,000 simulated cells decided by
``dissection.newcombe`` itself. Cross-check: the arcsine closed form
(statsmodels ``NormalIndPower`` with ``proportion_effectsize``).

Scenario clustering: with rollouts spread over S = 37 scenarios and an intra-scenario
correlation rho, the variance grows by the design effect 1 + (n/S - 1) rho (independent
clusters, equal sizes: Kish 1965), so n_clustered = n (1 - rho) / (1 - n rho / S), and no n
suffices once n rho / S >= 1 (more rollouts of the same scenarios stop helping). The dissection's
two conditions run on the same scenarios, which helps when a scenario's effect is shared by
both, so this is the pessimistic case.

    python benchmarks/power_dissection.py
"""

from __future__ import annotations

import math
import os
import time
from datetime import date

import numpy as np
from scipy.stats import binom, norm
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from scheming_evals.analysis import dissection
from scheming_evals.evals.registry import specs

ALPHA, POWER = dissection.ALPHA, 0.80
BASELINES = (0.02, 0.05, 0.10, 0.20)
CHANGES = (0.05, 0.10, 0.20, None)  # p1 = p0 + change; None: p1 = 0 (the behaviour disappears)
SCENARIOS, RHO = 37, 0.05
CHECK_SIMS = 10_000


def family_sizes() -> dict[str, int]:
    changes = len(dissection.single_changes())
    behaviours = sum(len(s.behaviours) for s in specs() if s.kind == "covert")
    return {"unadjusted": 1, "one behaviour": changes, "full family": behaviours * changes}


def _wilson(k: np.ndarray, n: int, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def excludes_zero(k1: np.ndarray, k0: np.ndarray, n: int, z: float) -> np.ndarray:
    """Newcombe's hybrid interval for k1/n - k0/n at quantile z excludes 0 (broadcasts)."""
    p1, l1, u1 = _wilson(k1, n, z)
    p0, l0, u0 = _wilson(k0, n, z)
    d = p1 - p0
    low = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    out: np.ndarray = (low > 0) | (high < 0)
    return out


def _support(n: int, p: float) -> np.ndarray:
    lo, hi = binom.ppf(1e-12, n, p), binom.isf(1e-12, n, p)
    return np.arange(int(max(0, lo - 1)), int(min(n, hi + 1)) + 1)


def power(n: int, p1: float, p0: float, level: float) -> float:
    """Exact power of the Newcombe test at ``level`` (alpha/m), n rollouts per condition."""
    z = float(norm.isf(level / 2))
    k1, k0 = _support(n, p1), _support(n, p0)
    reject = excludes_zero(k1[:, None].astype(float), k0[None, :].astype(float), n, z)
    return float(binom.pmf(k1, n, p1) @ reject @ binom.pmf(k0, n, p0))


def needed(p1: float, p0: float, level: float) -> int:
    """Smallest n (per condition) with power >= POWER: bracket, then bisect."""
    lo, hi = 1, 8
    while power(hi, p1, p0, level) < POWER:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid, p1, p0, level) >= POWER:
            hi = mid
        else:
            lo = mid
    return hi


def closed_form(p1: float, p0: float, level: float) -> int:
    es = abs(float(proportion_effectsize(p1, p0)))
    return math.ceil(NormalIndPower().solve_power(effect_size=es, alpha=level, power=POWER,
                                                  ratio=1.0, alternative="two-sided"))


def simulated(n: int, p1: float, p0: float, level: float, seed: int) -> float:
    """Power of ``dissection.newcombe`` itself at n, over CHECK_SIMS simulated cells."""
    rng = np.random.default_rng(seed)
    k1, k0 = rng.binomial(n, p1, CHECK_SIMS), rng.binomial(n, p0, CHECK_SIMS)
    hits = 0
    for a, b in zip(k1, k0, strict=True):
        d = dissection.newcombe(int(a), n, int(b), n, level)
        hits += d.low > 0 or d.high < 0
    return hits / CHECK_SIMS


def clustered(n: int) -> str:
    """n per condition under scenario clustering (module docstring), or why none suffices."""
    room = 1 - n * RHO / SCENARIOS
    return f"{math.ceil(n * (1 - RHO) / room)}" if room > 0 else "none"


def self_check() -> None:
    """The vectorised interval decides as ``dissection.newcombe`` on every outcome at n = 30."""
    n, level = 30, 0.05 / 11
    z = float(norm.isf(level / 2))
    for a in range(n + 1):
        for b in range(n + 1):
            d = dissection.newcombe(a, n, b, n, level)
            mine = bool(excludes_zero(np.array(float(a)), np.array(float(b)), n, z))
            assert mine == (d.low > 0 or d.high < 0), (a, b)


def main() -> None:
    start = time.perf_counter()
    self_check()
    sizes = family_sizes()
    print(f"{date.today()}, load average {os.getloadavg()[0]:.2f}; alpha {ALPHA}, power "
          f"{POWER:.0%}; family sizes m: {sizes}")
    head = " | ".join(f"{k} (m={m}): exact (arcsine)" for k, m in sizes.items())
    print(f"| default rate | changed rate | {head} | full family, ICC {RHO}, "
          f"{SCENARIOS} scenarios | simulated power at the full-family n |")
    print("|---|---|" + "---|" * (len(sizes) + 2))
    seed = 0
    for p0 in BASELINES:
        for change in CHANGES:
            p1 = 0.0 if change is None else p0 + change
            cells, last = [], 0
            for m in sizes.values():
                level = ALPHA / m
                last = needed(p1, p0, level)
                cells.append(f"{last} ({closed_form(p1, p0, level)})")
            seed += 1
            sim = simulated(last, p1, p0, ALPHA / sizes["full family"], seed)
            print(f"| {p0:.2f} | {p1:.2f} | " + " | ".join(cells)
                  + f" | {clustered(last)} | {sim:.2f} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
