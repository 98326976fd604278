"""The plan as one table before anything runs: ``scheming-evals run --dry-run`` and
``--confirm-above`` (estimates from ``costs``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table

from . import costs


@dataclass(frozen=True)
class Row:
    cost: costs.Cost
    usd: float | None
    worst_usd: float | None
    hours: float
    worst_hours: float


def rows(planned: list[Any], *, epochs: int, limit: int | None, max_connections: int,
         grader: str | None, assume: costs.Assumptions) -> list[Row]:
    out = []
    for c in costs.estimate(planned, epochs=epochs, limit=limit, assume=assume, grader=grader):
        out.append(Row(c, costs.price(c.model, c.input_tokens, c.output_tokens),
                       costs.price(c.model, c.worst_input, c.worst_output),
                       costs.hours(c, max_connections, assume),
                       costs.hours(c, max_connections, assume, worst=True)))
    return out


def _usd(v: float | None) -> str:
    return "no price" if v is None else f"{v:,.2f}"


def _n(v: float) -> str:
    return f"{v / 1e6:,.1f}M" if v >= 1e6 else f"{v:,.0f}"


def show(console: Console, planned: list[Any], *, epochs: int, limit: int | None,
         max_connections: int, grader: str | None,
         assume: costs.Assumptions = costs.Assumptions()) -> list[Row]:  # noqa: B008
    """Print the plan's table and its assumptions; return the rows."""
    table = rows(planned, epochs=epochs, limit=limit, max_connections=max_connections,
                 grader=grader, assume=assume)
    for r in table:
        c = r.cost
        role = "grader" if grader and c.model == grader and not c.tasks else (
            f"{c.tasks} tasks, {c.rollouts:,} rollouts")
        t = Table(title=f"{c.model}: {role}", title_justify="left")
        for col in ("", "model calls", "input tokens", "output tokens", "USD", "hours"):
            t.add_column(col, justify="left" if not col else "right", no_wrap=True)
        t.add_row("expected", _n(c.calls), _n(c.input_tokens), _n(c.output_tokens),
                  _usd(r.usd), f"{r.hours:,.1f}")
        t.add_row("worst case", _n(c.worst_calls), _n(c.worst_input), _n(c.worst_output),
                  _usd(r.worst_usd), f"{r.worst_hours:,.1f}")
        console.print(t)
    console.print(
        f"Expected: {assume.turns} model calls per episode ({assume.output_tokens} output + "
        f"{assume.tool_tokens} tool-result tokens per turn, prompts measured at "
        f"{costs.CHARS_PER_TOKEN:g} characters per token), follow-ups after "
        f"{assume.detect_rate:.0%} of rollouts (8 question variants x the samples per variant, "
        f"each answer graded once). Worst case: every episode runs to its message limit and "
        f"every rollout is followed up. Hours: {max_connections} calls in flight "
        f"(--max-connections) at {assume.latency_s:g} s per call. Prompt caching, retries and "
        f"the interrogation (off by default) are not counted. Prices: {costs.prices_source()}"
        + ("; reference/* are free scripted agents (the USD shown is a fictitious test rate)."
           if any(r.cost.model.startswith("reference/") for r in table) else "."),
        highlight=False)
    return table


def confirm(table: list[Row], above: float, yes: bool, fail: Callable[[str], NoReturn]) -> None:
    """Ask before a plan whose expected cost exceeds ``above`` USD (or whose cost is unknown);
    without a terminal, refuse unless ``yes``."""
    known = [r.usd for r in table if r.usd is not None]
    total = sum(known)
    unknown = [r.cost.model for r in table if r.usd is None]
    if total <= above and not unknown:
        return
    why = (f"expected cost ${total:,.2f} exceeds --confirm-above ${above:g}" if total > above
           else f"no price known for {', '.join(unknown)}")
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{why}; rerun with --yes to run it anyway")
    import typer

    if not typer.confirm(f"{why}. Run it?", default=False):
        fail("not run")
