"""The CLI: help, listing, the sandbox check, and one-line errors for bad input."""

from __future__ import annotations

from typer.testing import CliRunner

from scheming_evals.catalog import EVALS
from scheming_evals.cli import app
from scheming_evals.conditions import CONDITIONS

runner = CliRunner()


def test_help_lists_commands() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("list", "doctor", "run", "report"):
        assert cmd in res.output
    for cmd in ("run", "report", "list", "doctor"):
        assert runner.invoke(app, [cmd, "--help"]).exit_code == 0


def test_list_shows_every_eval_and_condition() -> None:
    res = runner.invoke(app, ["list"], env={"COLUMNS": "250"})
    assert res.exit_code == 0
    for e in EVALS:
        assert e.name in res.output
    for c in CONDITIONS.values():
        assert c.name in res.output and " | ".join(c.values) in res.output


def test_doctor_runs_a_real_sandbox() -> None:
    res = runner.invoke(app, ["doctor"])
    assert res.exit_code == 0, res.output
    assert "ok" in res.output


def test_unknown_eval_is_one_clear_line() -> None:
    res = runner.invoke(app, ["run", "--evals", "oversight_subversion,nonsense"])
    assert res.exit_code == 2
    assert "unknown eval 'nonsense'" in res.output
    assert "Traceback" not in res.output


def test_report_on_missing_dir_is_one_clear_line(tmp_path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "not a directory" in res.output
