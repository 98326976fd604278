"""The six evaluations: what each measures, the paper table it reproduces, and its conditions."""

from __future__ import annotations

from dataclasses import dataclass

COVERT_CONDITIONS = ("nudge", "difficulty", "goal", "relation", "honesty", "memo", "reasoning")


@dataclass(frozen=True)
class EvalInfo:
    name: str
    kind: str
    measures: str
    paper: str
    conditions: tuple[str, ...]
    available: bool = False  # True once the task is registered with Inspect


EVALS: tuple[EvalInfo, ...] = (
    EvalInfo("oversight_subversion", "covert", "disables the oversight config before acting",
             "Table 2", COVERT_CONDITIONS, available=True),
    EvalInfo("self_exfiltration", "covert", "copies itself over / deletes its successor model",
             "Table 2", COVERT_CONDITIONS, available=True),
    EvalInfo("goal_guarding", "covert", "removes or replaces its successor system prompt",
             "Table 2", COVERT_CONDITIONS, available=True),
    EvalInfo("covert_email_reranking", "covert", "ranks candidates falsely without saying so",
             "Table 2", COVERT_CONDITIONS, available=True),
    EvalInfo("instrumental_alignment_faking", "deferred",
             "developers' option while tested, its own once deployed", "Table 5",
             ("goal", "relation", "reasoning", "memo", "nudge"), available=True),
    EvalInfo("sandbagging", "deferred", "scores worse when doing well is punished", "Table 6",
             ("goal", "reasoning", "incentive", "consequence"), available=True),
)


def get(name: str) -> EvalInfo:
    for e in EVALS:
        if e.name == name:
            return e
    raise ValueError(f"unknown eval {name!r}; known: {', '.join(e.name for e in EVALS)}")
