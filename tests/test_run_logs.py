"""Issue #15 item 3: `run` keeps each plan's logs in its own folder, a report refuses to pool the
same task from two runs unless asked (and says what it read), task-parameter mistakes through
`inspect eval` are one line, and `list --scenarios` lists the scenario ids."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from typer.testing import CliRunner

from scheming_evals import suite
from scheming_evals.analysis.tidy import LogReadError, read_logs
from scheming_evals.cli import app
from scheming_evals.evals import registry
from scheming_evals.scenario import load_scenarios

runner = CliRunner()
BIN = Path(sys.executable).parent


def test_each_plan_has_its_own_default_log_folder() -> None:
    a = suite.plan([], ["oversight_subversion"], "controls", None)
    b = suite.plan([], ["oversight_subversion"], "paper", None)
    c = suite.plan(["openai/gpt-4o"], ["oversight_subversion"], "controls", None)
    ids = {suite.plan_id(p, g, e) for p, g, e in
           [(a, None, 1), (b, None, 1), (c, None, 1), (c, "openai/gpt-4o-mini", 1), (c, None, 2)]}
    assert len(ids) == 5  # plan, model, grader and epochs each give their own folder
    again = suite.plan([], ["oversight_subversion"], "controls", None)
    assert suite.plan_id(again, None, 1) == suite.plan_id(a, None, 1)  # the same command resumes


def _one_run(log_dir: Path) -> None:
    task = registry.load_tasks()["sandbagging"](samples=2)
    inspect_eval(task, model="reference/honest", log_dir=str(log_dir), display="none")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    logs = tmp_path_factory.mktemp("logs")
    _one_run(logs)
    _one_run(logs)  # the same task again, a second `inspect eval` in the same folder
    return logs


def test_report_refuses_the_same_task_from_two_runs(two_runs, tmp_path) -> None:
    with pytest.raises(LogReadError, match="from two different runs"):
        read_logs([two_runs])
    res = runner.invoke(app, ["report", str(two_runs), "-o", str(tmp_path / "r")])
    assert res.exit_code == 2 and "--pool" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r").exists()
    df = read_logs([two_runs], pool=True)
    assert df.attrs["runs"] == 2 and len(df.attrs["logs"]) == 2
    assert len(df) == 2 * len(read_logs([df.attrs["logs"][0]]))
    res = runner.invoke(app, ["report", str(two_runs), "-o", str(tmp_path / "r"), "--pool"])
    assert res.exit_code == 0, res.output
    assert "read 2 log(s) from 2 run(s)" in res.output


@pytest.mark.parametrize(("arg", "says"), [
    ("nudge=maybe", "condition nudge='maybe' is not allowed; choose one of: strong, none"),
    ("scenarios=nosuch", "unknown scenario nosuch"),
    ("sandbox=bogus", "sandbox='bogus' is not supported"),
])
def test_inspect_eval_task_parameter_mistakes_are_one_line(tmp_path, arg: str, says: str
                                                           ) -> None:
    res = subprocess.run(
        [str(BIN / "inspect"), "eval", "scheming_evals/oversight_subversion", "-T", arg,
         "--model", "reference/honest", "--log-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={"COLUMNS": "400", "PATH": str(BIN)})
    out = " ".join((res.stdout + res.stderr).split())
    assert res.returncode != 0 and says in out
    assert "Traceback" not in out and len(out) < 1000


def test_list_scenarios_lists_every_packaged_scenario() -> None:
    res = runner.invoke(app, ["list", "--scenarios"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    listed = {ln.split("│")[1].strip() for ln in res.output.splitlines()
              if ln.count("│") >= 3 and "packaged" in ln}
    assert listed == {s.id for s in load_scenarios()}


@pytest.mark.parametrize("live", [False, True])
def test_realtime_sample_buffer_only_with_live_samples(tmp_path, live: bool) -> None:
    """Inspect's realtime buffer (running rollouts for `inspect view`, ~a tenth of the CPU) is
    opt-in; every finished rollout reaches the log either way."""
    logs = tmp_path / "logs"
    res = subprocess.run(
        [str(BIN / "scheming-evals"), "run", "--evals", "oversight_subversion", "--conditions",
         "paper", "--scenarios", "city_transit", "--workers", "1", "--log-dir", str(logs),
         "-o", str(tmp_path / "report"), *(["--live-samples"] if live else [])],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    files = sorted(logs.glob("*.eval"))
    assert files
    for f in files:
        log = read_eval_log(str(f))
        assert log.eval.config.log_realtime is live
        assert log.eval.config.log_buffer == 1
        assert log.samples and all(s.scores for s in log.samples)
    # the results tables are not rendered, and nothing of Inspect's display is printed
    assert "╭" not in res.stdout and "inspect eval" not in res.stdout
