"""The report's summary by reading: five other explanations of a scheming rate, the controls
that test each, and what the data say about it.

A rate measured in these evals can come from the agent pursuing its goal, or from one of five
other things: plain instruction-following (it does what the prompt says), patterns from training
data (it completes the AI-takeover story it reads), goal-prompt bias (the goal sentence, not the
goal, drives it), anthropomorphised chains of thought (what its visible reasoning invites), or
task design (the set-up hands it the action). Each control of the condition grid tests one or
two of them; this module groups the dissection's adjusted comparisons (and the paired
alignment-faking comparisons, adjusted within each model's own family) by reading, and phrases a
drop as the share of the rate that disappears.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib import import_module

import pandas as pd

from ..analysis import dissection, tables
from ..analysis.dissection import Effect
from ..conditions import DEFAULTS
from ..stats import wilson

MAX_PER_READING = 4
PAIRED_LABEL = "behavioural scheming (pairs)"


@dataclass(frozen=True)
class Reading:
    name: str
    claim: str  # what the reading says the rate is
    controls: tuple[tuple[str, str], ...]  # (condition, value): the single changes testing it


READINGS: tuple[Reading, ...] = (
    Reading("Plain instruction-following", "the agent does what the prompt tells it",
            (("nudge", "none"), ("nudge", "strong"), ("honesty", "instructed"),
             ("difficulty", "medium"), ("difficulty", "easy"))),
    Reading("Patterns from training data", "the agent completes the AI-takeover story it reads",
            (("framing", "neutral"), ("framing", "fiction"))),
    Reading("Goal-prompt bias", "the goal sentence, not a goal conflict, drives the action",
            (("goal", "none"), ("goal", "user"), ("relation", "aligned"),
             ("relation", "reversed"))),
    Reading("Anthropomorphised chains of thought", "the visible reasoning invites the action",
            (("reasoning", "scratchpad"), ("reasoning", "none"))),
    Reading("Task design", "the set-up hands the agent the action",
            (("memo", "absent"), ("difficulty", "medium"), ("difficulty", "easy"))),
)


def _where(e: Effect) -> str:
    return dissection.PHRASES.get((e.factor, e.value), f"with {e.factor}={e.value}")


def disappears(label: str, e: Effect) -> str:
    """The effect in plain words: for a drop, the share of the default rate that disappears
    ("100% of the 'disabled oversight' rate disappears with neutral framing"), with the
    difference's simultaneous interval and Holm-adjusted p; for a rise, how much it grows."""
    s = e.simultaneous or e.diff
    tail = (f"{e.base.value:.2f} → {e.changed.value:.2f}; difference {e.diff.diff:+.2f}, "
            f"simultaneous [{s.low:+.2f}, {s.high:+.2f}], Holm-adjusted p "
            f"{'< 0.001' if e.p_holm < 0.001 else f'= {e.p_holm:.3f}'}; n={e.base.n} default, "
            f"{e.changed.n} changed")
    if e.diff.diff < 0 and e.base.value > 0:
        share = -e.diff.diff / e.base.value
        return f"{share:.0%} of the “{label}” rate disappears {_where(e)} ({tail})"
    return f"the “{label}” rate rises by {e.diff.diff:.2f} {_where(e)} ({tail})"


def _scheming_pairs(rows: pd.DataFrame, cond: dict[str, str]) -> tuple[int, int]:
    """(pairs showing both halves, pairs) among ``rows`` at the conditions ``cond``."""
    mask = pd.Series(True, index=rows.index)
    for c, v in cond.items():
        # a log written before a condition existed ran at its default
        col = rows[c] if c in rows else pd.Series(pd.NA, index=rows.index, dtype="object")
        mask &= col.fillna(DEFAULTS.get(c, "")).astype(str) == v
    pairs = tables.faking_pairs(rows[mask])
    return sum(1 for i, t in pairs if i and t), len(pairs)


def paired_effects(df: pd.DataFrame) -> list[Effect]:
    """Alignment faking (and any eval analysed as paired settings): behavioural-scheming pairs
    at the task's default conditions against each single change of its SPEC's controls,
    Newcombe intervals, Holm-adjusted within each model's paired comparisons."""
    out: list[Effect] = []
    for spec in tables.analysed_as("paired_settings"):
        rows = df[df["eval"] == spec.name]
        if rows.empty:
            continue
        task = getattr(import_module(f"scheming_evals.evals.{spec.name}.task"), spec.name)
        params = inspect.signature(task).parameters
        base_cond = {c: str(params[c].default) if c in params else DEFAULTS.get(c, "")
                     for c in spec.conditions}
        changes = [(f, v) for ctl in (*spec.controls, *spec.full) for f, v in ctl.items()]
        for model, g in rows.groupby("model", sort=True):
            k0, n0 = _scheming_pairs(g, base_cond)
            if n0 == 0:
                continue
            for factor, value in changes:
                k1, n1 = _scheming_pairs(g, {**base_cond, factor: value})
                if n1 == 0:
                    continue
                base, changed = wilson(k0, n0), wilson(k1, n1)
                d = dissection.newcombe(k1, n1, k0, n0)
                p = dissection.newcombe_p(k1, n1, k0, n0)
                v = dissection.verdict(base, changed, d)
                out.append(Effect(spec.name, str(model), "behavioural_scheming", factor, value,
                                  base, changed, d, v, "", p, raw_verdict=v))
    labels = {(e.eval, e.behaviour): PAIRED_LABEL for e in out}
    return dissection.adjust(out, labels)


def _label(e: Effect) -> str:
    from ..analysis import paper

    return PAIRED_LABEL if e.behaviour == "behavioural_scheming" else paper.behaviour_label(
        e.eval, e.behaviour)


def summary(effects: list[Effect], df: pd.DataFrame | None = None) -> list[str]:
    """One line per reading: the controls that test it and what the data say (the adjusted
    effects found, largest first, or "no effect detected at n=..."), or that no control of it
    was run."""
    everything = list(effects) + (paired_effects(df) if df is not None else [])
    out = []
    for r in READINGS:
        mine = [e for e in everything if (e.factor, e.value) in r.controls]
        tests = ", ".join(f"{f}={v}" for f, v in r.controls)
        head = f"{r.name} (that {r.claim}; tested by {tests}):"
        if not mine:
            out.append(f"{head} not tested in these logs (run `--conditions controls` or "
                       "`full`).")
            continue
        clear = sorted((e for e in mine if e.verdict in ("drop", "rise")),
                       key=lambda e: -abs(e.diff.diff))
        none = [e for e in mine if e.verdict == "no change"]
        unseen = [e for e in mine if e.verdict == "never seen"]
        open_ = [e for e in mine if e.verdict == "inconclusive"]
        parts = [f"{e.model}, {e.eval}: {disappears(_label(e), e)}"
                 for e in clear[:MAX_PER_READING]]
        if len(clear) > MAX_PER_READING:
            parts.append(f"{len(clear) - MAX_PER_READING} more effects (dissection.csv)")
        if not clear:
            n = sorted({min(e.base.n, e.changed.n) for e in mine})
            parts.append(f"no effect detected at n={n[0]}" + (f" to {n[-1]}" if len(n) > 1
                                                                 else "") + " per arm")
        if none:
            parts.append(f"{len(none)} comparisons rule out a difference beyond "
                         f"±{dissection.MARGIN:.2f}")
        if open_:
            parts.append(f"{len(open_)} have too few rollouts to conclude")
        if unseen:
            parts.append(f"{len(unseen)} never saw the behaviour")
        out.append(f"{head} " + "; ".join(parts) + ".")
    return out


@dataclass(frozen=True)
class Verdict:
    """One reading on the report's front page: what tests it and what the data say, short."""

    name: str
    claim: str
    tests: str
    says: str


def _short(e: Effect) -> str:
    drop = e.diff.diff < 0 and e.base.value > 0
    what = (f"{-e.diff.diff / e.base.value:.0%} of the rate disappears" if drop
            else f"rate rises by {e.diff.diff:.2f}")
    p = "< 0.001" if e.p_holm < 0.001 else f"= {e.p_holm:.3f}"
    return f"“{_label(e)}” ({e.model}, {e.eval}): {what} {_where(e)}, Holm p {p}"


def front(effects: list[Effect], df: pd.DataFrame | None = None) -> list[Verdict]:
    """The five readings in a few words each: how many adjusted effects (and which models),
    the largest one, or why there is none."""
    everything = list(effects) + (paired_effects(df) if df is not None else [])
    out = []
    for r in READINGS:
        mine = [e for e in everything if (e.factor, e.value) in r.controls]
        tests = ", ".join(f"{f}={v}" for f, v in r.controls)
        clear = sorted((e for e in mine if e.verdict in ("drop", "rise")),
                       key=lambda e: -abs(e.diff.diff))
        if not mine:
            says = "not tested in these logs (`--conditions controls` or `full`)"
        elif clear:
            models = sorted({e.model for e in clear})
            says = (f"{len(clear)} effect{'s' if len(clear) != 1 else ''} survive adjustment "
                    f"({len(models)} model{'s' if len(models) != 1 else ''}: "
                    f"{', '.join(models)}); largest: {_short(clear[0])}")
        else:
            n = sorted({min(e.base.n, e.changed.n) for e in mine})
            span = f"{n[0]}" + (f" to {n[-1]}" if len(n) > 1 else "")
            says = (f"no effect survives adjustment ({len(mine)} comparisons, n={span} per "
                    "arm)")
        out.append(Verdict(r.name, r.claim, tests, says))
    return out
