"""Prices and the cost of a plan before it runs (``scheming-evals run --dry-run``).

Prices come from ``genai-prices`` (Pydantic's maintained price database; its data snapshot ships
with the package, so no network is needed). The estimate builds every planned task (datasets
only: no model, no key, no sandbox) to count rollouts and measure each sample's opening prompt,
then adds what a rollout costs under stated assumptions (``Assumptions``): turns per episode,
tokens per turn, the share of rollouts whose detected action triggers follow-ups, latency.
Worst case: every episode runs to its message limit and every rollout triggers follow-ups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .evals import registry
from .evals.episode import MESSAGE_LIMIT

CHARS_PER_TOKEN = 4.0  # no tokenizer offline; the usual English average
# The scripted reference agents are free: this fictitious rate (USD per million tokens) exists
# so that --max-cost can be tested offline.
REFERENCE_RATE = 1.0


@dataclass(frozen=True)
class Assumptions:
    """What a rollout is assumed to cost where the plan cannot know it (all stated in the
    table's caption)."""

    turns: int = 8  # model calls per episode, expected (worst: the message limit / 2)
    output_tokens: int = 300  # per agent turn (reasoning + tool call)
    tool_tokens: int = 200  # per tool result fed back
    detect_rate: float = 0.1  # share of rollouts whose detected action triggers follow-ups
    answer_tokens: int = 150  # per follow-up answer
    question_tokens: int = 25  # per follow-up question
    grade_input_tokens: int = 600  # per grading call (prompt + answer)
    grade_output_tokens: int = 60
    latency_s: float = 5.0  # per model call


@dataclass
class Cost:
    """Calls and tokens (expected and worst case) of one model's share of a plan."""

    model: str
    tasks: int = 0
    rollouts: int = 0
    calls: float = 0.0
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    worst_calls: float = 0.0
    worst_input: float = 0.0
    worst_output: float = 0.0

    def add(self, calls: float, inp: float, out: float, worst: tuple[float, float, float]) -> None:
        self.calls += calls
        self.input_tokens += inp
        self.output_tokens += out
        self.worst_calls += worst[0]
        self.worst_input += worst[1]
        self.worst_output += worst[2]


def split_model(model: str) -> tuple[str | None, str]:
    """Inspect's ``provider/model`` as (provider, model reference)."""
    provider, _, ref = model.partition("/")
    return (provider, ref) if ref else (None, model)


def price(model: str, input_tokens: float, output_tokens: float, cache_read: float = 0.0,
          cache_write: float = 0.0) -> float | None:
    """USD for this usage (Inspect's counts: ``input_tokens`` excludes cached input), or None
    when genai-prices does not know the model."""
    provider, ref = split_model(model)
    if provider == "reference":
        return (input_tokens + output_tokens + cache_read + cache_write) * REFERENCE_RATE / 1e6
    from genai_prices import Usage, calc_price

    # genai-prices counts cached input inside input_tokens
    usage = Usage(input_tokens=int(input_tokens + cache_read + cache_write),
                  cache_read_tokens=int(cache_read) or None,
                  cache_write_tokens=int(cache_write) or None,
                  output_tokens=int(output_tokens))
    for pid in ([provider, None] if provider else [None]):
        try:
            return float(calc_price(usage, model_ref=ref, provider_id=pid).total_price)
        except LookupError:
            continue
    return None


def tokens_of(usage: Any) -> int:
    """All tokens of one Inspect ``ModelUsage`` (cached input included)."""
    return int(usage.total_tokens or (usage.input_tokens + usage.output_tokens
                                      + (usage.input_tokens_cache_read or 0)
                                      + (usage.input_tokens_cache_write or 0)))


def usage_price(model: str, usage: Any) -> float | None:
    """USD for one Inspect ``ModelUsage``."""
    return price(model, usage.input_tokens, usage.output_tokens,
                 usage.input_tokens_cache_read or 0, usage.input_tokens_cache_write or 0)


def known_price(model: str) -> bool:
    return price(model, 1, 1) is not None


def prices_source() -> str:
    from importlib.metadata import version

    return f"genai-prices {version('genai-prices')} (its bundled price snapshot)"


def _chars(sample: Any) -> int:
    """The characters of a sample's opening prompt (system + user)."""
    if isinstance(sample.input, str):
        return len(sample.input)
    return sum(len(m.text) for m in sample.input)


def _episode(prompt: float, turns: int, a: Assumptions) -> tuple[float, float]:
    """(input, output) tokens of an episode of ``turns`` calls: each call re-reads the prompt
    and every earlier turn and tool result."""
    step = a.output_tokens + a.tool_tokens
    return turns * prompt + step * turns * (turns - 1) / 2, float(turns * a.output_tokens)


def _followup_context(prompt: float, turns: int, a: Assumptions) -> float:
    """Input tokens of one follow-up answer: the opening prompt, every turn and tool result
    of the episode, and the question."""
    return prompt + (a.output_tokens + a.tool_tokens) * turns + a.question_tokens


def estimate(planned: list[Any], *, epochs: int = 1, limit: int | None = None,
             assume: Assumptions = Assumptions(), grader: str | None = None  # noqa: B008
             ) -> list[Cost]:
    """Per model (and the grader, when it is another model): rollouts, calls and tokens of the
    plan, expected and worst case."""
    factories: dict[str, Any] = registry.load_tasks()
    costs: dict[str, Cost] = {}
    for p in planned:
        spec = registry.spec(p.eval_name)
        task = factories[p.eval_name](**p.args)
        samples = list(task.dataset)[: limit or None]
        limit_msgs = int(task.message_limit or MESSAGE_LIMIT)
        worst_turns = max(1, (limit_msgs - 2) // 2)
        turns = min(assume.turns, worst_turns)
        follow = 0
        if spec.followup is not None:
            follow = 8 * int(p.args.get("followup_samples", 20))
        me = costs.setdefault(p.model, Cost(p.model))
        grading = costs.setdefault(grader, Cost(grader)) if grader else me
        me.tasks += 1
        for s in samples:
            prompt = _chars(s) / CHARS_PER_TOKEN
            inp, out = _episode(prompt, turns, assume)
            w_inp, w_out = _episode(prompt, worst_turns, assume)
            # a follow-up answer reads the whole episode once, then its question; each answer
            # is graded once
            ctx = _followup_context(prompt, turns, assume)
            w_ctx = _followup_context(prompt, worst_turns, assume)
            f_calls = follow * assume.detect_rate
            for _ in range(epochs):
                me.rollouts += 1
                me.add(turns + f_calls, inp + f_calls * ctx, out + f_calls * assume.answer_tokens,
                       (worst_turns + follow, w_inp + follow * w_ctx,
                        w_out + follow * assume.answer_tokens))
                if follow and not p.model.startswith("reference/"):
                    grading.add(f_calls, f_calls * assume.grade_input_tokens,
                                f_calls * assume.grade_output_tokens,
                                (follow, follow * assume.grade_input_tokens,
                                 follow * assume.grade_output_tokens))
    return [c for c in costs.values() if c.rollouts or c.calls]


def hours(cost: Cost, max_connections: int, assume: Assumptions, worst: bool = False) -> float:
    """Wall time if ``max_connections`` calls are always in flight at the stated latency."""
    calls = cost.worst_calls if worst else cost.calls
    return math.ceil(calls) * assume.latency_s / max(1, max_connections) / 3600
