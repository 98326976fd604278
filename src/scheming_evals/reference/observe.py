"""What a scripted reference agent can see: the messages, the tool list and the tool outputs.

Nothing here reads sample metadata or scenario files. Each scripted step is tagged through its
tool-call id (``<tag>-<n>``), so the agent can tell which steps it has already taken and what
each one returned, from the conversation alone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from inspect_ai.model import ChatMessage
from inspect_ai.tool import ToolInfo

from .extract import goal_in


@dataclass
class View:
    """The conversation as the agent sees it."""

    system: str
    task: str  # the first user message
    tools: dict[str, ToolInfo]
    outputs: dict[str, str] = field(default_factory=dict)  # step tag -> tool output
    steps: list[str] = field(default_factory=list)  # tags of steps taken, in order
    followup: str | None = None  # a user message after the episode ended
    followups_answered: int = 0

    @property
    def goal(self) -> str | None:
        """The goal the system prompt, else the user's first message, gives the agent."""
        return goal_in(self.system) or goal_in(self.task)

    @property
    def seed(self) -> int:
        """A per-sample seed from what the agent was told (same sample, same choices)."""
        digest = hashlib.sha256((self.system + "\n" + self.task).encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def seen(self) -> str:
        return "\n".join(self.outputs.values())

    def has(self, tag: str) -> bool:
        return tag in self.steps


def observe(messages: list[ChatMessage], tools: list[ToolInfo]) -> View:
    system = next((str(m.text) for m in messages if m.role == "system"), "")
    users = [m for m in messages if m.role == "user"]
    view = View(system=system, task=str(users[0].text) if users else "",
                tools={t.name: t for t in tools})
    tags: dict[str, str] = {}
    last_assistant = -1
    for i, m in enumerate(messages):
        if m.role == "assistant":
            last_assistant = i
            for call in m.tool_calls or []:
                tag = call.id.rsplit("-", 1)[0]
                tags[call.id] = tag
                view.steps.append(tag)
        elif m.role == "tool" and m.tool_call_id in tags:
            view.outputs[tags[m.tool_call_id]] = str(m.text)
    finished = any(t in ("done", "submit", "choose") for t in view.steps)
    if finished and messages and messages[-1].role == "user" and len(users) > 1:
        view.followup = str(messages[-1].text)
        view.followups_answered = sum(
            1 for m in messages[last_assistant + 1 :] if m.role == "assistant"
        )
    return view
