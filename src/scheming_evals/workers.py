"""``run --workers N`` and ``--shard I/N``: a plan split over processes or machines.

A shard is a deterministic slice of the plan (``shard``); its logs go to its own folder,
``<log-dir>/shard-I-of-N``, an eval set of its own, so N shards never clash and each resumes on
its own; ``scheming-evals report <log-dir>`` reads them all (the cells are disjoint). With
``--workers N`` this process starts N ``run --shard I/N`` children, each with its own event loop
and ``max_connections / N`` connections, shows their combined progress, enforces the budgets
over all of them, and writes the report once they are done. Children die with their parent.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .suite import budget_reached

SHARD_DIR = re.compile(r"^shard-(\d+)-of-(\d+)$")


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` (1 <= I <= N) as (I, N); a ValueError with one line otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ValueError(f"--shard {text!r}: give I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(m.group(1)), int(m.group(2))


def shard(planned: list[Any], i: int, n: int) -> list[Any]:
    """Shard ``i`` of ``n``: every ``n``-th task of the plan in a fixed order (eval, arguments,
    model), so N shards together hold every task exactly once, whatever the order of the plan."""
    def key(p: Any) -> str:
        return json.dumps([p.eval_name, p.args, p.model], sort_keys=True)

    ordered = sorted(planned, key=key)
    return [p for k, p in enumerate(ordered) if k % n == i - 1]


def shard_dir(log_dir: Path, i: int, n: int) -> Path:
    return log_dir / f"shard-{i}-of-{n}"


def other_split(log_dir: Path, n: int) -> int | None:
    """The N of shard folders already in ``log_dir`` when it is not ``n`` (resuming a run with
    another number of workers would run its tasks again)."""
    if not log_dir.is_dir():
        return None
    if n > 1 and any(f.suffix in (".eval", ".json") and f.name != "eval-set.json"
                     for f in log_dir.iterdir() if f.is_file()):
        return 1
    for d in log_dir.iterdir():
        m = SHARD_DIR.match(d.name)
        if m and int(m.group(2)) != n and any(d.iterdir()):
            return int(m.group(2))
    return None


@dataclass
class Worker:
    index: int
    proc: subprocess.Popen[str]
    status: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Combined:
    """The children's latest status lines, summed: the ``line()`` ``progress.Display`` shows,
    and the tokens and USD the budgets are checked against."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self.lock = threading.Lock()

    def total(self, key: str) -> float:
        with self.lock:
            return sum(float(w.status.get(key, 0)) for w in self.workers)

    def line(self) -> str:
        from .progress import describe

        with self.lock:
            ss = [w.status for w in self.workers]
        if not all(ss):  # the totals are known once every worker has reported
            return f"starting {len(self.workers)} workers ({sum(map(bool, ss))} ready)"
        return describe(ss)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed when the parent dies


def _read(worker: Worker, stream: IO[str], combined: Combined) -> None:
    for raw in stream:
        line = raw.strip()
        if line.startswith("{"):
            try:
                status = json.loads(line)
            except ValueError:
                continue
            with combined.lock:
                worker.status = status


def _read_err(worker: Worker, stream: IO[str]) -> None:
    for raw in stream:
        if raw.strip():
            worker.errors.append(raw.rstrip())


def start(argv: list[str], n: int, every: float = 1.0) -> tuple[list[Worker], Combined]:
    """Start ``n`` children ``run <argv> --shard I/n --display worker``, each reporting its
    status every ``every`` seconds (often when budgets are checked on it)."""
    exe = [sys.executable, "-m", "scheming_evals.cli"]
    workers: list[Worker] = []
    for i in range(1, n + 1):
        proc = subprocess.Popen(
            [*exe, "run", *argv, "--shard", f"{i}/{n}", "--display", "worker"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            env={**os.environ, "PYTHONUNBUFFERED": "1",
                 "SCHEMING_EVALS_PROGRESS_EVERY": str(every)})
        workers.append(Worker(i, proc))
    combined = Combined(workers)
    for w in workers:
        assert w.proc.stdout is not None and w.proc.stderr is not None
        threading.Thread(target=_read, args=(w, w.proc.stdout, combined), daemon=True).start()
        threading.Thread(target=_read_err, args=(w, w.proc.stderr), daemon=True).start()
    return workers, combined


def interrupt(workers: list[Worker]) -> None:
    for w in workers:
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGINT)


def wait(workers: list[Worker], combined: Combined, max_tokens: int | None,
         max_cost: float | None) -> str | None:
    """Wait for every child; interrupt them all when a budget is reached (said in the return
    value, as ``run`` says it)."""
    reached: str | None = None
    while any(w.proc.poll() is None for w in workers):
        time.sleep(0.25)
        if reached is None:
            reached = budget_reached(int(combined.total("tokens")), combined.total("usd"),
                                     max_tokens, max_cost)
            if reached is not None:
                interrupt(workers)
    return reached
