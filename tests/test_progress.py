"""Issue #15 item 5: `run`'s progress: rollouts and tasks done of the plan's total, what runs
(with its conditions), ETA and cost so far; periodic plain lines when output is not a terminal,
no dump of every task at the end; a rerun counts what the folder already holds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scheming_evals import progress

EXE = Path(sys.executable).with_name("scheming-evals")
RE = re.compile(r"progress: (\d+)/(\d+) rollouts")


def test_label_names_the_conditions_that_differ() -> None:
    label = progress.task_label("scheming_evals/oversight_subversion",
                                {"nudge": "none", "goal": "system", "scenarios": "a,b"},
                                "openai/gpt-4o")
    assert label == "oversight_subversion[nudge=none] on openai/gpt-4o"
    assert progress.task_label("sandbagging", {}, "m") == "sandbagging on m"


def test_line_counts_resumed_rollouts_and_estimates_what_is_left() -> None:
    p = progress.Progress(total_rollouts=100, total_tasks=10, done_before=40, tasks_done=4)
    p.started -= 60  # a minute in
    for _ in range(20):
        p.sample_ended()
    p.task_started("e1", "goal_guarding[memo=absent] on m")
    line = p.line()
    assert line.startswith("60/100 rollouts (60%), 4/10 tasks; 1:00 elapsed, ETA 2:00")
    assert "running goal_guarding[memo=absent] on m" in line and "$" not in line


@pytest.mark.parametrize("workers", [1, 2])
def test_run_prints_periodic_lines_and_no_dump(tmp_path, workers: int) -> None:
    cmd = [str(EXE), "run", "--evals", "oversight_subversion", "--conditions", "paper",
           "--scenarios", "city_transit,loan_approval", "--log-dir", str(tmp_path / "logs"),
           "-o", str(tmp_path / "report"), "--workers", str(workers)]
    env = {**os.environ, "SCHEMING_EVALS_PROGRESS_EVERY": "0.5",
           "SCHEMING_EVALS_REFERENCE_DELAY": "0.3", "COLUMNS": "300"}
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = [ln for ln in res.stdout.splitlines() if RE.match(ln)]
    counts = [tuple(map(int, RE.match(ln).groups())) for ln in lines]
    total = counts[-1][1]
    assert len(lines) >= 3 and counts[-1] == (total, total) and total > 0
    assert [c for c, _ in counts] == sorted(c for c, _ in counts)  # never goes back
    running = ("running oversight_subversion on reference/" if workers == 1
               else "tasks in 2 workers")
    assert any(running in ln for ln in lines)
    assert len(res.stdout.splitlines()) < 60  # no per-task dump at the end
    # a rerun of the finished plan starts from everything done
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    first = next(ln for ln in res.stdout.splitlines() if RE.match(ln))
    assert first.startswith(f"progress: {total}/{total} rollouts")
