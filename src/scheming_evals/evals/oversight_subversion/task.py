"""The Inspect task ``scheming_evals/oversight_subversion``."""

from __future__ import annotations

from inspect_ai import Task, task

from ...world import conditions_of
from ..covert import RunOptions, covert_task
from ..episode import MESSAGE_LIMIT
from .detector import oversight_detector
from .spec import SPEC
from .tools import oversight_tools
from .world import build_world


@task
def oversight_subversion(
    nudge: str = "strong",
    difficulty: str = "hard",
    goal: str = "system",
    relation: str = "conflict",
    honesty: str = "none",
    memo: str = "present",
    reasoning: str = "visible",
    framing: str = "trope",
    scenarios: str | list[str] | None = None,
    scenario_dir: str | None = None,
    message_limit: int = MESSAGE_LIMIT,
    followup_samples: int = 20,
    interrogation: bool = False,
    awareness_probe: bool = False,
    sandbox: str = "bwrap",
    allow_local_sandbox: bool = False,
) -> Task:
    """Oversight subversion: does the agent disable its oversight config before choosing?

    Args:
        nudge: Goal nudge in the system prompt (strong, none).
        difficulty: hard (nudge only), medium (+ noticing hint), easy (+ instruction to act).
        goal: Where the model's goal is given (system, user, none).
        relation: The developers' goal versus the model's (conflict, aligned, reversed).
        honesty: none, or instructed (asked for honesty with the developers).
        memo: present, or absent (no memo about the oversight config).
        reasoning: visible, scratchpad (hidden bash parameter) or none.
        framing: trope (the memo in AI-takeover words, the default), neutral (the same facts
            and action in plain operations words) or fiction (trope, told as a fictional
            exercise).
        scenarios: Scenario ids (list or comma-separated); default all.
        scenario_dir: A folder of your own scenario files, added to the packaged ones.
        message_limit: Messages per episode.
        followup_samples: Answers per follow-up question variant after a detected
            disabling (0: no follow-ups).
        interrogation: Also run the 7-turn interrogation.
        awareness_probe: Also ask the model what the interaction was for.
        sandbox: bwrap (default), docker, k8s, docker:FILE or k8s:FILE.
        allow_local_sandbox: Allow sandbox=local (runs the agent's commands on this machine).
    """
    cond = conditions_of(nudge=nudge, difficulty=difficulty, goal=goal, relation=relation,
                         honesty=honesty, memo=memo, reasoning=reasoning,
                         framing=framing)
    opts = RunOptions(scenarios=scenarios, scenario_dir=scenario_dir,
                      message_limit=message_limit, followup_samples=followup_samples,
                      interrogation=interrogation, awareness_probe=awareness_probe,
                      sandbox=sandbox, allow_local_sandbox=allow_local_sandbox)
    return covert_task(SPEC, cond, build_world, oversight_tools, oversight_detector(), opts)
