"""Issue #14: a plan split into shards (`run --shard I/N`, and `run --workers N` which starts
them) runs every rollout exactly once, a shard killed mid-way (SIGKILL) and rerun loses and
duplicates nothing, and the report over all shards equals a single-process run's (apart from
timestamps, ids and log names)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries

from scheming_evals import suite, workers

EXE = Path(sys.executable).with_name("scheming-evals")
PLAN = ["--evals", "oversight_subversion,goal_guarding", "--conditions", "nudge=none",
        "--scenarios", "city_transit,loan_approval", "--max-connections", "2"]


def cmd(log_dir: Path, out: Path, *extra: str) -> list[str]:
    return [str(EXE), "run", *PLAN, "--log-dir", str(log_dir), "-o", str(out),
            "--display", "none", *extra]


def rollouts(log_dir: Path, running: bool = False) -> Counter[tuple[str, str, str, str, int]]:
    """Every completed rollout in the folder (all logs, also a killed run's leftovers);
    ``running``: skip a log caught mid-write."""
    seen: Counter[tuple[str, str, str, str, int]] = Counter()
    for info in list_eval_logs(str(log_dir)):
        try:
            head = read_eval_log(info.name, header_only=True)
            summaries = read_eval_log_sample_summaries(info.name)
        except ValueError:
            if running:
                continue
            raise
        args = str(sorted((head.eval.task_args or {}).items()))
        for s in summaries:
            if s.completed and not s.error:
                seen[(head.eval.task, args, head.eval.model, str(s.id), s.epoch)] += 1
    return seen


def comparable(report: Path) -> pd.DataFrame:
    """The tidy table without what differs between two runs of the same plan."""
    df = pd.read_csv(report / "samples.csv")
    # also the message and token counts: one rollout of the killed-and-rerun shards once
    # ended with 7 messages instead of 8 under load (every score column still matched)
    varying = [c for c in df.columns if c in ("uuid", "log", "log_file", "log_status",
                                              "message_count")
               or "time" in c or c.endswith("_id") or c.endswith("_tokens")]
    df = df.drop(columns=varying)
    df = df[sorted(df.columns)]  # the column order follows the order the logs were read in
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_shards_split_the_plan_exactly_once() -> None:
    planned = suite.plan([], ["oversight_subversion", "goal_guarding", "sandbagging"],
                         "controls", None)
    parts = [workers.shard(planned, i, 3) for i in (1, 2, 3)]
    keys = [suite.plan_id([p], None, 1) for part in parts for p in part]
    assert len(keys) == len(planned) == len(set(keys))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1
    # deterministic whatever the plan's order
    assert workers.shard(list(reversed(planned)), 2, 3) == parts[1]
    with pytest.raises(ValueError, match="1 <= I <= N"):
        workers.parse_shard("4/3")


def test_three_shards_with_one_killed_equal_one_process(tmp_path) -> None:
    single = subprocess.run(cmd(tmp_path / "one", tmp_path / "one-report"),
                            capture_output=True, text=True, timeout=900)
    assert single.returncode == 0, single.stdout + single.stderr
    expected = rollouts(tmp_path / "one")
    assert set(expected.values()) == {1}

    logs = tmp_path / "shards"
    slow = dict(os.environ, SCHEMING_EVALS_REFERENCE_DELAY="0.1")
    procs = [subprocess.Popen(cmd(logs, tmp_path / "unused", "--shard", f"{i}/3"), env=slow,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i in (1, 2, 3)]
    victim = logs / "shard-2-of-3"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (victim.is_dir() and rollouts(victim, running=True)):
        time.sleep(0.2)
    assert procs[1].poll() is None, "shard 2 finished before it could be killed"
    procs[1].send_signal(signal.SIGKILL)
    for p in procs:
        p.wait(timeout=600)
    assert procs[0].returncode == procs[2].returncode == 0
    before = rollouts(victim)
    assert 0 < sum(before.values())
    rerun = subprocess.run(cmd(logs, tmp_path / "unused", "--shard", "2/3"),
                           capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "scheming-evals report" in rerun.stdout  # a shard writes no report of its own
    got = rollouts(logs)
    assert got == expected  # every rollout exactly once, none missing

    report = subprocess.run([str(EXE), "report", str(logs), "-o", str(tmp_path / "all")],
                            capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stdout + report.stderr
    assert "from 3 run(s)" in report.stdout
    pd.testing.assert_frame_equal(comparable(tmp_path / "all"),
                                  comparable(tmp_path / "one-report"))
    a = pd.read_csv(tmp_path / "all" / "dissection.csv")
    b = pd.read_csv(tmp_path / "one-report" / "dissection.csv")
    pd.testing.assert_frame_equal(a, b)


def test_workers_run_the_plan_once_and_refuse_another_split(tmp_path) -> None:
    res = subprocess.run(cmd(tmp_path / "logs", tmp_path / "r", "--workers", "2"),
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    got = rollouts(tmp_path / "logs")
    assert set(got.values()) == {1}
    assert sorted(p.name for p in (tmp_path / "logs").iterdir() if p.is_dir()) == [
        "shard-1-of-2", "shard-2-of-2"]
    assert (tmp_path / "r" / "report.html").is_file()
    again = subprocess.run(cmd(tmp_path / "logs", tmp_path / "r", "--workers", "3"),
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 2
    assert "resume it with --workers 2" in " ".join(again.stderr.split())


def test_a_budget_over_workers_stops_them_all(tmp_path) -> None:
    slow = dict(os.environ, SCHEMING_EVALS_REFERENCE_DELAY="0.05")
    res = subprocess.run(cmd(tmp_path / "logs", tmp_path / "r", "--workers", "2",
                             "--max-tokens", "20000"),
                         capture_output=True, text=True, timeout=900, env=slow)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "token budget reached" in " ".join(res.stderr.split())
    got = rollouts(tmp_path / "logs")
    planned = suite.plan([], ["oversight_subversion", "goal_guarding"], "nudge=none",
                         "city_transit,loan_approval")
    total = 2 * len(planned)  # two scenarios per planned task
    assert 0 < sum(got.values()) < total and set(got.values()) == {1}
