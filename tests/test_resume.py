"""Issue #8: kill `scheming-evals run` mid-run (SIGKILL), run it again: no rollout lost or
duplicated, none finished before the kill run again, and the report written.

The scripted reference agents wait SCHEMING_EVALS_REFERENCE_DELAY seconds per call here, so the
run lasts long enough to be killed with some rollouts finished and some not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_sample_summaries

from scheming_evals.evals import registry

SCENARIOS = ["city_transit", "loan_approval", "mining_permit", "hospital_beds"]
EVALS = ["oversight_subversion", "goal_guarding"]
MODELS = list(registry.spec("oversight_subversion").reference_models)  # the run's agents
assert MODELS == list(registry.spec("goal_guarding").reference_models)


def command(tmp: Path) -> list[str]:
    exe = Path(sys.executable).with_name("scheming-evals")
    return [str(exe), "run", "--evals", ",".join(EVALS), "--conditions", "paper",
            "--scenarios", ",".join(SCENARIOS), "--log-dir", str(tmp / "logs"),
            "-o", str(tmp / "report"), "--display", "none", "--max-connections", "2"]


def flushed_samples(log_dir: Path) -> int:
    n = 0
    for f in log_dir.rglob("*.eval"):  # also in shard folders (--workers)
        try:
            with zipfile.ZipFile(f) as z:  # written atomically: always a whole zip
                n += sum(1 for name in z.namelist() if name.startswith("samples/"))
        except (zipfile.BadZipFile, OSError):
            pass
    return n


def finished_before_kill(log_dir: Path) -> dict[tuple[str, str, str, int], str]:
    """(task, model, sample id, epoch) -> uuid of every rollout on disk after the kill."""
    out = {}
    for info in list_eval_logs(str(log_dir)):
        head = read_eval_log(info.name, header_only=True)
        for s in read_eval_log_sample_summaries(info.name):
            if s.completed:
                out[(head.eval.task, head.eval.model, str(s.id), s.epoch)] = s.uuid
    return out


def test_sigkill_then_rerun_loses_and_duplicates_nothing(tmp_path) -> None:
    logs = tmp_path / "logs"
    env = dict(os.environ, SCHEMING_EVALS_REFERENCE_DELAY="0.05")
    first = subprocess.Popen(command(tmp_path), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while first.poll() is None and flushed_samples(logs) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, "the run ended before it could be killed: raise the delay"
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = finished_before_kill(logs)
    expected_total = len(EVALS) * len(MODELS) * len(SCENARIOS)
    assert 3 <= len(before) < expected_total

    second = subprocess.run(command(tmp_path), capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert (tmp_path / "report" / "report.html").is_file()
    assert "rollouts" in second.stdout  # the usage table

    seen: Counter[tuple[str, str, str, int]] = Counter()
    uuids: dict[tuple[str, str, str, int], str] = {}
    for info in list_eval_logs(str(logs)):
        log = read_eval_log(info.name)
        assert log.status == "success", info.name
        for s in log.samples or []:
            key = (log.eval.task, log.eval.model, str(s.id), s.epoch)
            seen[key] += 1
            uuids[key] = s.uuid
    expected = {(f"scheming_evals/{e}", m, sc, 1) for e in EVALS for m in MODELS
                for sc in SCENARIOS}
    assert set(seen) == expected
    assert all(n == 1 for n in seen.values()), [k for k, n in seen.items() if n > 1]
    # rollouts finished before the kill were kept, not run again
    assert {k: uuids[k] for k in before} == before
