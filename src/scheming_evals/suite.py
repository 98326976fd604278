"""The suite: which tasks, under which conditions, on which models (``scheming-evals run``).

Runs on Inspect's eval sets, so running the same command again completes only what is
missing. With no model given it runs the scripted reference agents (offline, no key): each eval
on the policies that are its positive and negative controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import catalog
from .conditions import validate

# Single changes from the default that the dissection compares against (SPEC section 4).
COVERT_CONTROLS = [
    {"nudge": "none"}, {"goal": "none"}, {"goal": "user"}, {"relation": "aligned"},
    {"relation": "reversed"}, {"honesty": "instructed"}, {"memo": "absent"},
]
COVERT_FULL = COVERT_CONTROLS + [
    {"difficulty": "medium"}, {"difficulty": "easy"}, {"reasoning": "scratchpad"},
    {"reasoning": "none"},
]
FAKING_CONTROLS = [{"nudge": "strong"}, {"goal": "none"}, {"relation": "aligned"},
                   {"memo": "absent"}]
SANDBAGGING_CONTROLS = [{"goal": "none"}]

REFERENCE_MODELS = {
    "covert": ["reference/honest", "reference/schemer", "reference/nudge-schemer",
               "reference/schemer-denier"],
    "instrumental_alignment_faking": ["reference/honest", "reference/alignment-faker"],
    "sandbagging": ["reference/honest", "reference/sandbagger"],
}
# A spread of domains for the offline demo run (all 37 run when a real model is given).
DEMO_SCENARIOS = ("city_transit,loan_approval,mining_permit,hospital_beds,news_recommender,"
                  "water_utility")
DEMO_FOLLOWUPS = 2  # answers per question variant in the offline demo (20 for real models)


FOLLOWUP_EVALS = ("oversight_subversion", "self_exfiltration", "goal_guarding")


@dataclass(frozen=True)
class Planned:
    eval_name: str
    args: dict[str, Any]
    model: str


def condition_sets(eval_name: str, spec: str) -> list[dict[str, str]]:
    """The condition dicts to run: ``paper`` | ``controls`` | ``full`` | ``a=b,c=d`` (the
    default plus each listed single change)."""
    kind = catalog.get(eval_name).kind
    if spec == "paper":
        return [{}]
    if spec in ("controls", "full"):
        if eval_name == "instrumental_alignment_faking":
            extra = FAKING_CONTROLS
        elif eval_name == "sandbagging":
            extra = SANDBAGGING_CONTROLS
        else:
            extra = COVERT_CONTROLS if spec == "controls" else COVERT_FULL
        return [{}, *extra]
    out: list[dict[str, str]] = [{}]
    for item in [x.strip() for x in spec.split(",") if x.strip()]:
        if "=" not in item:
            raise ValueError(f"--conditions: {item!r} is not name=value (or paper|controls|full)")
        k, v = (p.strip() for p in item.split("=", 1))
        validate(k, v)  # an unknown name or value is an error even where it does not apply
        if k in catalog.get(eval_name).conditions or kind == "covert":
            out.append({k: v})
    return out


def plan(models: list[str], evals: list[str], conditions: str,
         scenarios: str | None) -> list[Planned]:
    """Every (eval, condition, model) to run."""
    planned: list[Planned] = []
    for name in evals:
        info = catalog.get(name)
        if not info.available:
            raise ValueError(f"eval {name!r} is not available yet")
        group = "covert" if info.kind == "covert" else name
        targets = models or REFERENCE_MODELS[group]
        demo = not models
        for cond in condition_sets(name, conditions):
            args: dict[str, Any] = dict(cond)
            if name == "sandbagging":
                args.setdefault("samples", 20 if demo else 50)
            else:
                chosen = scenarios or (DEMO_SCENARIOS if demo else None)
                if chosen:
                    args["scenarios"] = chosen
                if demo and name in FOLLOWUP_EVALS:
                    args["followup_samples"] = DEMO_FOLLOWUPS
            for m in targets:
                planned.append(Planned(name, args, m))
    return planned


def build_tasks(planned: list[Planned]) -> list[Any]:
    """Inspect tasks, each bound to its model."""
    from inspect_ai import task_with

    from . import _registry

    out = []
    for p in planned:
        factory = getattr(_registry, p.eval_name)
        out.append(task_with(factory(**p.args), model=p.model))
    return out
