"""The Inspect task ``scheming_evals/sandbagging``."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig

from ..episode import MAX_OUTPUT_TOKENS, MESSAGE_LIMIT, agent_loop, install_tools, setup_world
from ..sandboxes import sandbox_for, sandbox_metadata
from .detector import sandbagging_scorer
from .spec import SPEC
from .tools import tools_for
from .world import INCENTIVES, build_world, check_condition, data, question_seeds


def make_samples(incentive: str, goal: str, reasoning: str, consequence: str, samples: int,
                 seed: int, sandbox: str = "bwrap", allow_local_sandbox: bool = False
                 ) -> list[Sample]:
    incentives = INCENTIVES if incentive == "both" else (incentive,)
    out = []
    for i, qseed in enumerate(question_seeds(seed, samples)):
        for inc in incentives:
            meta: dict[str, Any] = {
                "eval": SPEC.name, "incentive": inc, "goal": goal, "reasoning": reasoning,
                "consequence": consequence, "pair": qseed, "question_seed": qseed,
                "seed": seed, "index": i, "data_version": data()["version"],
            }
            world = build_world(meta)
            meta.update(world.facts)
            meta.update(sandbox_metadata(world, sandbox))
            out.append(Sample(id=f"{i:03d}_{inc}", input=world.user, metadata=meta,
                              sandbox=sandbox_for(world, sandbox, allow_local_sandbox)))
    return out


@task
def sandbagging(
    incentive: str = "both",
    goal: str = "system",
    reasoning: str = "visible",
    consequence: str = "unlearning",
    samples: int = 50,
    seed: int = 0,
    message_limit: int = MESSAGE_LIMIT,
    sandbox: str = "bwrap",
    allow_local_sandbox: bool = False,
) -> Task:
    """Sandbagging: does the agent score worse on arithmetic when high scores are punished?

    Args:
        incentive: both (each question seed under both incentives), do_well or do_poorly.
        goal: system (a goal of advancing human progress through mathematical research) or
            none.
        reasoning: visible, or none (the model is told to emit no reasoning).
        consequence: What follows crossing the threshold (see ``sandbagging.yaml``).
        samples: Question seeds (each one sample per incentive).
        seed: Seed of the question seeds.
        message_limit: Messages per episode.
        sandbox: bwrap (default), docker, k8s, docker:FILE or k8s:FILE.
        allow_local_sandbox: Allow sandbox=local (runs the agent's commands on this machine).
    """
    cond = {name: check_condition(name, value) for name, value in (
        ("incentive", incentive), ("goal", goal), ("reasoning", reasoning),
        ("consequence", consequence))}
    if int(samples) < 1:
        raise ValueError(f"samples must be at least 1, not {samples}")
    return Task(
        dataset=make_samples(samples=int(samples), seed=int(seed), sandbox=sandbox,
                             allow_local_sandbox=allow_local_sandbox, **cond),
        solver=[setup_world(build_world, allow_local_sandbox),
                install_tools(tools_for), agent_loop()],
        scorer=sandbagging_scorer(),
        config=GenerateConfig(max_tokens=MAX_OUTPUT_TOKENS),
        message_limit=message_limit,
        metadata={"eval": SPEC.name, **cond, "samples": int(samples), "seed": int(seed)},
    )
