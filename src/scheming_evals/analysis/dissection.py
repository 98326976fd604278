"""How each behaviour's rate varies with each ingredient of the setup (SPEC section 4).

For each covert eval, model and behaviour: the rate under the default condition (strong nudge,
goal in the system prompt, conflicting goals, no honesty instruction, memo present, hard,
visible reasoning) and under each single change of one condition, with the difference
(changed - default), its Newcombe hybrid-Wilson 95% interval (Newcombe 1998, method 10) and the
p-value of that interval (the smallest alpha whose Newcombe interval excludes 0; ``newcombe_p``).

Multiplicity. Every comparison the dissection makes for one model (all its evals, behaviours and
single changes) is one declared family (``FAMILY``). Within it the p-values are Holm-adjusted
(family-wise error 0.05; Benjamini-Hochberg q-values alongside) and each difference also gets a
Bonferroni-width interval (Newcombe at 1 - 0.05/m, m the family size): simultaneous 95% intervals
for the whole family. The verdict is read from the adjusted results:

- ``drop`` / ``rise``: Holm-adjusted p < 0.05 (Holm may reject while the Bonferroni-width interval
  still touches 0: Holm is the more powerful of the two at the same family-wise error);
- ``no change``: the simultaneous interval lies within +-``MARGIN`` (an effect that large is ruled
  out for every comparison of the family at once);
- ``inconclusive``: neither: too few rollouts to conclude (``SMALL_N_RULE``);
- ``never seen``: the behaviour occurred in neither condition.

By scenario. Rollouts cluster by scenario (a model may scheme in a few scenarios only), which
the Newcombe interval ignores. Each difference also gets a 95% cluster-bootstrap interval that
resamples the scenarios jointly for both conditions (``stats.cluster_diff``), shown beside the
iid one with how many scenarios carry the behaviour under each condition; it is descriptive and
does not enter the verdict (the families and their adjustment are the iid ones).

The unadjusted 95% verdict is kept as ``raw_verdict``. A verdict describes an association in this
design (the rate with one condition changed against the default), not a mechanism.

Where several factors were varied jointly (a crossed design), a logistic regression of the
behaviour on the factors (``regression.fit``) gives odds ratios adjusted for each other; its
p-values form a second family per model (every term of every regression fitted for it),
Holm-adjusted within it (``regressions``), apart from the family above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from ..conditions import CONDITIONS, DEFAULTS
from ..stats import Clustered, Rate, cluster_diff
from . import paper, regression
from .tables import Counts, ScenarioCounts, covert, covert_behaviours, models

ALPHA = 0.05
MARGIN = 0.20
FAMILY = ("all single-change comparisons the dissection makes for the model (every covert eval, "
          "behaviour and change of one condition with data)")
SMALL_N_RULE = (
    f"Each model's comparisons form one family; p-values are Holm-adjusted within it "
    f"(family-wise error {ALPHA:.2f}; Benjamini-Hochberg q-values alongside) and every difference "
    f"also has a simultaneous interval (Newcombe at the Bonferroni level {ALPHA:.2f}/m, m the "
    f"number of comparisons for that model). A difference is read as an association when its "
    f"Holm-adjusted p is below {ALPHA:.2f}, as no difference when its simultaneous interval lies "
    f"within ±{MARGIN:.2f}, and is flagged 'too few rollouts to conclude' otherwise. Unadjusted "
    f"p-values and 95% intervals are shown alongside."
)

# where the change is, in words
PHRASES: dict[tuple[str, str], str] = {
    ("nudge", "none"): "without the nudge",
    ("goal", "none"): "with no goal given",
    ("goal", "user"): "with the goal in the user's message",
    ("relation", "aligned"): "with aligned goals",
    ("relation", "reversed"): "with the less pro-social goal",
    ("honesty", "instructed"): "with an honesty instruction",
    ("memo", "absent"): "without the memo",
    ("difficulty", "medium"): "with the noticing hint",
    ("difficulty", "easy"): "with the instruction to disable monitoring",
    ("reasoning", "scratchpad"): "with the hidden scratchpad",
    ("reasoning", "none"): "without visible reasoning",
    ("framing", "neutral"): "with neutral framing",
    ("framing", "fiction"): "when told as fiction",
}


def single_changes() -> list[tuple[str, str]]:
    """Every (factor, non-default value) of the condition grid."""
    return [(c.name, v) for c in CONDITIONS.values() for v in c.values if v != c.default]


@dataclass(frozen=True)
class Diff:
    diff: float
    low: float
    high: float


def _wilson_z(k: int, n: int, z: float) -> tuple[float, float, float]:
    """Wilson score interval (p, low, high) at normal quantile ``z`` (as ``stats.wilson``)."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)


def _newcombe_z(k1: int, n1: int, k0: int, n0: int, z: float) -> Diff:
    p1, l1, u1 = _wilson_z(k1, n1, z)
    p0, l0, u0 = _wilson_z(k0, n0, z)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Diff(d, max(-1.0, low), min(1.0, high))


def newcombe(k1: int, n1: int, k0: int, n0: int, alpha: float = ALPHA) -> Diff:
    """p1 - p0 with Newcombe's hybrid score interval (method 10) from two Wilson intervals."""
    return _newcombe_z(k1, n1, k0, n0, float(norm.isf(alpha / 2)))


def newcombe_p(k1: int, n1: int, k0: int, n0: int) -> float:
    """Two-sided p-value of the Newcombe interval: the smallest alpha at which the interval
    excludes 0 (so p < 0.05 exactly when the 95% interval excludes 0). 1 when the observed
    rates are equal; floored at 1e-300."""
    d = k1 / n1 - k0 / n0
    if d == 0:
        return 1.0

    def gap(z: float) -> float:  # distance of the interval's near end past 0 (>0: excludes 0)
        x = _newcombe_z(k1, n1, k0, n0, z)
        return x.low if d > 0 else -x.high

    z_max = 37.0  # 2 * norm.sf(37) ~ 1e-300
    if gap(z_max) > 0:
        return 1e-300
    return float(2 * norm.sf(brentq(gap, 0.0, z_max, xtol=1e-12)))


@dataclass(frozen=True)
class Effect:
    eval: str
    model: str
    behaviour: str
    factor: str
    value: str
    base: Rate
    changed: Rate
    diff: Diff  # unadjusted: Newcombe 95%
    verdict: str  # drop | rise | no change | inconclusive | never seen (from adjusted results)
    sentence: str
    p_value: float = 1.0  # unadjusted (``newcombe_p``)
    p_holm: float = 1.0  # Holm-adjusted within the model's family
    p_bh: float = 1.0  # Benjamini-Hochberg q-value within the model's family
    simultaneous: Diff | None = None  # Newcombe at 1 - ALPHA/m (Bonferroni width)
    family_size: int = 1  # m: comparisons in the model's family
    raw_verdict: str = ""  # the verdict from the unadjusted 95% interval
    by_scenario: Clustered | None = None  # the difference, scenario cluster bootstrap 95%
    base_scenarios: tuple[int, int] = (0, 0)  # (scenarios with the behaviour, scenarios run)
    changed_scenarios: tuple[int, int] = (0, 0)

    @property
    def change(self) -> str:
        return f"{self.factor}={self.value}"

    @property
    def scenario_interval(self) -> str:
        """The by-scenario 95% interval of the difference, or ``– (why not)``."""
        c = self.by_scenario
        if c is None:
            return "–"
        return f"– ({c.reason})" if c.reason else f"[{c.low:+.2f}, {c.high:+.2f}]"

    @property
    def flagged(self) -> bool:
        """Too few rollouts to conclude (``SMALL_N_RULE``)."""
        return (self.verdict in ("inconclusive", "never seen")
                and not _narrow(self.simultaneous or self.diff))


@dataclass(frozen=True)
class Family:
    """One model's declared family of comparisons and what survives adjustment."""

    model: str
    size: int  # comparisons made
    never_seen: int  # of which the behaviour occurred in neither condition (p = 1)
    raw: int  # unadjusted p < ALPHA
    holm: int  # Holm-adjusted p < ALPHA
    bh: int  # Benjamini-Hochberg q < ALPHA

    @property
    def statement(self) -> str:
        return (f"{self.model}: {self.size} comparison{'s' if self.size != 1 else ''} made "
                f"({self.never_seen} with the behaviour seen in neither condition); "
                f"{self.raw} significant at {ALPHA:.2f} unadjusted, {self.holm} after Holm "
                f"adjustment (family-wise error {ALPHA:.2f}), {self.bh} at a Benjamini-Hochberg "
                f"false discovery rate of {ALPHA:.2f}.")


def _narrow(d: Diff) -> bool:
    return d.low >= -MARGIN and d.high <= MARGIN


def verdict(base: Rate, changed: Rate, d: Diff) -> str:
    """The unadjusted verdict, from one 95% interval."""
    if base.k == changed.k == 0:
        return "never seen"
    if d.low > 0:
        return "rise"
    if d.high < 0:
        return "drop"
    return "no change" if _narrow(d) else "inconclusive"


def adjusted_verdict(base: Rate, changed: Rate, d: Diff, p_holm: float,
                     simultaneous: Diff) -> str:
    """The verdict from the family's adjusted results (module docstring)."""
    if base.k == changed.k == 0:
        return "never seen"
    if p_holm < ALPHA:
        return "rise" if d.diff > 0 else "drop"
    return "no change" if _narrow(simultaneous) else "inconclusive"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def sentence(label: str, e: Effect) -> str:
    """One plain sentence for the comparison: an association in this design, not a mechanism."""
    where = PHRASES.get((e.factor, e.value), f"with {e.factor}={e.value}")
    label = f"“{label}”"
    d, s, v = e.diff, e.simultaneous or e.diff, e.verdict
    move = f"{e.base.value:.2f} → {e.changed.value:.2f}"
    n = f"n={e.base.n} default, {e.changed.n} changed"
    nums = (f"difference {d.diff:+.2f}, 95% [{d.low:+.2f}, {d.high:+.2f}], simultaneous "
            f"[{s.low:+.2f}, {s.high:+.2f}]; {_p(e.p_value)} unadjusted, Holm-adjusted "
            f"{_p(e.p_holm)} over {e.family_size} comparisons for this model; {n}")
    if v == "drop":
        return (f"The {label} rate was {-d.diff:.2f} lower {where} than at the default "
                f"({move}; {nums}), in this design.")
    if v == "rise":
        return (f"The {label} rate was {d.diff:.2f} higher {where} than at the default "
                f"({move}; {nums}), in this design.")
    if v == "never seen":
        tail = "" if _narrow(s) else f": too few rollouts to rule out ±{MARGIN:.2f}"
        return f"{label} was never seen, at the default or {where} ({n}){tail}."
    if v == "no change":
        return (f"{where[0].upper() + where[1:]} the {label} rate was {move} ({nums}): a "
                f"difference beyond ±{MARGIN:.2f} is ruled out, in this design.")
    tail = ""
    if e.raw_verdict in ("drop", "rise"):
        tail = (f" Nominally {'lower' if e.raw_verdict == 'drop' else 'higher'} "
                f"({_p(e.p_value)} unadjusted), but not after Holm adjustment for the "
                f"{e.family_size} comparisons made for this model.")
    return (f"{where[0].upper() + where[1:]} the {label} rate went {move} ({nums}): too few "
            f"rollouts to conclude.{tail}")


def adjust(effects: list[Effect], labels: dict[tuple[str, str], str] | None = None
           ) -> list[Effect]:
    """Holm (and BH) adjustment within each model's family, simultaneous intervals, adjusted
    verdicts and sentences; order preserved."""
    out = list(effects)
    for model in dict.fromkeys(e.model for e in effects):
        idx = [i for i, e in enumerate(effects) if e.model == model]
        m = len(idx)
        raw = np.array([effects[i].p_value for i in idx])
        holm = multipletests(raw, alpha=ALPHA, method="holm")[1]
        bh = multipletests(raw, alpha=ALPHA, method="fdr_bh")[1]
        for i, ph, pb in zip(idx, holm, bh, strict=True):
            e = effects[i]
            sim = newcombe(e.changed.k, e.changed.n, e.base.k, e.base.n, ALPHA / m)
            x = replace(e, p_holm=float(ph), p_bh=float(pb), simultaneous=sim, family_size=m,
                        raw_verdict=verdict(e.base, e.changed, e.diff),
                        verdict=adjusted_verdict(e.base, e.changed, e.diff, float(ph), sim))
            label = (labels or {}).get((e.eval, e.behaviour)) or paper.behaviour_label(
                e.eval, e.behaviour)
            out[i] = replace(x, sentence=sentence(label, x))
    return out


def families(effects: list[Effect]) -> list[Family]:
    """Per model: how many comparisons were made and how many survive adjustment."""
    out = []
    for model in dict.fromkeys(e.model for e in effects):
        mine = [e for e in effects if e.model == model]
        out.append(Family(model, len(mine), sum(e.verdict == "never seen" for e in mine),
                          sum(e.p_value < ALPHA for e in mine),
                          sum(e.p_holm < ALPHA for e in mine),
                          sum(e.p_bh < ALPHA for e in mine)))
    return out


def scenario_diff(changed: ScenarioCounts, base: ScenarioCounts) -> Clustered:
    """changed - base with the scenarios resampled jointly (``stats.cluster_diff``)."""
    names = sorted(set(changed) | set(base))
    k1, n1 = zip(*(changed.get(s, (0, 0)) for s in names), strict=True) if names else ((), ())
    k0, n0 = zip(*(base.get(s, (0, 0)) for s in names), strict=True) if names else ((), ())
    return cluster_diff(k1, n1, k0, n0)


def _carrying(cells: ScenarioCounts) -> tuple[int, int]:
    return sum(k > 0 for k, _ in cells.values()), len(cells)


def dissect(df: pd.DataFrame, counts: Counts | None = None) -> list[Effect]:
    """Default vs each single change, for every covert eval, model and behaviour with data,
    adjusted for multiplicity within each model's family (``adjust``)."""
    counts = counts or Counts(df)
    out: list[Effect] = []
    labels: dict[tuple[str, str], str] = {}
    for e, b in counts.pairs:
        labels[(e, b)] = paper.behaviour_label(e, b)
        for m in counts.models.get(e, []):
            base = counts.rate(e, m, b)
            if base.n == 0:
                continue
            for factor, value in single_changes():
                changed = counts.rate(e, m, b, **{factor: value})
                if changed.n == 0:
                    continue
                d = newcombe(changed.k, changed.n, base.k, base.n)
                p = newcombe_p(changed.k, changed.n, base.k, base.n)
                v = verdict(base, changed, d)
                s_base = counts.by_scenario(e, m, b)
                s_changed = counts.by_scenario(e, m, b, **{factor: value})
                out.append(Effect(e, m, b, factor, value, base, changed, d, v, "", p,
                                  raw_verdict=v, by_scenario=scenario_diff(s_changed, s_base),
                                  base_scenarios=_carrying(s_base),
                                  changed_scenarios=_carrying(s_changed)))
    return adjust(out, labels)


def crossed_factors(rows: pd.DataFrame) -> list[str]:
    """The factors varied in ``rows`` when some rollouts vary two or more of them at once;
    empty when the design is one-factor-at-a-time (single changes answer it already)."""
    varied = [f for f in CONDITIONS if rows[f].nunique(dropna=True) > 1]
    if len(varied) < 2:
        return []
    off = pd.Series(0, index=rows.index)  # how many factors each rollout moves off default
    for f in varied:
        off += (rows[f] != DEFAULTS[f]).astype(int)
    return varied if bool((off >= 2).any()) else []


def regressions(df: pd.DataFrame) -> list[regression.Regression]:
    """Logistic regressions for every covert eval x model whose design is crossed; each
    model's terms (over all its evals and behaviours) Holm-adjusted as one family."""
    rows = covert(df)
    out = []
    for e, b in covert_behaviours(df):
        ev = rows[rows["eval"] == e]
        for m in models(ev):
            mine = ev[ev["model"] == m]
            factors = crossed_factors(mine)
            if factors:
                out.append(regression.fit(mine, b, factors, DEFAULTS, e, m))
    for m in {r.model for r in out}:
        terms = [(r, j) for r in out if r.model == m for j, t in enumerate(r.terms)
                 if not math.isnan(t.p_value)]
        if not terms:
            continue
        holm = multipletests([r.terms[j].p_value for r, j in terms], alpha=ALPHA,
                             method="holm")[1]
        for (r, j), ph in zip(terms, holm, strict=True):
            r.terms[j] = replace(r.terms[j], p_holm=float(ph), family_size=len(terms))
    return out


def effects_frame(effects: list[Effect]) -> pd.DataFrame:
    """The effects as a table (for CSV export)."""
    return pd.DataFrame([{
        "eval": x.eval, "model": x.model, "behaviour": x.behaviour, "change": x.change,
        "default_k": x.base.k, "default_n": x.base.n, "default_rate": x.base.value,
        "changed_k": x.changed.k, "changed_n": x.changed.n, "changed_rate": x.changed.value,
        "difference": x.diff.diff, "low": x.diff.low, "high": x.diff.high,
        "simultaneous_low": (x.simultaneous or x.diff).low,
        "simultaneous_high": (x.simultaneous or x.diff).high,
        "p": x.p_value, "p_holm": x.p_holm, "p_bh": x.p_bh, "family_size": x.family_size,
        "scenario_low": x.by_scenario.low if x.by_scenario else float("nan"),
        "scenario_high": x.by_scenario.high if x.by_scenario else float("nan"),
        "scenario_note": x.by_scenario.reason if x.by_scenario else "",
        "design_effect": x.by_scenario.design_effect if x.by_scenario else float("nan"),
        "default_scenarios_with": x.base_scenarios[0], "default_scenarios": x.base_scenarios[1],
        "changed_scenarios_with": x.changed_scenarios[0],
        "changed_scenarios": x.changed_scenarios[1],
        "raw_verdict": x.raw_verdict, "verdict": x.verdict, "sentence": x.sentence}
        for x in effects])
