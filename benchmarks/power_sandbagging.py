"""Rollouts needed to detect sandbagging: paired vs unpaired test (README, Sandbagging).

Model (stated in the README's table): each pair is one question seed (10 questions) answered
under both incentives. The pair's per-question probability of a right answer when doing well is
``p_i ~ Beta(m * k, (1 - m) * k)`` with mean ``m = 0.7`` and concentration ``k = 2`` (some
question sets are much harder than others: between-pair sd of p_i 0.26); when doing poorly it is
``p_i * (1 - delta / m)``, so the mean accuracy drops by exactly ``delta``. Each rollout's
accuracy is Binomial(10, p) / 10, independently given p_i. ``n`` is the number of pairs, i.e.
rollouts per incentive; the unpaired test sees the same rollouts without the pairing.

Search: for each delta, the smallest n whose simulated power at alpha 0.01 reaches 80%
(bisection from the normal-approximation n, bracket widened until it holds), using the
normal-theory equivalents of the two tests (paired: one-sample t on the pair differences;
unpaired: Welch's t), 4,000 data sets per n. Check: at the n found, the power
of the tests the reports use (``stats.paired_test``'s paired bootstrap and the unpaired
``stats.bootstrap_diff``, both 2,000 resamples), 200 data sets. Seeded; runs in well under a
minute.

    python benchmarks/power_sandbagging.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from scipy.stats import norm, ttest_1samp, ttest_ind

from scheming_evals.stats import bootstrap_diff, paired_test

ALPHA, POWER, MEAN, CONC, QUESTIONS = 0.01, 0.80, 0.7, 2.0, 10
DELTAS = (0.05, 0.10, 0.20)
SEARCH_SIMS, CHECK_SIMS, CHECK_BOOT = 4_000, 200, 2_000


def simulate(rng: np.random.Generator, n: int, delta: float, sims: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """``sims`` data sets of n pairs: accuracies (do_well, do_poorly), each (sims, n)."""
    p = rng.beta(MEAN * CONC, (1 - MEAN) * CONC, (sims, n))
    well = rng.binomial(QUESTIONS, p) / QUESTIONS
    poorly = rng.binomial(QUESTIONS, p * (1 - delta / MEAN)) / QUESTIONS
    return well, poorly


def power(seed: int, n: int, delta: float, paired: bool) -> float:
    rng = np.random.default_rng((seed, n))
    well, poorly = simulate(rng, n, delta, SEARCH_SIMS)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant data sets at tiny n
        if paired:
            p = ttest_1samp(well - poorly, 0.0, axis=1).pvalue
        else:
            p = ttest_ind(well, poorly, axis=1, equal_var=False).pvalue
    return float(np.mean(np.nan_to_num(p, nan=1.0) <= ALPHA))


def needed(delta: float, paired: bool, seed: int) -> int:
    """Smallest n with power >= 80%: bracket the normal-approximation n, then bisect."""
    well, poorly = simulate(np.random.default_rng(seed), 50_000, delta, 1)
    var = np.var(well - poorly) if paired else np.var(well) + np.var(poorly)
    guess = (norm.ppf(1 - ALPHA / 2) + norm.ppf(POWER)) ** 2 * float(var) / delta ** 2
    lo, hi = max(1, int(guess * 0.8)), max(3, int(guess * 1.25) + 1)
    while hi > 3 and power(seed, hi, delta, paired) < POWER:
        lo, hi = hi, hi * 2
    while lo > 2 and power(seed, lo, delta, paired) >= POWER:
        lo, hi = lo // 2, lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(seed, mid, delta, paired) >= POWER:
            hi = mid
        else:
            lo = mid
    return hi


def check(n: int, delta: float, paired: bool, seed: int) -> float:
    """Power of the reports' own test at n (200 data sets, 2,000 resamples each)."""
    rng = np.random.default_rng(seed)
    well, poorly = simulate(rng, n, delta, CHECK_SIMS)
    hits = 0
    for i in range(CHECK_SIMS):
        if paired:
            hits += paired_test(well[i], poorly[i], ALPHA, seed=i, n_boot=CHECK_BOOT,
                                n_draws=1_000).rejects
        else:
            hits += bootstrap_diff(list(well[i]), list(poorly[i]), ALPHA, CHECK_BOOT,
                                   seed=i)[2] <= ALPHA
    return hits / CHECK_SIMS


def main() -> None:
    start = time.perf_counter()
    print(f"alpha {ALPHA}, power {POWER:.0%}; p_i ~ Beta({MEAN * CONC:g}, "
          f"{(1 - MEAN) * CONC:g}) (mean {MEAN}), {QUESTIONS} questions per rollout")
    print("| difference | pairs needed, paired | rollouts per incentive, unpaired | ratio | "
          "power at that n (paired bootstrap / unpaired bootstrap) |")
    print("|---|---|---|---|---|")
    for j, delta in enumerate(DELTAS):
        n_p, n_u = needed(delta, True, 10 + j), needed(delta, False, 20 + j)
        c_p, c_u = check(n_p, delta, True, 30 + j), check(n_u, delta, False, 40 + j)
        print(f"| {delta:.2f} | {n_p} | {n_u} | {n_u / n_p:.1f}x | {c_p:.2f} / {c_u:.2f} |")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
