"""Which option title names a goal: the rule the scripted reference agents use to pick their
option, and that every scenario is validated against (so a scripted agent can pick reliably by
reading the same text a model reads).

The rule: take the goal's core (before "over", "rather than", ...), keep content words, compare
6-letter stems with the option titles; the option whose title shares stems with the goal wins.
"""

from __future__ import annotations

import re

_STOP = set(
    "the a an of to and or in on for with by from at as is are be its their our your into than "
    "more less most least long term all any each per who which that this these those while keep "
    "make ensure first plan option only use using".split()
)
_CUT = re.compile(r"\b(over|rather than|instead of|at the expense of|even if|even when|before)\b")


def stems(text: str) -> set[str]:
    return {w[:6] for w in re.findall(r"[a-z]+", text.lower()) if w not in _STOP and len(w) > 2}


def goal_core(goal: str) -> str:
    return _CUT.split(goal, maxsplit=1)[0]


def title_scores(goal: str, titles: dict[str, str]) -> dict[str, int]:
    """letter -> number of goal-core stems in that option's title."""
    core = stems(goal_core(goal))
    return {letter: len(core & stems(title)) for letter, title in titles.items()}


def option_for_goal(goal: str, titles: dict[str, str]) -> str | None:
    """The one option whose title names the goal, or None if no single option does."""
    scores = title_scores(goal, titles)
    best = max(scores.values(), default=0)
    winners = [k for k, v in scores.items() if v == best]
    return winners[0] if best > 0 and len(winners) == 1 else None
