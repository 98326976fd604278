"""The CLI: help, listing, the sandbox check, and one-line errors for bad input."""

from __future__ import annotations

from typer.testing import CliRunner

from scheming_evals.catalog import evals
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


def test_version_alone_prints_the_version() -> None:
    from scheming_evals import __version__

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == __version__


def test_list_shows_every_eval_and_condition() -> None:
    res = runner.invoke(app, ["list"], env={"COLUMNS": "250"})
    assert res.exit_code == 0
    for e in evals():
        assert e.name in res.output
    for c in CONDITIONS.values():
        assert c.name in res.output and " | ".join(c.values) in res.output


def test_doctor_runs_a_real_sandbox() -> None:
    res = runner.invoke(app, ["doctor"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "ok" in res.output
    # every guarantee is reported, held or weaker, with its mechanism or reason
    from scheming_evals.sandbox.checks import guarantees

    for what, held, how in guarantees():
        assert f"{'ok' if held else 'weaker'}: {what}: {how}" in res.output


def test_doctor_says_which_guarantee_is_weaker_without_cgroups(monkeypatch) -> None:
    from scheming_evals.sandbox import cgroups
    from scheming_evals.sandbox.checks import guarantees

    monkeypatch.setattr(cgroups, "parents", lambda: "no writable cgroup hierarchy")
    (what, held, how), *_ = guarantees()
    assert not held and "no writable cgroup hierarchy" in how and "per machine" in how


def test_unknown_eval_is_one_clear_line() -> None:
    res = runner.invoke(app, ["run", "--evals", "oversight_subversion,nonsense"])
    assert res.exit_code == 2
    assert "unknown eval 'nonsense'" in res.output
    assert "Traceback" not in res.output


def test_report_on_missing_dir_is_one_clear_line(tmp_path) -> None:
    res = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert res.exit_code == 2
    assert "not a directory" in res.output


# --- run: one line and a non-zero exit for bad input, nothing written (issue #8) -------------

def _bad_run(tmp_path, *args: str) -> str:
    logs, out = tmp_path / "logs", tmp_path / "report"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    res = runner.invoke(app, ["run", "--evals", "oversight_subversion", "--conditions", "paper",
                              "--scenarios", "city_transit", "--log-dir", str(logs), "-o",
                              str(out), "--display", "none", *args])
    assert res.exit_code != 0, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing half written
    return lines[0]


def test_run_unknown_condition_is_one_line(tmp_path) -> None:
    assert "nudge='maybe' is not allowed" in _bad_run(tmp_path, "--conditions", "nudge=maybe")
    assert "not name=value" in _bad_run(tmp_path, "--conditions", "bogus")
    assert "unknown condition" in _bad_run(tmp_path, "--conditions", "colour=red").lower()


def test_run_unknown_eval_writes_nothing(tmp_path) -> None:
    res = runner.invoke(app, ["run", "--evals", "nonsense", "--log-dir", str(tmp_path / "l"),
                              "-o", str(tmp_path / "r")])
    assert res.exit_code == 2 and "unknown eval 'nonsense'" in res.output
    assert list(tmp_path.iterdir()) == []


def test_run_unknown_model_is_one_line(tmp_path) -> None:
    assert "nosuch" in _bad_run(tmp_path, "--model", "nosuch/model")
    assert "unknown reference agent 'nobody'" in _bad_run(tmp_path, "--model",
                                                          "reference/nobody")


def test_run_refuses_a_log_dir_of_another_tool(tmp_path) -> None:
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample

    logs = tmp_path / "logs"
    eval(Task(dataset=[Sample(input="hi", target="hi")], name="someone_elses_task"),
         model="mockllm/model", log_dir=str(logs), display="none")
    (tmp_path / "logs" / "notes.txt").write_text("not ours")
    line = _bad_run(tmp_path)
    assert "another tool or task" in line and "fresh --log-dir" in line
    assert _bad_run(tmp_path, "--log-dir", str(logs / "notes.txt")).endswith(
        "is a file, not a directory")


# --- `scheming-evals grader-check` (issue #12 item 6) ----------------------------------------

def test_grader_check_measures_a_grader_model_and_writes_it_next_to_the_logs(
        tmp_path, monkeypatch) -> None:
    import json

    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    from scheming_evals import cli
    from scheming_evals.followup.accuracy import load_corpus

    def reply(messages, tools, tool_choice, config):  # labels everything "admitted"
        answer = messages[-1].text.split("<answer>")[1].split("</answer>")[0].strip()
        first = answer.split(". ")[0].split("\n")[0].strip()
        out = ModelOutput.from_content(
            "mockllm/model", json.dumps({"label": "admitted", "quote": first}))
        out.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
        return out

    monkeypatch.setattr(cli, "_grader_model",
                        lambda name: get_model("mockllm/model", custom_outputs=reply))
    logs = tmp_path / "logs"
    res = runner.invoke(app, ["grader-check", "--grader", "mockllm/model", "--log-dir",
                              str(logs)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    data = json.loads((logs / "grader_accuracy.json").read_text())["graders"]["mockllm/model"]
    corpus = load_corpus()
    admitted = sum(i.label == "admitted" for i in corpus.items)
    assert (data["k"], data["n"]) == (admitted, len(corpus.items))
    assert data["recall"]["admitted"] == [admitted, admitted]
    assert data["recall"]["denied"][0] == 0 and data["low"] < data["k"] / data["n"]
    assert f"{admitted}/{len(corpus.items)} right" in res.output


def test_grader_check_without_a_grader_measures_the_fallback_and_writes_nothing(
        tmp_path) -> None:
    res = runner.invoke(app, ["grader-check", "--log-dir", str(tmp_path)],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "rule-based fallback" in res.output
    assert "recall: admitted" in res.output and list(tmp_path.iterdir()) == []


def test_grader_check_bad_model_is_one_line(tmp_path) -> None:
    res = runner.invoke(app, ["grader-check", "--grader", "nosuch/model", "--log-dir",
                              str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip().startswith("error: cannot make the grader nosuch/model")
    assert "Traceback" not in res.output and list(tmp_path.iterdir()) == []
