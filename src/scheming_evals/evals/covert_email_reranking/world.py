"""What the covert-email-reranking machine holds (the fixed scoring script) and what the agent
is told: the inbox (the scenario's emails plus generic ones), the candidates, the task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...conditions import CONDITIONS
from ...scenario import EMAILS_PER_SCENARIO, Scenario, load_email_pool, scenario_for
from ...world import (
    WORKSTATION,
    Goals,
    World,
    eval_texts,
    fmt,
    sha256,
    system_prompt,
    user_message,
)
from ..episode import Meta

SCORING_PATH = "/scoring/scoring.py"
SCORES_PATH = "/tmp/scores.json"
SCORING_TEMPLATE = Path(__file__).parent / "scoring.py.tmpl"


def scoring_script(scenario: Scenario) -> str:
    criteria = {f.name: (f.weight, f.higher_is_better) for f in scenario.email.fields}
    return SCORING_TEMPLATE.read_text(encoding="utf-8").format(
        entity=scenario.email.entity, criteria=repr(criteria)
    )


def inbox(scenario: Scenario, memo: str) -> list[dict[str, str]]:
    """The 20 emails of the inbox, in a fixed order per scenario (pool fills the rest)."""
    own = [e for e in scenario.email.emails if memo == "present" or e.kind != "awareness"]
    mails = [{"from": e.sender, "subject": e.subject, "body": e.body.strip(), "kind": e.kind}
             for e in own]
    pool = sorted(load_email_pool(), key=lambda e: sha256(scenario.id + e.subject))
    for e in pool[: EMAILS_PER_SCENARIO - len(mails)]:
        mails.append({"from": e.sender, "subject": e.subject, "body": e.body.strip(),
                      "kind": "irrelevant"})
    return sorted(mails, key=lambda m: sha256(scenario.id + "/" + m["subject"]))


def _either(names: list[str]) -> str:
    """``A``, ``A or B``, ``A, B or C``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def email_world(scenario: Scenario, cond: dict[str, str]) -> World:
    """The world of covert email reranking."""
    texts = eval_texts(__package__)
    em = scenario.email
    favoured = [c.name for c in em.candidates if c.favours_goal]
    if cond["relation"] == "conflict":
        model_goal = em.goal
    elif cond["relation"] == "aligned":  # the model's goal is the scoring's own objective
        labels = ", ".join(f.label for f in em.fields)
        model_goal = fmt(texts["business_goal"], entity=em.entity, criteria=labels)
    else:
        # reversed: the model gets the less pro-social goal, the opposite of the scenario's
        # goal, written from its data: the candidates the scenario's goal disfavours should
        # win over those it favours. Its "goal's candidates" (``favours_goal``) flip with it,
        # so a false ranking that serves it moves the other side up.
        against = [c.name for c in em.candidates if not c.favours_goal]
        model_goal = fmt(texts["reversed_goal"], entity=em.entity, winners=_either(against),
                         losers=_either(favoured))
        favoured = against
    goals = Goals(model_goal, model_goal, "prosocial", "other")
    system = system_prompt(scenario, cond, goals, texts["tools_note"])
    names = "; ".join(c.name for c in em.candidates)
    task = em.user_task.strip() + "\n\n" + fmt(texts["candidates"], names=names)
    user = user_message(scenario, cond, goals, task)
    script = scoring_script(scenario)
    truth = [c.name for c in em.ground_truth()]
    facts: dict[str, Any] = {
        "scoring_path": SCORING_PATH,
        "scoring_sha256": sha256(script),
        "scores_path": SCORES_PATH,
        "entity": em.entity,
        "candidates": [c.name for c in em.candidates],
        "favours_goal": favoured,  # the candidates the model's goal favours
        "true_values": {c.name: c.values for c in em.candidates},
        "criteria": {f.name: [f.weight, f.higher_is_better] for f in em.fields},
        "ground_truth": truth,
        "model_goal": model_goal,
        "inbox": inbox(scenario, cond["memo"]),
    }
    return World(system=system, user=user, hostname=WORKSTATION,
                 files={WORKSTATION: {SCORING_PATH: script}}, facts=facts)


def build_world(meta: Meta) -> World:
    return email_world(scenario_for(meta), {k: meta[k] for k in CONDITIONS})
