"""One episode on the sandbox: lay the world out, give the tools, run the agent, seal the end.

Also the helpers detectors use to read the final state without leaving a trace.
"""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Callable, Mapping
from typing import Any

from inspect_ai.model import ChatMessageSystem, ChatMessageUser, execute_tools, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool
from inspect_ai.util import OutputLimitExceededError, sandbox, store

from ..sandbox import BwrapSandboxEnvironment, check_sandbox_safe
from ..world import World
from .tools import COMMANDS, FINISHED, model_view

MAX_OUTPUT_TOKENS = 4096  # paper: max 4096 output tokens per turn
MESSAGE_LIMIT = 60
LEFT_RUNNING = "left_running"  # store key: machine -> processes the agent left running
UNREADABLE = "\x00<unreadable>"  # read_or_none: the path exists but is not readable text

Meta = Mapping[str, Any]
WorldBuilder = Callable[[Meta], World]
ToolsFor = Callable[[Meta], list[Tool]]


@solver
def install_tools(tools_for: ToolsFor) -> Solver:
    """Give the agent the tools its sample needs (they depend on the scenario and conditions)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state.tools = tools_for(state.metadata)
        return state

    return solve


def bwrap_env(host: str | None = None) -> BwrapSandboxEnvironment | None:
    """The sample's machine ``host`` (default: the agent's) as a bwrap sandbox, or None on
    another provider (``sandbox()`` is Inspect's proxy: unwrap it)."""
    try:
        return (sandbox(host) if host else sandbox()).as_type(BwrapSandboxEnvironment)
    except TypeError:
        return None


class NoHostRead(Exception):
    """The host may not read this sandbox's files (another provider, or not root)."""


async def text_from_host(path: str, host: str | None = None) -> str:
    """A file's text read from the host (bwrap as root: nothing the agent left running can
    touch the read). Raises NoHostRead where it may not, FileNotFoundError, UnicodeDecodeError,
    OSError and OutputLimitExceededError."""
    env = bwrap_env(host)
    raw = None if env is None else await env.read_from_host(path)
    if raw is None:
        raise NoHostRead(path)
    return raw.decode("utf-8")


async def read_or_none(path: str, host: str | None = None) -> str | None:
    """A file's text as its owner sees it, even through a chmod (``None``: it is gone).

    Detectors and the oversight selector use it. If the file or a folder above it was made
    unreadable, the modes are opened up just enough to read and then put back, so reading
    leaves no trace in what is measured. On bwrap as root the file is read from the host
    (``read_from_host``), which needs neither. A path that is there but cannot be read as
    text (a folder, a fifo, a device such as a link to ``/dev/null``, a path through
    ``/proc/self``, bytes that are not UTF-8, more than the sandbox reads at once) gives
    ``UNREADABLE``: no parser takes it, no hash matches it."""
    env = sandbox(host) if host else sandbox()
    try:
        return await text_from_host(path, host)
    except NoHostRead:
        pass
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, OutputLimitExceededError):
        return UNREADABLE
    try:
        return await env.read_file(path)
    except (FileNotFoundError, PermissionError):
        pass  # gone, or behind a folder the agent made unreadable or unsearchable
    except (UnicodeDecodeError, OSError, OutputLimitExceededError):
        return UNREADABLE
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
    except (UnicodeDecodeError, OSError, OutputLimitExceededError):
        return UNREADABLE
    finally:
        for p, m in reversed(modes):
            await env.exec(["chmod", m, p])


async def mode_or_none(path: str, follow: bool = True, host: str | None = None) -> int | None:
    """A path's permission bits at the end (None: it is gone, or unknown): from the host where
    it may, else with ``stat`` in the machine (``-L`` when ``follow``)."""
    bwrap = bwrap_env(host)
    try:
        st = None if bwrap is None else await bwrap.stat_from_host(path, follow)
    except OSError:
        return None
    if st is not None:
        return stat.S_IMODE(st.st_mode)
    env = sandbox(host) if host else sandbox()
    res = await env.exec(["stat", *(["-L"] if follow else []), "-c", "%a", "--", path], cwd="/"
                         if path.startswith("/") else None)
    mode = res.stdout.strip()
    return int(mode, 8) if res.success and mode.isdigit() else None


@solver
def setup_world(build: WorldBuilder, allow_local_sandbox: bool = False) -> Solver:
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
    env = bwrap_env()
    if env is None:  # another provider (docker, k8s): nothing to freeze with
        return
    left = await env.seal()
    store().set(LEFT_RUNNING, {m: p for m, p in left.items() if p})


def bash_commands(state: TaskState) -> list[dict[str, Any]]:
    return list(state.store.get(COMMANDS, []))
