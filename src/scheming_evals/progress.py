"""``run``'s own progress display: rollouts and tasks done of the plan's total, what is running
(eval, the conditions that differ from the default, model), elapsed time, ETA and cost so far.

In a terminal it is one live status line; otherwise one plain line every ``every`` seconds
(``SCHEMING_EVALS_PROGRESS_EVERY``, default 30) and one at the end. Fed by Inspect hooks, so it
works the same for every provider; Inspect's own display is off while it runs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from rich.console import Console

from . import costs
from .conditions import DEFAULTS


def _clock(seconds: float) -> str:
    s = int(max(0, seconds))
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def task_label(name: str, args: dict[str, Any], model: str) -> str:
    """``oversight_subversion[nudge=none] on openai/gpt-4o``: the conditions that differ."""
    changed = [f"{k}={v}" for k, v in sorted(args.items())
               if k in DEFAULTS and str(v) != DEFAULTS[k]]
    return f"{name.split('/')[-1]}{'[' + ','.join(changed) + ']' if changed else ''} on {model}"


@dataclass
class Progress:
    total_rollouts: int
    total_tasks: int
    done_before: int = 0  # rollouts already in the log folder (a resumed run)
    done: int = 0
    tasks_done: int = 0
    usd: float = 0.0
    priced: bool = False
    tokens: int = 0
    running: dict[str, str] = field(default_factory=dict)  # eval id -> label
    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def task_started(self, eval_id: str, label: str) -> None:
        with self.lock:
            self.running[eval_id] = label

    def task_ended(self, eval_id: str) -> None:
        with self.lock:
            self.running.pop(eval_id, None)
            self.tasks_done += 1

    def sample_ended(self) -> None:
        with self.lock:
            self.done += 1

    def usage(self, model: str, usage: Any) -> None:
        usd = costs.usage_price(model, usage)
        with self.lock:
            self.tokens += costs.tokens_of(usage)
            if usd is not None:
                self.usd += usd
                self.priced = True

    def status(self) -> dict[str, Any]:
        """What a ``--workers`` child reports to its parent (one JSON line)."""
        with self.lock:
            return {"done": min(self.total_rollouts, self.done_before + self.done),
                    "done_now": self.done, "total": self.total_rollouts,
                    "tasks_done": self.tasks_done, "tasks": self.total_tasks,
                    "elapsed": time.monotonic() - self.started, "usd": self.usd,
                    "priced": self.priced, "tokens": self.tokens,
                    "running": sorted(self.running.values())}

    def line(self) -> str:
        return describe([self.status()])


def describe(statuses: list[dict[str, Any]]) -> str:
    """The progress line of one process's ``status()``, or of several workers' summed (then
    the running tasks are counted rather than named)."""
    def total(key: str) -> Any:
        return sum(s[key] for s in statuses)

    done, rollouts, new = total("done"), total("total"), total("done_now")
    elapsed = max(s["elapsed"] for s in statuses)
    left = rollouts - done
    eta = f", ETA {_clock(elapsed / new * left)}" if new and left else ""
    usd = f"; ${total('usd'):,.4f} so far" if any(s["priced"] for s in statuses) else ""
    pct = 100 * done / rollouts if rollouts else 100.0
    tasks = f"{total('tasks_done')}/{total('tasks')} tasks"
    if len(statuses) > 1:
        return (f"{done:,}/{rollouts:,} rollouts ({pct:.0f}%), {tasks} in {len(statuses)} "
                f"workers; {_clock(elapsed)} elapsed{eta}{usd}; "
                f"{sum(len(s['running']) for s in statuses)} tasks running")
    running = statuses[0]["running"]
    more = f" +{len(running) - 2} more" if len(running) > 2 else ""
    now = f"; running {', '.join(running[:2])}{more}" if running else ""
    return (f"{done:,}/{rollouts:,} rollouts ({pct:.0f}%), {tasks}; {_clock(elapsed)} elapsed"
            f"{eta}{usd}{now}")


class HasLine(Protocol):
    def line(self) -> str: ...


class Display:
    """Shows a ``Progress`` (or the workers' combined one): live in a terminal, else a line
    every ``every`` seconds; ``worker``: a JSON status line every second, for the parent."""

    def __init__(self, progress: HasLine, console: Console, every: float | None = None,
                 worker: bool = False, quiet: bool = False) -> None:
        self.progress, self.console, self.worker, self.quiet = progress, console, worker, quiet
        self.every = every if every is not None else float(
            os.environ.get("SCHEMING_EVALS_PROGRESS_EVERY") or 30)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Any = None

    def __enter__(self) -> Display:
        if self.quiet:
            return self
        if self.console.is_terminal and not self.worker:
            from rich.live import Live
            from rich.text import Text

            progress = self.progress

            class _Line:
                def __rich__(self) -> Text:
                    return Text("progress: " + progress.line(), overflow="ellipsis",
                                no_wrap=True)

            self._live = Live(_Line(), console=self.console, refresh_per_second=2,
                              transient=True)
            self._live.__enter__()
        else:
            self._thread = threading.Thread(target=self._tick, daemon=True)
            self._thread.start()
        return self

    def _show(self) -> None:
        if self.worker and isinstance(self.progress, Progress):
            print(json.dumps(self.progress.status()), flush=True)
        else:
            self.console.print("progress: " + self.progress.line(), highlight=False,
                               soft_wrap=True)

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            self._show()

    def __exit__(self, *exc: object) -> None:
        if self.quiet:
            return
        self._stop.set()
        if self._live is not None:
            self._live.__exit__(None, None, None)
        if self._thread is not None:
            self._thread.join(timeout=1)
        self._show()


ACTIVE: list[Progress] = []  # the progress the hook feeds (one run at a time)
_registered = False


def register_hook() -> None:
    """Register (once) the Inspect hook that feeds ``ACTIVE``."""
    global _registered
    if _registered:
        return
    from inspect_ai.hooks import Hooks, ModelUsageData, SampleEnd, TaskEnd, TaskStart, hooks

    @hooks(name="scheming_evals_progress", description="run's progress display")
    class _ProgressHook(Hooks):
        def enabled(self) -> bool:
            return bool(ACTIVE)

        async def on_task_start(self, data: TaskStart) -> None:
            for p in ACTIVE:
                p.task_started(data.eval_id, task_label(data.spec.task, data.spec.task_args,
                                                        data.spec.model))

        async def on_task_end(self, data: TaskEnd) -> None:
            for p in ACTIVE:
                p.task_ended(data.eval_id)

        async def on_sample_end(self, data: SampleEnd) -> None:
            for p in ACTIVE:
                p.sample_ended()

        async def on_model_usage(self, data: ModelUsageData) -> None:
            for p in ACTIVE:
                p.usage(data.model_name, data.usage)

    _registered = True
