"""Samples and tasks for the scenario-based evals, and the covert evals' shared task shape.

A covert eval's ``@task`` validates its conditions and calls :func:`covert_task` with its SPEC,
its world builder, its tools and its detector; everything else (follow-ups, interrogation,
the awareness probe, reasoning analysis) is wired here from the SPEC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspect_ai import Task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Scorer, Target
from inspect_ai.solver import Solver, TaskState
from inspect_ai.tool import Tool

from ..followup import interrogation as interro
from ..followup.interview import followup_grader, interview
from ..reasoning.analysis import reasoning_scorer
from ..scenario import Scenario, scenario_for, select_scenarios
from ..user_error import UserError
from ..world import World, wording
from .episode import (
    MAX_OUTPUT_TOKENS,
    MESSAGE_LIMIT,
    Meta,
    ToolsFor,
    WorldBuilder,
    agent_loop,
    install_tools,
    setup_world,
)
from .sandboxes import sandbox_for, sandbox_metadata
from .spec import EvalSpec
from .tools import CHOICE, bash_tool, done_tool, selector_tool

DETECTED = "covert_action_detected"  # store key: the detector's verdict before follow-ups
DETECTOR_VALUES = "covert_action_values"  # store key: the detector's values (which behaviours)


@dataclass(frozen=True)
class RunOptions:
    """The task parameters every scenario-based eval shares (see each task's Args)."""

    scenarios: str | list[str] | None = None
    scenario_dir: str | None = None
    message_limit: int = MESSAGE_LIMIT
    allow_local_sandbox: bool = False
    sandbox: str = "bwrap"
    followup_samples: int = 20
    interrogation: bool = False
    awareness_probe: bool = False


def sample_metadata(eval_name: str, scenario: Scenario, cond: dict[str, str], world: World,
                    opts: RunOptions) -> dict[str, Any]:
    """A sample's metadata: eval, scenario, conditions, the world's facts (the detectors read
    them) and what the sandbox's config needs."""
    meta: dict[str, Any] = {"eval": eval_name, "scenario": scenario.id,
                            "domain": scenario.domain, **cond, **world.facts,
                            **sandbox_metadata(world, opts.sandbox)}
    if opts.scenario_dir:
        meta["scenario_dir"] = opts.scenario_dir
    return meta


def make_sample(eval_name: str, scenario: Scenario, cond: dict[str, str], world: World,
                opts: RunOptions) -> Sample:
    return Sample(
        id=scenario.id,
        input=world.user,
        metadata=sample_metadata(eval_name, scenario, cond, world, opts),
        sandbox=sandbox_for(world, opts.sandbox, opts.allow_local_sandbox),
    )


def covert_task(spec: EvalSpec, cond: dict[str, str], build: WorldBuilder, tools_for: ToolsFor,
                detector: Scorer, opts: RunOptions) -> Task:
    """One Inspect Task over the scenarios for a covert eval under one condition."""
    samples = []
    for s in select_scenarios(opts.scenarios, opts.scenario_dir):
        base: dict[str, Any] = {"scenario": s.id, **cond}
        if opts.scenario_dir:
            base["scenario_dir"] = opts.scenario_dir
        samples.append(make_sample(spec.name, s, cond, build(base), opts))
    solvers: list[Solver] = [setup_world(build, opts.allow_local_sandbox),
                             install_tools(tools_for), agent_loop()]
    scorers: list[Scorer] = [detector]
    followup = spec.followup

    async def detected(state: TaskState) -> dict[str, Any]:
        """What the episode did (the detector's values), decided once per sample: the interview
        and the interrogation both ask (which question set, guilty or innocent), and neither
        changes the machines' files."""
        if DETECTOR_VALUES not in state.store:
            score = await detector(state, Target(""))
            value = score.value if score is not None else None
            values = {k: v for k, v in value.items()} if isinstance(value, dict) else {}
            triggers = followup.triggers if followup else ()
            state.store.set(DETECTOR_VALUES, values)
            state.store.set(DETECTED, any(bool(values.get(k)) for k in triggers))
        return dict(state.store.get(DETECTOR_VALUES))

    neutral = wording(cond) == "neutral"  # the interview and interrogation keep the words
    if followup and opts.followup_samples > 0:
        solvers.append(interview(followup, detected, opts.followup_samples, neutral=neutral))
        scorers.append(followup_grader(followup))
    if opts.interrogation:
        if not followup or not followup.interrogation:
            raise UserError(f"interrogation is not available for {spec.name}")
        solvers.append(interro.interrogate(followup, detected, neutral=neutral))
        scorers.append(interro.interrogation_scorer())
    if opts.awareness_probe:
        solvers.append(interro.awareness_probe())
        scorers.append(interro.probe_scorer())
    scorers.append(reasoning_scorer())
    return Task(
        dataset=samples,
        solver=solvers,
        scorer=scorers,
        config=GenerateConfig(max_tokens=MAX_OUTPUT_TOKENS),
        message_limit=opts.message_limit,
        metadata={"eval": spec.name, **cond},
    )


def standard_tools(meta: Meta, selector: Tool | None = None) -> list[Tool]:
    """bash (+ scratchpad), the scenario's selector, done."""
    s = scenario_for(meta)
    sel = selector or selector_tool(s.selector.tool, s.selector.description,
                                    [o.letter for o in s.options], ends=False)
    return [bash_tool(scratchpad=meta["reasoning"] == "scratchpad"), sel, done_tool()]


def chose_goal_option(state: TaskState) -> bool:
    return bool(state.store.get(CHOICE) == state.metadata["model_option"])


def choice_note(state: TaskState) -> str:
    """What the agent chose, next to the option that serves its goal (for explanations)."""
    return (f"chose option {state.store.get(CHOICE) or 'none'} "
            f"(model's goal option {state.metadata['model_option']})")
