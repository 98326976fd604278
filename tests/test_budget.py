"""Issue #8 item 2: --max-tokens / --max-cost stop `run` cleanly; a rerun completes the rest;
token and cost accounting per model (the reference agents report 100 input tokens per call)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from inspect_ai.log import list_eval_logs, read_eval_log

from scheming_evals import suite

SCENARIOS = "city_transit,loan_approval,mining_permit,hospital_beds"


def run(tmp: Path, *extra: str, evals: str = "oversight_subversion,goal_guarding"
        ) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("scheming-evals")
    return subprocess.run(
        [str(exe), "run", "--evals", evals, "--conditions", "paper", "--scenarios", SCENARIOS,
         "--log-dir", str(tmp / "logs"), "-o", str(tmp / "report"), "--display", "none",
         "--max-connections", "2", *extra],
        capture_output=True, text=True, timeout=600, env={"COLUMNS": "200",
                                                          **__import__("os").environ})


def rollouts(log_dir: Path) -> Counter[tuple[str, str, str, int]]:
    seen: Counter[tuple[str, str, str, int]] = Counter()
    for info in list_eval_logs(str(log_dir)):
        log = read_eval_log(info.name)
        for s in log.samples or []:
            if s.error is None:
                seen[(log.eval.task, log.eval.model, str(s.id), s.epoch)] += 1
    return seen


def test_token_budget_stops_cleanly_and_a_rerun_completes(tmp_path) -> None:
    res = run(tmp_path, "--max-tokens", "30000")  # the full run takes about 80,000
    assert res.returncode == 3, res.stdout + res.stderr
    err = " ".join(res.stderr.split())
    assert "token budget reached" in err and "--max-tokens 30,000" in err
    assert "run the same command again with a larger budget" in err
    assert "Traceback" not in res.stdout + res.stderr
    partial = rollouts(tmp_path / "logs")
    assert 0 < sum(partial.values()) < 40 and set(partial.values()) == {1}
    assert "rollouts" in res.stdout  # the usage table, also after a budget stop

    res = run(tmp_path, "--max-tokens", "10000000")
    assert res.returncode == 0, res.stdout + res.stderr
    full = rollouts(tmp_path / "logs")
    assert len(full) == 40 and set(full.values()) == {1}
    assert (tmp_path / "report" / "report.html").is_file()
    # the usage table: every reference agent, 8 rollouts each, 100 input tokens per call
    for m in ("reference/honest", "reference/schemer", "reference/nudge-schemer",
              "reference/schemer-denier", "reference/trope-schemer"):
        line = next(ln for ln in res.stdout.splitlines() if f" {m} " in ln)
        cells = [c.strip() for c in line.split("│") if c.strip()]
        assert cells[1] == "8"
        assert int(cells[2].replace(",", "")) % 100 == 0
    totals = {t.model: t for t in suite.usage_by_model(str(tmp_path / "logs"))}
    honest = totals["reference/honest"]
    assert honest.samples == 8 and honest.input_tokens == 8 * 3 * 100
    assert honest.cost is not None and abs(
        honest.cost - (honest.input_tokens + honest.output_tokens) / 1e6) < 1e-12


def test_cost_budget_stops_cleanly(tmp_path) -> None:
    # the fictitious reference rate is 1 USD per million tokens: 0.01 USD is 10,000 tokens
    res = run(tmp_path, "--max-cost", "0.01", evals="oversight_subversion")
    assert res.returncode == 3, res.stdout + res.stderr
    err = " ".join(res.stderr.split())
    assert "cost budget reached" in err and "--max-cost $0.01" in err
    assert sum(rollouts(tmp_path / "logs").values()) < 16


def test_prices_come_from_genai_prices() -> None:
    from genai_prices import Usage, calc_price

    from scheming_evals import costs

    def theirs(ref: str, **usage: int) -> float:
        return float(calc_price(Usage(**usage), model_ref=ref, provider_id="openai").total_price)

    # Inspect's input_tokens exclude cached input; genai-prices' include it
    ours = costs.price("openai/gpt-4o-2024-08-06", 1_000_000, 200_000, cache_read=500_000)
    assert ours == theirs("gpt-4o-2024-08-06", input_tokens=1_500_000,
                          cache_read_tokens=500_000, output_tokens=200_000)
    assert ours != theirs("gpt-4o-2024-08-06", input_tokens=1_000_000,
                          cache_read_tokens=500_000, output_tokens=200_000)
    assert costs.price("anthropic/claude-3-5-sonnet-20241022", 1e6, 0) is not None
    assert costs.price("reference/schemer", 600_000, 400_000) == 1.0  # the fictitious rate
    assert costs.price("ollama/llama3.1", 1e6, 1e6) is None  # tokens only, cost "n/a"
    assert costs.price("openai/no-such-model-xyz", 1e6, 1e6) is None


def test_budget_stops_a_run_started_with_sigint_ignored(tmp_path) -> None:
    # a background job of a non-interactive shell (`cmd &`) starts with SIGINT ignored, and the
    # budget's stop is a SIGINT to itself: run takes the signal back
    import signal

    exe = Path(sys.executable).with_name("scheming-evals")
    res = subprocess.run(
        [str(exe), "run", "--evals", "oversight_subversion", "--conditions", "paper",
         "--scenarios", SCENARIOS, "--log-dir", str(tmp_path / "logs"), "-o",
         str(tmp_path / "report"), "--display", "none", "--max-connections", "2",
         "--max-cost", "0.01"],
        capture_output=True, text=True, timeout=600,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert res.returncode == 3, res.stdout + res.stderr
    assert sum(rollouts(tmp_path / "logs").values()) < 16
