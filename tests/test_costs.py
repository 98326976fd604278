"""Issue #15 item 1: the plan's cost before it runs (`run --dry-run`, `--confirm-above`), with no
key and no network; and item 2: setup errors that keep their cause and name our extra."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheming_evals import costs, suite
from scheming_evals.evals import registry
from scheming_evals.setup_errors import setup_error

EXE = Path(sys.executable).with_name("scheming-evals")
NO_KEYS = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, env={**NO_KEYS, "COLUMNS": "120"})


def test_estimate_counts_every_planned_rollout_and_follow_ups_only_where_asked() -> None:
    names = ["oversight_subversion", "sandbagging"]
    planned = suite.plan(["openai/gpt-4o"], names, "controls", "city_transit,loan_approval")
    factories = registry.load_tasks()
    samples = sum(len(factories[p.eval_name](**p.args).dataset) for p in planned)
    a = costs.Assumptions()
    (one,) = costs.estimate(planned, assume=a)
    (two,) = costs.estimate(planned, epochs=2, assume=a)
    assert one.tasks == len(planned) and one.rollouts == samples
    assert two.rollouts == 2 * samples and two.calls == pytest.approx(2 * one.calls)
    assert one.worst_calls > one.calls and one.worst_input > one.input_tokens
    # no detection assumed: exactly the episodes' calls; follow-ups add calls only to the eval
    # that has them (sandbagging has none)
    (bare,) = costs.estimate(planned, assume=costs.Assumptions(detect_rate=0.0))
    assert bare.calls == one.rollouts * a.turns
    sand = [p for p in planned if p.eval_name == "sandbagging"]
    (s_bare,) = costs.estimate(sand, assume=costs.Assumptions(detect_rate=0.0))
    (s_one,) = costs.estimate(sand, assume=a)
    assert s_one.calls == s_bare.calls and one.calls > bare.calls
    # a grader model gets the grading calls as its own row; the model under test keeps the rest
    mine, graded = costs.estimate(planned, assume=a, grader="openai/gpt-4o-mini")
    assert graded.model == "openai/gpt-4o-mini" and graded.rollouts == 0 and graded.calls > 0
    assert mine.calls == pytest.approx(one.calls - graded.calls)


def test_follow_up_tokens_are_one_read_of_the_episode_per_answer() -> None:
    """Every follow-up answer reads the opening prompt, the episode's turns and its question
    once (by hand, for one sample), and is graded once."""
    (p,) = [x for x in suite.plan(["openai/gpt-4o"], ["oversight_subversion"], "paper",
                                  "city_transit")]
    (sample,) = list(registry.load_tasks()[p.eval_name](**p.args).dataset)
    a = costs.Assumptions(detect_rate=1.0)
    (bare,) = costs.estimate([p], assume=costs.Assumptions(detect_rate=0.0))
    (full,) = costs.estimate([p], assume=a)
    text = sample.input if isinstance(sample.input, str) else "".join(
        m.text for m in sample.input)
    prompt = len(text) / costs.CHARS_PER_TOKEN
    answers = 8 * int(p.args.get("followup_samples", 20))
    context = prompt + a.turns * (a.output_tokens + a.tool_tokens) + a.question_tokens
    assert full.calls - bare.calls == answers + answers  # the answers, and their grading
    assert full.input_tokens - bare.input_tokens == pytest.approx(
        answers * context + answers * a.grade_input_tokens)
    assert full.output_tokens - bare.output_tokens == pytest.approx(
        answers * (a.answer_tokens + a.grade_output_tokens))


def test_dry_run_needs_no_key_and_runs_nothing(tmp_path) -> None:
    res = cli("run", "--model", "openai/gpt-4o", "--evals", "self_exfiltration", "--dry-run",
              "--log-dir", str(tmp_path / "logs"))
    assert res.returncode == 0, res.stdout + res.stderr
    planned = suite.plan(["openai/gpt-4o"], ["self_exfiltration"], "controls", None)
    out = " ".join(res.stdout.split())
    assert f"openai/gpt-4o: {len(planned)} tasks" in out
    assert "worst case" in out and "genai-prices" in out and "no price" not in out
    assert not (tmp_path / "logs").exists()


def test_confirm_above_refuses_without_a_terminal_unless_yes(tmp_path) -> None:
    args = ["run", "--model", "openai/gpt-4o", "--evals", "self_exfiltration",
            "--log-dir", str(tmp_path / "logs"), "--confirm-above", "0.5"]
    res = cli(*args)
    assert res.returncode == 2
    assert "exceeds --confirm-above $0.5; rerun with --yes" in " ".join(res.stderr.split())
    # with --yes it goes on to make the model, which fails for want of a key: past the question
    res = cli(*args, "--yes")
    assert res.returncode == 2 and "OPENAI_API_KEY" in res.stderr
    assert "Traceback" not in res.stderr


def test_setup_errors_keep_the_cause() -> None:
    res = cli("run", "--model", "openai/gpt-4o", "--evals", "sandbagging")
    line = " ".join(res.stderr.split())
    assert res.returncode == 2 and "Unable to initialise OpenAI client: No OPENAI_API_KEY" in line
    from inspect_ai._util.error import PrerequisiteError

    ex = PrerequisiteError("[bold]ERROR[/bold]: Mistral API requires optional dependencies. "
                           "Install with:\n\n[bold]pip install mistralai[/bold]")
    assert setup_error(ex, ["mistral/mistral-large-latest"]) == (
        "mistral/mistral-large-latest needs its provider's package: pip install "
        "'scheming-evals[mistral]' (or: pip install mistralai)")


@pytest.mark.skipif(importlib.util.find_spec("anthropic") is not None,
                    reason="the anthropic package is installed here")
def test_a_missing_provider_package_names_our_extra() -> None:
    res = cli("run", "--model", "anthropic/claude-3-5-sonnet-latest", "--evals", "sandbagging")
    assert res.returncode == 2
    assert "pip install 'scheming-evals[anthropic]'" in " ".join(res.stderr.split())
