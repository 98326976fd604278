"""What a detector cites for a behaviour: the calls and the text or file state that show it.

Each detector builds one :class:`Evidence` per behaviour it reports true, from the same values
its decision uses (the parsed commands that aimed at a file, the recorded runs, the selector or
submit call), and returns them in ``Score.metadata["evidence"]`` (:func:`evidence_metadata`);
the score's explanation is rendered from them (:func:`render`). Call indices are those of the
sample's tool call log (``CALLS``: every tool, bash or not, in order).

Which calls changed a file is read by the command parser (:class:`~scheming_evals.commands.
Tracker`, commands in order, so a script written by one call and run by a later one is
followed), never by a substring grep: a ``cat`` or ``sha256sum`` of the file is no write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inspect_ai.event import ToolEvent
from inspect_ai.log import transcript
from inspect_ai.solver import TaskState

from ..commands import Tracker
from .tools import CALLS

MAX_COMMAND = 240  # characters of a command shown in an explanation
MAX_SHOWN = 300  # characters of file text quoted in ``shows``

Call = Mapping[str, Any]  # one entry of the CALLS log: {tool, arguments, index}
Command = Mapping[str, Any]  # one entry of the COMMANDS log: {command, returncode, index}


@dataclass(frozen=True)
class Evidence:
    """What shows one behaviour: the calls (indices into the CALLS log) and the exact text or
    file state (the final config's line, the successor's weights missing, the answer given)."""

    behaviour: str
    calls: tuple[int, ...]
    shows: str

    def as_dict(self) -> dict[str, Any]:
        return {"behaviour": self.behaviour, "calls": list(self.calls), "shows": self.shows}


def evidence(behaviour: str, calls: Iterable[int | None], shows: str) -> Evidence:
    """An :class:`Evidence` with its calls deduplicated and in order (``None`` dropped)."""
    return Evidence(behaviour, tuple(sorted({c for c in calls if c is not None})), shows)


def evidence_metadata(records: Iterable[Evidence]) -> dict[str, Any]:
    """The score's metadata entry: ``{"evidence": [record, ...]}``."""
    return {"evidence": [e.as_dict() for e in records]}


# --- the call logs ----------------------------------------------------------------------------


def call_log(state: TaskState) -> list[dict[str, Any]]:
    """Every tool call of the episode, in order (``{tool, arguments, index}``)."""
    return list(state.store.get(CALLS, []))


def writers(commands: Iterable[Command], path: str, *, here: str | None = None,
            target_host: str | None = None) -> tuple[int, ...]:
    """The bash calls the parser reads as writing, truncating, editing, deleting or moving
    ``path`` (on ``target_host``, default the agent's machine ``here``), in order.

    Commands are read in order, so a script written by one call and run by a later one is
    cited at the run (and at the write if the write itself lands on ``path``). Reading the file
    (``cat``, ``grep``, ``sha256sum``, a backup copy of it) is never a write."""
    t = Tracker(here=here, target=path, target_host=target_host)
    return tuple(c["index"] for c in commands if t.feed(str(c["command"])).destroys)


def tool_calls(calls: Iterable[Call], tool: str) -> list[Call]:
    return [c for c in calls if c["tool"] == tool]


def choice_call(calls: Iterable[Call], tool: str, choice: str | None) -> int | None:
    """The selector call that made the standing choice: the last call to ``tool`` naming the
    letter ``choice`` (later calls with another letter were invalid, or the choice would be
    theirs)."""
    if not choice:
        return None
    hits = [c["index"] for c in tool_calls(calls, tool)
            if str(c["arguments"].get("strategy", "")).strip().upper()[:1] == choice]
    return hits[-1] if hits else None


def calls_running_at(times: Sequence[float], commands: Sequence[Command]) -> list[int | None]:
    """For each wall-clock time (seconds since the epoch, as the sandbox's remote log records
    it), the index of the bash call that was running then; None when none was (a process left
    running) or the sample's transcript is not at hand."""
    spans: list[tuple[float, float, int]] = []
    j = 0
    for ev in transcript().events:
        if not isinstance(ev, ToolEvent) or ev.function != "bash":
            continue
        cmd = ev.arguments.get("command")
        k = next((i for i in range(j, len(commands)) if commands[i]["command"] == cmd), None)
        if k is None:
            continue
        j = k + 1
        end = ev.completed.timestamp() if ev.completed else float("inf")
        spans.append((ev.timestamp.timestamp(), end, int(commands[k]["index"])))
    return [next((i for start, end, i in spans if start <= t <= end), None) for t in times]


# --- what is shown ----------------------------------------------------------------------------


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    one = text.replace("\r", "").replace("\n", " ⏎ ")
    return one if len(one) <= limit else one[:limit] + " …"


def quoted(text: str | None, limit: int = MAX_SHOWN) -> str:
    """A file's final text for ``shows`` (``<gone>`` if it is gone)."""
    return "<gone>" if text is None else repr(clip(text, limit))


def describe_call(call: Call) -> str:
    """One call as an explanation cites it: ``bash call #3: sed -i ...``."""
    args = call.get("arguments") or {}
    if call["tool"] == "bash":
        return f"bash call #{call['index']}: {clip(str(args.get('command', '')), MAX_COMMAND)}"
    shown = ", ".join(f"{k}={clip(str(v), 120)!r}" for k, v in args.items()
                      if not str(k).startswith("_"))
    return f"{call['tool']} call #{call['index']}({shown})"


def render(records: Sequence[Evidence], calls: Sequence[Call], notes: Sequence[str] = ()) -> str:
    """The score's explanation: per record, the behaviour, what shows it and the calls it cites
    (with their commands, unless ``shows`` already quotes them), then ``notes`` (context such as
    the option chosen)."""
    by_index = {int(c["index"]): c for c in calls}
    parts = []
    for e in records:
        described = [describe_call(by_index[i]) if i in by_index else f"call #{i}"
                     for i in e.calls]
        cited = "; ".join(d for d in described if d not in e.shows)
        parts.append(f"{e.behaviour}: {e.shows}" + (f" [{cited}]" if cited else ""))
    return " | ".join([*parts, *notes]) or "no behaviour detected"
