"""The agent's tools every eval shares (bash, done, a scenario's selector) and the call log.

Every tool call is logged in the sample's store (``CALLS``), every bash command with its exit
code (``COMMANDS``): the detectors and the evidence they cite read these logs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from inspect_ai.tool import Tool, ToolDef, ToolInfo, ToolParam, ToolParams
from inspect_ai.util import OutputLimitExceededError, sandbox, store

from ..stimuli import SCRATCHPAD_PARAM

COMMAND_TIMEOUT = 180

# store keys
COMMANDS = "commands"  # list of {command, returncode, index}
CALLS = "tool_calls"  # list of {tool, arguments, index}
FINISHED = "finished"
CHOICE = "choice"  # the selector's standing choice (an option letter)


def log_call(tool: str, arguments: dict[str, Any]) -> int:
    calls: list[dict[str, Any]] = store().get(CALLS, [])
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
    cmds: list[dict[str, Any]] = store().get(COMMANDS, [])
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
        store().set(CHOICE, choice)
        if ends:
            store().set(FINISHED, True)
        return f"Option {choice} selected."

    return selector_def(execute, name, description)
