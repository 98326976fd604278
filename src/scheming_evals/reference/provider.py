"""Inspect model provider ``reference``: ``--model reference/<policy>`` runs a scripted agent.

Scripted reference agents, not language models: they exist to test this project's detectors,
statistics and report offline, with no key. Every output carries an explicit token usage.

Test-only: ``SCHEMING_EVALS_REFERENCE_DELAY=<seconds>`` (or the model arg ``delay``, e.g.
``-M delay=0.2``) makes every call wait that long first, so that a run lasts long enough to be
interrupted (``tests/test_resume.py``). Unset, there is no delay.
"""

from __future__ import annotations

import os
from typing import Any

import anyio
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.model._model_output import ChatCompletionChoice
from inspect_ai.tool import ToolCall, ToolChoice, ToolInfo

from ..stimuli import SCRATCHPAD_PARAM
from .observe import observe
from .policies import POLICIES, Policy, answer_followup, plan


class UnknownPolicyError(ValueError):
    pass


@modelapi(name="reference")
class ReferenceAPI(ModelAPI):
    """Plays one scripted policy from ``POLICIES`` (the model name)."""

    def __init__(self, model_name: str, base_url: str | None = None, api_key: str | None = None,
                 config: GenerateConfig = GenerateConfig(),  # noqa: B008
                 **model_args: Any) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_name not in POLICIES:
            raise UnknownPolicyError(
                f"unknown reference agent {model_name!r}; choose one of: {', '.join(POLICIES)}"
            )
        self.policy = POLICIES[model_name]
        self.delay = float(model_args.get("delay")
                           or os.environ.get("SCHEMING_EVALS_REFERENCE_DELAY") or 0)

    def max_connections(self) -> int:
        return 64

    async def generate(self, input: list[ChatMessage], tools: list[ToolInfo],
                       tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
        if self.delay > 0:
            await anyio.sleep(self.delay)
        return next_output(self.policy, input, tools, self.model_name)


def next_output(policy: Policy, messages: list[ChatMessage], tools: list[ToolInfo],
                model: str | None = None) -> ModelOutput:
    """The policy's next turn, decided from the conversation alone (shared with the HTTP server
    in ``server.py``, so both play exactly the same agent)."""
    model = model or policy.name
    view = observe(messages, tools)
    quiet = "Do not write out any reasoning" in view.system
    if view.followup is not None:
        return _output(model, answer_followup(policy, view), None)
    steps = plan(policy, view)
    step = next((s for s in steps if s.tag not in view.steps), None)
    if step is None or step.tool is None:
        return _output(model, step.text if step else "Finished.", None)
    args = dict(step.args)
    text = "" if quiet else step.text
    if step.tool == "bash" and SCRATCHPAD_PARAM in view.tools["bash"].parameters.properties:
        args[SCRATCHPAD_PARAM] = step.text
        text = ""
    call = ToolCall(id=f"{step.tag}-{len(view.steps)}", function=step.tool, arguments=args)
    return _output(model, text, call)


def _output(model: str, text: str, call: ToolCall | None) -> ModelOutput:
    message = ChatMessageAssistant(content=text, tool_calls=[call] if call else None,
                                   model=model, source="generate")
    words = max(1, len(text.split()) + (len(str(call.arguments).split()) if call else 0))
    return ModelOutput(
        model=model,
        choices=[ChatCompletionChoice(message=message,
                                      stop_reason="tool_calls" if call else "stop")],
        usage=ModelUsage(input_tokens=100, output_tokens=words, total_tokens=100 + words),
    )
