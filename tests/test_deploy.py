"""Issue #14: the Kubernetes Indexed Job and the SLURM array script. The manifest validates
offline against the Kubernetes API schema; both, run with their schedulers' variables and a
recording stand-in for `scheming-evals`, give every shard of the plan exactly once, and the
command they give is one our CLI accepts (checked with --dry-run: no key, nothing run)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from scheming_evals import catalog, suite, workers

ROOT = Path(__file__).resolve().parent.parent
JOB = ROOT / "deploy" / "k8s" / "indexed-job.yaml"
SLURM = ROOT / "deploy" / "slurm" / "run-array.sh"
EXE = Path(sys.executable).with_name("scheming-evals")


def recorder(tmp: Path) -> dict[str, str]:
    """A PATH whose `scheming-evals` prints its arguments, one per line."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "scheming-evals"
    fake.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def shard_of(argv: list[str]) -> str:
    return argv[argv.index("--shard") + 1]


@pytest.mark.parametrize("version", ["1.31", kubernetes_validate.latest_version()])
def test_manifest_validates_and_a_broken_one_does_not(version: str) -> None:
    job = yaml.safe_load(JOB.read_text())
    kubernetes_validate.validate(job, version, strict=True)
    broken = copy.deepcopy(job)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["procMount"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)


def test_manifest_pods_cover_every_shard_once_with_a_valid_command(tmp_path) -> None:
    job = yaml.safe_load(JOB.read_text())
    spec = job["spec"]
    pod = spec["template"]["spec"]
    (box,) = pod["containers"]
    env = {e["name"]: e["value"] for e in box["env"] if "value" in e}
    n = spec["completions"]
    assert spec["completionMode"] == "Indexed" and spec["parallelism"] == n
    assert int(env["SHARDS"]) == n
    sec = box["securityContext"]  # what bwrap needs, and no more
    assert pod["hostUsers"] is False and sec.get("privileged") is not True
    assert sec["procMount"] == "Unmasked" and sec["seccompProfile"]["type"] == "Unconfined"
    runs = []
    for index in range(n):
        res = subprocess.run([*box["command"], *box["args"]], capture_output=True, text=True,
                             env={**recorder(tmp_path), **env, "JOB_COMPLETION_INDEX": str(index)})
        assert res.returncode == 0, res.stderr
        runs.append(res.stdout.splitlines())
    assert sorted(shard_of(a) for a in runs) == sorted(f"{i}/{n}" for i in range(1, n + 1))
    assert {a[a.index("--log-dir") + 1] for a in runs} == {f"/logs/{env['RUN']}"}
    check = subprocess.run([str(EXE), *runs[3], "--dry-run"], capture_output=True, text=True,
                           timeout=300, env={**os.environ, "COLUMNS": "120"})
    assert check.returncode == 0, check.stdout + check.stderr
    assert "openai/gpt-4o:" in check.stdout and "rollouts" in check.stdout


def test_slurm_array_tasks_cover_every_shard_once(tmp_path) -> None:
    env = {**recorder(tmp_path), "SLURM_ARRAY_TASK_COUNT": "3", "LOG_ROOT": "/shared/logs"}
    runs = []
    for i in (1, 2, 3):
        res = subprocess.run(["bash", str(SLURM)], capture_output=True, text=True,
                             env={**env, "SLURM_ARRAY_TASK_ID": str(i)})
        assert res.returncode == 0, res.stderr
        runs.append(res.stdout.splitlines())
    assert [shard_of(a) for a in runs] == ["1/3", "2/3", "3/3"]
    assert {a[a.index("--log-dir") + 1] for a in runs} == {"/shared/logs/paper-grid"}
    directives = [ln for ln in SLURM.read_text().splitlines() if ln.startswith("#SBATCH")]
    assert any("--cpus-per-task" in d for d in directives)
    res = subprocess.run(["bash", str(SLURM)], capture_output=True, text=True,
                         env=recorder(tmp_path))
    assert res.returncode != 0 and "sbatch --array=1-N" in res.stderr
    check = subprocess.run([str(EXE), *runs[1], "--dry-run"], capture_output=True, text=True,
                           timeout=300, env={**os.environ, "COLUMNS": "120"})
    assert check.returncode == 0, check.stdout + check.stderr
    evals = [e.name for e in catalog.evals() if e.available]
    mine = workers.shard(suite.plan(["openai/gpt-4o"], evals, "full", None), 2, 3)
    assert f"openai/gpt-4o: {len(mine)} tasks" in " ".join(check.stdout.split())
