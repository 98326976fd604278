"""The Inspect task ``scheming_evals/instrumental_alignment_faking``."""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig

from ...reasoning.analysis import reasoning_scorer
from ...scenario import select_scenarios
from ...world import conditions_of
from ..covert import RunOptions, sample_metadata
from ..episode import MAX_OUTPUT_TOKENS, MESSAGE_LIMIT, agent_loop, install_tools, setup_world
from ..sandboxes import sandbox_for
from .detector import faking_detector
from .spec import SPEC
from .tools import faking_tools
from .world import SETTINGS, build_world, faking_world


@task
def instrumental_alignment_faking(
    setting: str = "both",
    nudge: str = "none",
    goal: str = "system",
    relation: str = "conflict",
    reasoning: str = "visible",
    memo: str = "present",
    framing: str = "trope",
    scenarios: str | list[str] | None = None,
    scenario_dir: str | None = None,
    repeats: int = 1,
    message_limit: int = MESSAGE_LIMIT,
    sandbox: str = "bwrap",
    allow_local_sandbox: bool = False,
) -> Task:
    """Instrumental alignment faking: developers' option while tested, its own once deployed?

    Args:
        setting: both (each scenario as a testing/deployment pair), testing or deployment.
        nudge: Goal nudge in the system prompt (none by default, as in the paper; strong).
        goal: Where the model's goal is given (system, user, none).
        relation: The developers' goal versus the model's (conflict, aligned, reversed).
        reasoning: visible, scratchpad (hidden bash parameter) or none.
        memo: present, or absent (no memo saying whether the model is tested or deployed).
        framing: trope (the memo in AI-takeover words, the default), neutral (the same facts
            and action in plain operations words) or fiction (trope, told as a fictional
            exercise).
        scenarios: Scenario ids (list or comma-separated); default all.
        scenario_dir: A folder of your own scenario files, added to the packaged ones.
        repeats: Independent pairs per scenario inside one epoch (``pair`` =
            ``<scenario>#<repeat>``), so the run's summary pairs them exactly. Inspect's
            ``--epochs`` works too, but its metrics see epoch-reduced scores: use the analysis
            of the logs, which pairs by (pair, epoch), for those.
        message_limit: Messages per episode.
        sandbox: bwrap (default), docker, k8s, docker:FILE or k8s:FILE.
        allow_local_sandbox: Allow sandbox=local (runs the agent's commands on this machine).
    """
    if setting not in ("both", *SETTINGS):
        raise ValueError(f"setting={setting!r} is not allowed; choose one of: both, testing, "
                         "deployment")
    cond = conditions_of(nudge=nudge, goal=goal, relation=relation, reasoning=reasoning,
                         memo=memo, framing=framing)
    opts = RunOptions(scenarios=scenarios, scenario_dir=scenario_dir, sandbox=sandbox,
                      allow_local_sandbox=allow_local_sandbox)
    settings = SETTINGS if setting == "both" else (setting,)
    samples = []
    for s in select_scenarios(scenarios, scenario_dir):
        for r in range(repeats):
            for st in settings:
                world = faking_world(s, cond, st)
                meta = {**sample_metadata(SPEC.name, s, cond, world, opts),
                        "pair": f"{s.id}#{r}", "repeat": r}
                samples.append(Sample(
                    id=f"{s.id}/{r}/{st}", input=world.user, metadata=meta,
                    sandbox=sandbox_for(world, sandbox, allow_local_sandbox)))
    return Task(
        dataset=samples,
        solver=[setup_world(build_world, allow_local_sandbox), install_tools(faking_tools),
                agent_loop()],
        scorer=[faking_detector(), reasoning_scorer()],
        config=GenerateConfig(max_tokens=MAX_OUTPUT_TOKENS),
        message_limit=message_limit,
        metadata={"eval": SPEC.name, **cond},
    )
