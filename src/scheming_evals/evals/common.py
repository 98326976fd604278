"""Pieces every eval shares: the agent loop, the tools, world setup and the sample builder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, execute_tools, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool, ToolDef, ToolInfo, ToolParam, ToolParams
from inspect_ai.util import OutputLimitExceededError, SandboxEnvironmentSpec, sandbox, store

from ..sandbox import (
    BwrapConfig,
    BwrapSandboxEnvironment,
    UnsafeSandboxError,
    check_sandbox_safe,
)
from ..scenario import Scenario, load_scenarios
from ..world import World

SCRATCHPAD_PARAM = "model_internal_working_memory"
COMMAND_TIMEOUT = 180
MAX_OUTPUT_TOKENS = 4096  # paper: max 4096 output tokens per turn
MESSAGE_LIMIT = 60

# store keys
COMMANDS = "commands"  # list of {host, command, returncode, index}
LEFT_RUNNING = "left_running"  # machine -> processes the agent left running (pid, cmdline)
CALLS = "tool_calls"  # list of {tool, arguments, index}
FINISHED = "finished"
DETECTED = "covert_action_detected"  # the detector's verdict before follow-ups


def log_call(tool: str, arguments: dict[str, Any]) -> int:
    calls = store().get(CALLS, [])
    calls.append({"tool": tool, "arguments": arguments, "index": len(calls)})
    store().set(CALLS, calls)
    return len(calls) - 1


def bash_tool(scratchpad: bool = False, timeout: int = COMMAND_TIMEOUT) -> Tool:
    """The agent's bash tool (one argument, the command); ``scratchpad`` adds the hidden param."""

    async def execute(command: str, **kwargs: Any) -> str:
        index = log_call("bash", {"command": command, **kwargs})
        try:
            result = await sandbox().exec(["bash", "--login", "-c", command], timeout=timeout)
        except TimeoutError:
            _record(command, None, index)
            return f"Command timed out after {timeout} seconds."
        except OutputLimitExceededError:
            _record(command, None, index)  # Inspect tells the model of the limit
            raise
        _record(command, result.returncode, index)
        out = f"{result.stderr}\n" if result.stderr else ""
        return out + result.stdout

    props = {"command": ToolParam(type="string", description="The bash command to execute.")}
    if scratchpad:
        # Inspect insists on a description; agent_loop strips it before the model sees the tool.
        props[SCRATCHPAD_PARAM] = ToolParam(type="string", description=_UNDESCRIBED)
    return ToolDef(
        execute,
        name="bash",
        description="Run a bash command on your machine and return its output.",
        parameters=ToolParams(properties=props, required=["command"]),
    ).as_tool()


_UNDESCRIBED = "(undescribed)"


def model_view(tools: list[Tool]) -> list[ToolInfo]:
    """The tools as the model sees them: the scratchpad parameter has no description (SPEC 6)."""
    infos = []
    for t in tools:
        d = ToolDef(t)
        params = d.parameters.model_copy(deep=True)
        for p in params.properties.values():
            if p.description == _UNDESCRIBED:
                p.description = None
        infos.append(ToolInfo(name=d.name, description=d.description, parameters=params))
    return infos


def _record(command: str, code: int | None, index: int) -> None:
    cmds = store().get(COMMANDS, [])
    cmds.append({"command": command, "returncode": code, "index": index})
    store().set(COMMANDS, cmds)


def done_tool() -> Tool:
    async def execute() -> str:
        log_call("done", {})
        store().set(FINISHED, True)
        return "Task marked as done."

    return ToolDef(execute, name="done", description="Call this when the task is complete.",
                   parameters=ToolParams()).as_tool()


def selector_def(execute: Callable[..., Any], name: str, description: str) -> Tool:
    params = ToolParams(
        properties={"strategy": ToolParam(type="string",
                                          description="The letter of the chosen option.")},
        required=["strategy"],
    )
    return ToolDef(execute, name=name, description=description, parameters=params).as_tool()


def selector_tool(name: str, description: str, letters: Sequence[str], ends: bool) -> Tool:
    """The scenario's domain tool: choose one option by letter."""

    async def execute(strategy: str) -> str:
        log_call(name, {"strategy": strategy})
        choice = strategy.strip().upper()[:1]
        if choice not in letters:
            return f"Unknown option {strategy!r}; valid options: {', '.join(letters)}."
        store().set("choice", choice)
        if ends:
            store().set(FINISHED, True)
        return f"Option {choice} selected."

    return selector_def(execute, name, description)


@solver
def install_tools(tools_for: Callable[[dict[str, Any]], list[Tool]]) -> Solver:
    """Give the agent the tools its sample needs (they depend on the scenario and conditions)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.tools = tools_for(state.metadata)
        return state

    return solve


async def read_or_none(path: str, host: str | None = None) -> str | None:
    """A file's text as its owner sees it, even through a chmod (``None``: it is gone).

    Detectors and the oversight selector use it. If the file or a folder above it was made
    unreadable, the modes are opened up just enough to read and then put back, so reading
    leaves no trace in what is measured."""
    env = sandbox(host) if host else sandbox()
    try:
        return await env.read_file(path)
    except (UnicodeDecodeError, IsADirectoryError):
        return "\x00<unreadable>"
    except (FileNotFoundError, PermissionError):
        pass  # gone, or behind a folder the agent made unreadable or unsearchable
    prefix = "/" if path.startswith("/") else ""
    parts = [p for p in path.split("/") if p]
    chain = [prefix + "/".join(parts[: i + 1]) for i in range(len(parts))]
    modes: list[tuple[str, str]] = []
    for i, p in enumerate(chain):
        st = await env.exec(["stat", "-L", "-c", "%a", p])
        if not st.success:
            break
        modes.append((p, st.stdout.strip()))
        await env.exec(["chmod", "u+r" if i == len(chain) - 1 else "u+rx", p])
    try:
        return await env.read_file(path)
    except (PermissionError, FileNotFoundError):
        return None
    except (UnicodeDecodeError, IsADirectoryError):
        return "\x00<unreadable>"
    finally:
        for p, m in reversed(modes):
            await env.exec(["chmod", m, p])


@solver
def setup_world(build: Callable[[dict[str, Any]], World], allow_local_sandbox: bool = False
                ) -> Solver:
    """Lay the sample's world out on its machines and set the system and user messages."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        env = sandbox()
        check_sandbox_safe(
            "local" if type(env).__name__ == "LocalSandboxEnvironment" else "other",
            allow_local_sandbox,
        )
        world = build(state.metadata)
        # all files at once: each write is its own sandbox process, and the paths are distinct
        # (``mkdir -p`` of a shared folder is safe to race), so waiting for each in turn only
        # adds their start-up times together
        writes = [(sandbox() if i == 0 else sandbox(host)).write_file(path, content)
                  for i, (host, files) in enumerate(world.files.items())
                  for path, content in files.items()]
        await asyncio.gather(*writes)
        state.messages = [ChatMessageSystem(content=world.system),
                          ChatMessageUser(content=world.user)]
        return state

    return solve


@solver
def agent_loop() -> Solver:
    """Generate, run the tools, repeat; stop when the agent finishes or stops calling tools."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        while True:
            output = await model.generate(state.messages, model_view(state.tools))
            state.output = output
            state.messages.append(output.message)
            if not output.message.tool_calls:
                break
            result = await execute_tools(state.messages, state.tools)
            state.messages.extend(result.messages)
            if store().get(FINISHED, False):
                break
        await end_episode()
        return state

    return solve


async def end_episode() -> None:
    """The episode is over: on bwrap, freeze, record and kill what the agent left running on
    its machines, so nothing it started can change the final state the detectors read (and
    from now on the sandbox runs only the harness's own commands, in a fixed environment)."""
    try:
        env = sandbox().as_type(BwrapSandboxEnvironment)
    except TypeError:  # another provider (docker, k8s): nothing to freeze with
        return
    left = await env.seal()
    store().set(LEFT_RUNNING, {m: p for m, p in left.items() if p})


# The image and machines for Inspect's docker sandbox (and inspect-k8s-sandbox), shipped with
# the package: ``-T sandbox=docker`` / ``-T sandbox=k8s`` (or ``docker:FILE`` / ``k8s:FILE``).
DOCKER_DIR = Path(__file__).resolve().parent.parent / "sandbox" / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
K8S_VALUES = DOCKER_DIR / "values.yaml"
SANDBOXES = ("bwrap", "docker", "k8s", "local")
COMPOSE_HOSTS = ("model_deployment_v2",)  # the other machines compose.yaml defines
# sample metadata key the compose file reads (Inspect exports it as SAMPLE_METADATA_<KEY>)
HOSTNAME_KEY = "sandbox_hostname"


def sandbox_kind(sandbox: str, allow_local_sandbox: bool = False) -> tuple[str, str | None]:
    """``(provider, config file or None)`` for the task parameter ``sandbox``.

    ``bwrap`` (default), ``docker`` (the shipped compose file), ``k8s`` (the shipped Helm
    values), ``docker:FILE`` / ``k8s:FILE`` for your own, or ``local``, which runs the agent on
    this machine and is refused unless ``allow_local_sandbox``."""
    kind, _, config = str(sandbox).strip().partition(":")
    kind = kind.strip().lower()
    if kind not in SANDBOXES:
        raise ValueError(f"sandbox={sandbox!r} is not supported; choose one of "
                         f"{', '.join(SANDBOXES)} (or docker:FILE, k8s:FILE)")
    if config and kind not in ("docker", "k8s"):
        raise ValueError(f"sandbox={sandbox!r}: only docker and k8s take a config file")
    if kind == "local":
        check_sandbox_safe("local", allow_local_sandbox)
    if kind == "docker":
        return kind, config or str(COMPOSE_FILE)
    if kind == "k8s":
        return kind, config or str(K8S_VALUES)
    return kind, None


def sandbox_for(world: World, sandbox: str = "bwrap",
                allow_local_sandbox: bool = False) -> SandboxEnvironmentSpec:
    """The sample's sandbox: its machines (the agent's and the others of ``world``)."""
    kind, config = sandbox_kind(sandbox, allow_local_sandbox)
    others = world.other_hosts
    if kind == "bwrap":
        return SandboxEnvironmentSpec("bwrap", BwrapConfig(
            hostname=world.hostname, hosts=tuple(others),
            data_dirs=tuple(dict.fromkeys(("/opt", *world.data_dirs)))))
    if kind == "local":
        if others:
            raise UnsafeSandboxError(f"the local sandbox has one machine; this sample needs "
                                     f"{', '.join(others)} too")
        return SandboxEnvironmentSpec("local")
    if kind == "k8s" and others and config == str(K8S_VALUES):
        raise ValueError(
            f"the shipped k8s values define one machine, and {', '.join(others)} is not a valid "
            "Kubernetes name; run this eval with sandbox=bwrap or sandbox=docker")
    if kind == "docker" and config == str(COMPOSE_FILE):
        missing = sorted(set(others) - set(COMPOSE_HOSTS))
        if missing:
            raise ValueError(f"{COMPOSE_FILE} defines no machine {', '.join(missing)}")
    return SandboxEnvironmentSpec(kind, config)


def sandbox_metadata(world: World, sandbox: str = "bwrap") -> dict[str, Any]:
    """Metadata the sandbox's config reads: the agent's hostname, for docker compose."""
    kind = str(sandbox).strip().partition(":")[0].strip().lower()
    return {HOSTNAME_KEY: world.hostname} if kind == "docker" else {}


def scenarios(ids: str | list[str] | None = None) -> list[Scenario]:
    """All scenarios, or those named in ``ids`` (a list, or a comma-separated string)."""
    all_s = load_scenarios()
    if not ids:
        return list(all_s)
    items = ids.split(",") if isinstance(ids, str) else [str(i) for i in ids]
    wanted = [i.strip() for i in items if i.strip()]
    known = {s.id: s for s in all_s}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise ValueError(f"unknown scenario(s) {missing}; see `scheming-evals list`")
    return [known[w] for w in wanted]


def make_sample(eval_name: str, scenario: Scenario, cond: dict[str, str], world: World,
                sandbox: str = "bwrap", allow_local_sandbox: bool = False) -> Sample:
    meta: dict[str, Any] = {"eval": eval_name, "scenario": scenario.id,
                            "domain": scenario.domain, **cond, **world.facts,
                            **sandbox_metadata(world, sandbox)}
    return Sample(
        id=scenario.id,
        input=world.user,
        metadata=meta,
        sandbox=sandbox_for(world, sandbox, allow_local_sandbox),
    )


def bash_commands(state: TaskState) -> list[dict[str, Any]]:
    return list(state.store.get(COMMANDS, []))



def covert_task(
    eval_name: str,
    cond: dict[str, str],
    scenario_ids: str | list[str] | None,
    build: Callable[[dict[str, Any]], World],
    tools_for: Callable[[dict[str, Any]], list[Tool]],
    detector: Any,
    message_limit: int,
    allow_local_sandbox: bool,
    followup_keys: tuple[str, ...] = (),
    followup_samples: int = 0,
    interrogation: bool = False,
    awareness_probe: bool = False,
    sandbox: str = "bwrap",
) -> Any:
    """One Inspect Task over the scenarios for a covert eval under one condition.

    ``followup_keys``: the detector's behaviours that trigger the follow-up interview.
    ``sandbox``: see :func:`sandbox_kind`.
    """
    from inspect_ai import Task
    from inspect_ai.model import GenerateConfig
    from inspect_ai.scorer import Target

    from ..followup import interrogation as interro
    from ..followup.interview import followup_grader, interview
    from ..reasoning.analysis import reasoning_scorer

    samples = [make_sample(eval_name, s, cond, build({"scenario": s.id, **cond}), sandbox,
                           allow_local_sandbox)
               for s in scenarios(scenario_ids)]
    solvers = [setup_world(build, allow_local_sandbox), install_tools(tools_for), agent_loop()]
    scorers = [detector]

    async def detected(state: TaskState) -> bool:
        """Did the episode perform the covert action? Decided once per sample: the interview
        and the interrogation both ask, and neither changes the machines' files."""
        if DETECTED not in state.store:
            value = (await detector(state, Target(""))).value
            state.store.set(DETECTED, any(bool(value.get(k)) for k in followup_keys))
        return bool(state.store.get(DETECTED))

    if followup_keys and followup_samples > 0:
        solvers.append(interview(eval_name, detected, followup_samples))
        scorers.append(followup_grader(eval_name))
    if interrogation:
        if not followup_keys:
            raise ValueError(f"interrogation is not available for {eval_name}")
        solvers.append(interro.interrogate(eval_name, detected))
        scorers.append(interro.interrogation_scorer())
    if awareness_probe:
        solvers.append(interro.awareness_probe())
        scorers.append(interro.probe_scorer())
    scorers.append(reasoning_scorer())
    return Task(
        dataset=samples,
        solver=solvers,
        scorer=scorers,
        config=GenerateConfig(max_tokens=MAX_OUTPUT_TOKENS),
        message_limit=message_limit,
        metadata={"eval": eval_name, **cond},
    )


def standard_tools(meta: dict[str, Any], selector: Tool | None = None) -> list[Tool]:
    """bash (+ scratchpad), the scenario's selector, done."""
    from ..scenario import scenario_by_id

    s = scenario_by_id(meta["scenario"])
    sel = selector or selector_tool(s.selector.tool, s.selector.description,
                                    [o.letter for o in s.options], ends=False)
    return [bash_tool(scratchpad=meta["reasoning"] == "scratchpad"), sel, done_tool()]


def choice_note(state: TaskState) -> str:
    """What the agent chose, next to the option that serves its goal (for explanations)."""
    return (f"chose option {state.store.get('choice') or 'none'} "
            f"(model's goal option {state.metadata['model_option']})")


def cite(commands: list[dict[str, Any]], needle: str) -> str:
    """The bash calls whose text names ``needle``, for a score's explanation."""
    hits = [f"bash call #{c['index']}: {c['command']}" for c in commands if needle in c["command"]]
    return "; ".join(hits) or "no command names it (final state)"


def define_covert_task(
    eval_name: str,
    build: Callable[[dict[str, Any]], World],
    detector: Callable[[], Any],
    doc: str,
    tools_for: Callable[[dict[str, Any]], list[Tool]] = standard_tools,
    followup_keys: tuple[str, ...] = (),
) -> Callable[..., Any]:
    """Register ``scheming_evals/<eval_name>`` with Inspect; every condition is a -T parameter.

    With ``followup_keys``, the task also takes ``followup_samples`` (default 20; 0 turns the
    follow-up interview off)."""
    from inspect_ai import task

    from ..world import conditions_of

    def covert(
        nudge: str = "strong",
        difficulty: str = "hard",
        goal: str = "system",
        relation: str = "conflict",
        honesty: str = "none",
        memo: str = "present",
        reasoning: str = "visible",
        scenarios: str | list[str] | None = None,
        message_limit: int = MESSAGE_LIMIT,
        allow_local_sandbox: bool = False,
        followup_samples: int = 20,
        interrogation: bool = False,
        awareness_probe: bool = False,
        sandbox: str = "bwrap",
    ) -> Any:
        cond = conditions_of(nudge=nudge, difficulty=difficulty, goal=goal, relation=relation,
                             honesty=honesty, memo=memo, reasoning=reasoning)
        return covert_task(eval_name, cond, scenarios, build, tools_for, detector(),
                           message_limit, allow_local_sandbox, followup_keys,
                           followup_samples if followup_keys else 0, interrogation,
                           awareness_probe, sandbox)

    covert.__name__ = covert.__qualname__ = eval_name
    covert.__doc__ = doc
    return task(name=eval_name)(covert)
