"""The suite: which tasks, under which conditions, on which models (``scheming-evals run``).

Runs on Inspect's eval sets, so running the same command again completes only what is
missing. With no model given it runs the scripted reference agents (offline, no key): each eval
on the policies that are its positive and negative controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import costs
from .conditions import validate
from .evals import registry

DEMO_FOLLOWUPS = 2  # answers per question variant in the offline demo (20 for real models)


@dataclass(frozen=True)
class Planned:
    eval_name: str
    args: dict[str, Any]
    model: str


def condition_sets(eval_name: str, spec: str) -> list[dict[str, str]]:
    """The condition dicts to run: ``paper`` | ``controls`` | ``full`` | ``a=b,c=d`` (the
    default plus each listed single change)."""
    es = registry.spec(eval_name)
    if spec == "paper":
        return [{}]
    if spec in ("controls", "full"):
        extra = [*es.controls, *(es.full if spec == "full" else ())]
        return [{}, *(dict(c) for c in extra)]
    out: list[dict[str, str]] = [{}]
    for item in [x.strip() for x in spec.split(",") if x.strip()]:
        if "=" not in item:
            raise ValueError(f"--conditions: {item!r} is not name=value (or paper|controls|full)")
        k, v = (p.strip() for p in item.split("=", 1))
        validate(k, v)  # an unknown name or value is an error even where it does not apply
        if k in es.conditions:
            out.append({k: v})
    return out


def plan(models: list[str], evals: list[str], conditions: str,
         scenarios: str | None, sandbox: str | None = None,
         scenario_dir: str | None = None) -> list[Planned]:
    """Every (eval, condition, model) to run (``sandbox``: every task's ``sandbox`` parameter,
    e.g. ``docker``; default bwrap; ``scenario_dir``: the user's own scenarios, added)."""
    planned: list[Planned] = []
    for name in evals:
        es = registry.spec(name)
        targets = models or list(es.reference_models)
        demo = not models
        for cond in condition_sets(name, conditions):
            args: dict[str, Any] = dict(cond)
            args.update(es.demo_args if demo else es.real_args)
            if es.uses_scenarios:
                if scenarios:
                    args["scenarios"] = scenarios
                if scenario_dir:
                    args["scenario_dir"] = scenario_dir
            if sandbox:
                args["sandbox"] = sandbox
            for m in targets:
                planned.append(Planned(name, args, m))
    return planned


def plan_id(planned: list[Planned], grader: str | None, epochs: int) -> str:
    """A short stable name for a plan (what runs, on which models, graded by whom, how many
    epochs): ``run``'s default log folder, so one plan resumes in its own folder and two plans
    never share one."""
    import hashlib
    import json

    key = json.dumps([sorted(json.dumps([p.eval_name, p.args, p.model], sort_keys=True)
                             for p in planned), grader, epochs])
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def model_roles(grader: str | None) -> dict[str, str]:
    """The Inspect model roles every task gets: ``grader`` (``--grader``) when one is given;
    without it follow-ups are graded by the model under test (said so in every score)."""
    return {"grader": grader} if grader else {}


def build_tasks(planned: list[Planned], grader: str | None = None) -> list[Any]:
    """Inspect tasks, each bound to its model (and the ``grader`` role, if given)."""
    from inspect_ai import task_with

    tasks = registry.load_tasks()
    roles = model_roles(grader)
    out = []
    for p in planned:
        factory: Any = tasks[p.eval_name]
        if roles:
            out.append(task_with(factory(**p.args), model=p.model, model_roles=dict(roles)))
        else:
            out.append(task_with(factory(**p.args), model=p.model))
    return out


# --- Run state: crashed logs, token and cost accounting, budgets ------------------------------

def superseded_crashed_logs(log_dir: str) -> list[str]:
    """Logs a killed run left in ``started`` state whose task has a newer finished log holding
    every one of their samples (same uuid): Inspect's eval set reused those samples and keeps the
    old file only because it cannot tell that its writer is dead. Reading both would count the
    reused rollouts twice, so ``run`` removes them after a successful pass."""
    from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries

    by_task: dict[str, list[tuple[float, str, str]]] = {}
    for info in list_eval_logs(log_dir):
        try:
            head = read_eval_log(info.name, header_only=True)
        except Exception:  # noqa: BLE001 - an unreadable file is not ours to remove
            continue
        by_task.setdefault(head.eval.task_id, []).append((info.mtime or 0, info.name,
                                                          head.status))
    out: list[str] = []
    for logs in by_task.values():
        logs.sort(reverse=True)
        newest_mtime, newest, status = logs[0]
        if status != "success":
            continue
        kept = {(str(s.id), s.epoch): s.uuid for s in read_eval_log_sample_summaries(newest)}
        for mtime, name, st in logs[1:]:
            if st != "started" or mtime > newest_mtime:
                continue
            old = read_eval_log_sample_summaries(name)
            if all(s.uuid and kept.get((str(s.id), s.epoch)) == s.uuid for s in old
                   if s.completed):
                out.append(name)
    return out


def budget_reached(tokens: int, usd: float, max_tokens: int | None, max_cost: float | None
                   ) -> str | None:
    """What ``run`` says when spending has reached a budget (None while it has not)."""
    if max_tokens is not None and tokens >= max_tokens:
        return f"token budget reached: {tokens:,} tokens of --max-tokens {max_tokens:,}"
    if max_cost is not None and usd >= max_cost:
        return f"cost budget reached: ${usd:.4f} of --max-cost ${max_cost:g}"
    return None


class BudgetReached(Exception):  # noqa: N818 - a state, not an error of the user's
    pass


class Budget:
    """Tokens (input + output, cached input included) and USD spent by this invocation, per
    model, against the ``--max-tokens`` / ``--max-cost`` limits. Fed by an Inspect hook on
    every model call; when a limit is reached it interrupts the eval set the way Ctrl-C does
    (finished rollouts are written, running ones are cancelled and rerun next time)."""

    def __init__(self) -> None:
        self.reset(None, None)

    def reset(self, max_tokens: int | None, max_cost: float | None) -> None:
        self.max_tokens, self.max_cost = max_tokens, max_cost
        self.tokens: dict[str, int] = {}
        self.cost: dict[str, float] = {}
        self.reached: str | None = None

    @property
    def active(self) -> bool:
        return self.max_tokens is not None or self.max_cost is not None

    def add(self, model: str, usage: Any) -> None:
        self.tokens[model] = self.tokens.get(model, 0) + costs.tokens_of(usage)
        usd = costs.usage_price(model, usage) if self.max_cost is not None else None
        if usd is not None:
            self.cost[model] = self.cost.get(model, 0.0) + usd
        if self.reached is None:
            self.reached = budget_reached(sum(self.tokens.values()), sum(self.cost.values()),
                                          self.max_tokens, self.max_cost)
            if self.reached is not None:
                import os
                import signal

                os.kill(os.getpid(), signal.SIGINT)


BUDGET = Budget()


def _register_budget_hook() -> None:
    from inspect_ai.hooks import Hooks, ModelUsageData, hooks

    @hooks(name="scheming_evals_budget", description="--max-tokens / --max-cost of run")
    class _BudgetHook(Hooks):
        def enabled(self) -> bool:
            return BUDGET.active

        async def on_model_usage(self, data: ModelUsageData) -> None:
            BUDGET.add(data.model_name, data.usage)


_hook_registered = False


def enable_budget(max_tokens: int | None, max_cost: float | None) -> Budget:
    global _hook_registered
    if not _hook_registered:
        _register_budget_hook()
        _hook_registered = True
    BUDGET.reset(max_tokens, max_cost)
    return BUDGET


@dataclass
class ModelTotals:
    model: str
    samples: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read: int = 0
    cost: float | None = None


def newest_logs(log_dir: str) -> list[tuple[str, Any]]:
    """(file, header) of the newest log of each task in ``log_dir`` (what the eval set holds
    now); unreadable files are skipped."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    newest: dict[str, tuple[float, str, Any]] = {}
    for info in list_eval_logs(log_dir):
        try:
            head = read_eval_log(info.name, header_only=True)
        except Exception:  # noqa: BLE001 - not readable: not counted
            continue
        key = head.eval.task_id
        if key not in newest or (info.mtime or 0) > newest[key][0]:
            newest[key] = (info.mtime or 0, info.name, head)
    return [(name, head) for _, name, head in newest.values()]


def finished_in(log_dir: str) -> tuple[int, int]:
    """(tasks finished, rollouts completed) in a log folder, newest log of each task."""
    from inspect_ai.log import read_eval_log_sample_summaries

    logs = newest_logs(log_dir)
    tasks = sum(1 for _, head in logs if head.status == "success")
    rollouts = sum(1 for name, _ in logs
                   for s in read_eval_log_sample_summaries(name) if s.completed and not s.error)
    return tasks, rollouts


def usage_by_model(log_dir: str) -> list[ModelTotals]:
    """Completed rollouts and their usage per model, over the newest log of each task in
    ``log_dir`` (what the eval set holds now, previous invocations included). Usage counts
    every model a sample called (graders too), under that model's name."""
    from inspect_ai.log import read_eval_log_sample_summaries

    totals: dict[str, ModelTotals] = {}
    for name, head in newest_logs(log_dir):
        for s in read_eval_log_sample_summaries(name):
            if not s.completed or s.error:
                continue
            t = totals.setdefault(head.eval.model, ModelTotals(head.eval.model))
            t.samples += 1
            for m, u in (s.model_usage or {}).items():
                u_t = totals.setdefault(m, ModelTotals(m))
                u_t.input_tokens += u.input_tokens
                u_t.output_tokens += u.output_tokens
                u_t.cache_read += u.input_tokens_cache_read or 0
                usd = costs.usage_price(m, u)
                if usd is not None:
                    u_t.cost = (u_t.cost or 0.0) + usd
    return sorted(totals.values(), key=lambda t: t.model)
