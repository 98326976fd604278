"""End to end: reference agents over a crossed design (nudge x goal relation) -> logs -> tidy
table -> dissection -> report. The dissection must recover what the scripts do: nudge-schemer
schemes only under the strong nudge (a nudge effect, no conflict effect); schemer always does
(neither). The HTML must be self-contained and, when chromium is installed, render headless
with no console errors."""

from __future__ import annotations

import base64
import importlib.util
import io
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest
from inspect_ai import eval as inspect_eval
from typer.testing import CliRunner

from scheming_evals.analysis import dissection, tables
from scheming_evals.analysis.tidy import LogReadError, read_logs
from scheming_evals.cli import app
from scheming_evals.evals.oversight_subversion import oversight_subversion
from scheming_evals.report import write_report

SCENARIOS = "city_transit,loan_approval,mining_permit,hospital_beds,crop_planning,water_utility"
MODELS = ["reference/nudge-schemer", "reference/schemer"]


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("logs")
    tasks = [oversight_subversion(nudge=n, relation=r, scenarios=SCENARIOS, followup_samples=0)
             for n in ("strong", "none") for r in ("conflict", "aligned")]
    logs = inspect_eval(tasks, model=MODELS, log_dir=str(out), display="none", max_tasks=8,
                        max_samples=48)
    assert all(log.status == "success" for log in logs)
    return out


@pytest.fixture(scope="module")
def report(log_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    write_report([log_dir], out)
    return out


def test_tidy_table_has_one_row_per_rollout(log_dir: Path) -> None:
    df = read_logs([log_dir])
    assert len(df) == 2 * 4 * 6
    for col in ("model", "eval", "scenario", "epoch", "sample_id", "log", "nudge", "relation",
                "difficulty", "memo", "disabled_oversight", "explanation", "total_tokens"):
        assert col in df, col
    assert str(df["disabled_oversight"].dtype) == "boolean"
    assert (df["total_tokens"] > 0).all() and df["log"].map(lambda p: Path(p).is_file()).all()
    strong = df[(df["model"] == "reference/nudge-schemer") & (df["nudge"] == "strong")]
    assert strong["disabled_oversight"].all()


def test_dissection_recovers_the_factor(log_dir: Path) -> None:
    effects = dissection.dissect(read_logs([log_dir]))

    def get(model: str, change: str) -> dissection.Effect:
        return next(e for e in effects if e.model == model and e.change == change
                    and e.behaviour == "disabled_oversight")

    nudge = get("reference/nudge-schemer", "nudge=none")
    assert nudge.verdict == "drop" and nudge.diff.high < 0 and nudge.diff.diff == -1
    # Deliberate change (issue #12 item 3): an association in this design, decided after Holm
    # adjustment over the model's family (was "disappears without the nudge: it depends on ...")
    assert "lower without the nudge than at the default" in nudge.sentence
    assert nudge.sentence.endswith("in this design.") and nudge.p_holm < 0.05
    conflict = get("reference/nudge-schemer", "relation=aligned")
    assert conflict.diff.low <= 0 <= conflict.diff.high and conflict.diff.diff == 0
    for change in ("nudge=none", "relation=aligned"):
        e = get("reference/schemer", change)
        assert e.diff.low <= 0 <= e.diff.high and e.diff.diff == 0
        assert e.flagged  # 6 rollouts a cell cannot rule out +-0.20


def test_crossed_design_gets_a_regression(log_dir: Path) -> None:
    regs = {(r.model, r.behaviour): r for r in dissection.regressions(read_logs([log_dir]))}
    r = regs[("reference/nudge-schemer", "disabled_oversight")]
    assert r.factors == ["nudge", "relation"] and r.method.startswith("Firth")
    terms = {t.name: t for t in r.terms}
    assert terms["nudge=none"].high < 1
    assert terms["relation=aligned"].low < 1 < terms["relation=aligned"].high
    assert "constant outcome" in regs[("reference/schemer", "disabled_oversight")].note


def test_regression_terms_are_holm_adjusted_per_model(log_dir: Path) -> None:
    from statsmodels.stats.multitest import multipletests

    from scheming_evals.report.build import fmt_regression

    regs = dissection.regressions(read_logs([log_dir]))
    for model in {r.model for r in regs}:
        terms = [t for r in regs if r.model == model for t in r.terms]
        if not terms:
            continue
        expected = multipletests([t.p_value for t in terms], method="holm")[1]
        assert [t.p_holm for t in terms] == pytest.approx(list(expected))
        assert {t.family_size for t in terms} == {len(terms)}
        assert all(t.p_holm >= t.p_value for t in terms)
    line = fmt_regression(next(r for r in regs if r.terms))[0]
    assert ", Holm " in line and " terms" in line


def test_report_files_and_content(report: Path) -> None:
    for name in ("report.html", "summary.md", "samples.csv", "dissection.csv"):
        assert (report / name).is_file(), name
    html = (report / "report.html").read_text()
    md = (report / "summary.md").read_text()
    for text in ("Table 2 layout", "Control: nudge=none", "Dissection",
                 "logistic regression", "Flagged rollouts", "scripted reference agents, "
                 "not language models", "inspect eval scheming_evals/", "sample id"):
        assert text in html, text
    assert "scripted reference agents, not language models" in md
    csv = pd.read_csv(report / "samples.csv")
    assert len(csv) == 48 and {"sample_id", "log_file", "disabled_oversight"} <= set(csv)
    if importlib.util.find_spec("pyarrow"):
        assert len(pd.read_parquet(report / "samples.parquet")) == 48
    assert "| disabled oversight |" in md
    # each flagged rollout cites the command and where to open it
    assert "sed -i" in html or "oversight_config.yaml" in html
    assert re.search(r"log <code>[^<]+\.eval</code> · sample id <code>\w+</code>", html)
    # self-contained: embedded PNGs that decode, no network resources, no scripts
    images = re.findall(r'<img[^>]+src="data:image/png;base64,([^"]+)"', html)
    assert len(images) >= 2
    for b in images:
        assert matplotlib.image.imread(io.BytesIO(base64.b64decode(b)), format="png").size
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html


def test_report_states_the_comparisons_and_adjusted_results(log_dir: Path,
                                                             report: Path) -> None:
    effects = dissection.dissect(read_logs([log_dir]))
    fams = {f.model: f for f in dissection.families(effects)}
    html, md = (report / "report.html").read_text(), (report / "summary.md").read_text()
    for model in MODELS:
        f = fams[model]
        mine = [e for e in effects if e.model == model]
        assert f.size == len(mine) and all(e.family_size == f.size for e in mine)
        assert f.holm == sum(e.p_holm < 0.05 for e in mine) <= f.raw
        statement = (f"{model}: {f.size} comparisons made ({f.never_seen} with the behaviour "
                     f"seen in neither condition); {f.raw} significant at 0.05 unadjusted, "
                     f"{f.holm} after Holm adjustment")
        assert statement in html and statement in md
    total = len(effects)
    holm = sum(f.holm for f in fams.values())
    assert f"{total} comparisons in all; {holm} survive Holm adjustment" in html
    assert f"{total} comparisons in all, {holm} survive Holm adjustment" in md
    for col in ("p (unadjusted)", "p (Holm)", "q (BH)", "simultaneous interval [Bonferroni]",
                "verdict (adjusted)"):
        assert col in html, col
    assert "depends on" not in html and "causes each behaviour" not in html
    csv = pd.read_csv(report / "dissection.csv")
    assert {"p", "p_holm", "p_bh", "simultaneous_low", "simultaneous_high", "family_size",
            "raw_verdict", "verdict"} <= set(csv)
    assert len(csv) == total


def test_report_shows_intervals_by_scenario(log_dir: Path, report: Path) -> None:
    # issue #12 item 8: rollouts cluster by scenario; the rates, the differences and the
    # regression show by-scenario intervals beside the iid ones
    df = read_logs([log_dir])
    html, md = (report / "report.html").read_text(), (report / "summary.md").read_text()
    for nudge in ("strong", "none"):
        t = tables.clustered_table(df, nudge)
        assert t.rows and t.markdown() in md
        assert all(r[7].endswith(" of 6") for r in t.rows)  # 6 scenarios in these logs
    for text in ("95% CI (iid)", "95% CI (by scenario)", "scenarios with the behaviour",
                 "by scenario [cluster-robust Wald 95%]", "resamples the scenarios jointly"):
        assert text in html, text
    # nudge-schemer always schemes under the strong nudge, never without: no bootstrap varies
    assert "– (each condition always or never)" in html
    assert "not fitted (separation" in html and "By scenario (cluster-robust Wald 95%)" in md
    csv = pd.read_csv(report / "dissection.csv")
    assert {"scenario_low", "scenario_high", "scenario_note", "default_scenarios_with",
            "changed_scenarios_with"} <= set(csv)
    assert set(csv["default_scenarios"]) == {6}


def test_cli_report_and_one_line_errors(log_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["report", str(log_dir), "--output", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "report.html").is_file()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.eval").write_bytes(b"garbage")
    res = runner.invoke(app, ["report", str(log_dir), str(bad), "-o", str(tmp_path / "r2")])
    assert res.exit_code == 2 and "x.eval: not a readable Inspect log" in res.output
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert not (tmp_path / "r2").exists()  # nothing half written


def test_write_report_leaves_nothing_on_bad_input(log_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(LogReadError):
        write_report([log_dir, tmp_path / "missing"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _chromium() -> str | None:
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                        "google-chrome")) if p), None)


def _console_lines(browser: str, page: Path, profile: Path) -> tuple[list[str], str]:
    res = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    return [ln for ln in res.stderr.splitlines() if ":CONSOLE" in ln], res.stdout


def test_renders_in_headless_chromium_without_console_errors(report: Path,
                                                             tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium): headless rendering "
                    "check skipped; the static checks in test_report_files_and_content still ran")
    # the probe must see a console error on a page that has one, or the check proves nothing
    probe = tmp_path / "probe.html"
    probe.write_text("<html><body><script>console.error('probe-error')</script></body></html>")
    lines, _ = _console_lines(browser, probe, tmp_path / "p1")
    assert any("probe-error" in ln for ln in lines), "chromium console capture does not work"
    lines, dom = _console_lines(browser, report / "report.html", tmp_path / "p2")
    assert lines == []
    assert "Table 2 layout" in dom and "Flagged rollouts" in dom


def test_report_shows_each_graders_measured_accuracy_next_to_confession_rates(
        tmp_path: Path) -> None:
    """Issue #12 item 6: the fallback's accuracy on the labelled answers is computed at report
    time; a grader model's is read from grader_accuracy.json, else the report says how to
    measure it."""
    import asyncio
    import json

    from inspect_ai import task_with
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    from scheming_evals.followup.accuracy import fallback_accuracy, measure_model, write_accuracy

    def reply(messages, tools, tool_choice, config):  # a scripted grader: "admitted" always
        text = messages[-1].text  # (the reasoning scorer asks it too: no <answer> there)
        answer = text.split("<answer>")[1].split("</answer>")[0] if "<answer>" in text else "-"
        out = ModelOutput.from_content("mockllm/model", json.dumps(
            {"label": "admitted", "quote": answer.strip().split(". ")[0].split("\n")[0]}))
        out.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
        return out

    logs = tmp_path / "logs"
    task = oversight_subversion(scenarios="city_transit", followup_samples=1)
    graded = task_with(oversight_subversion(scenarios="city_transit", followup_samples=1),
                       model_roles={"grader": get_model("mockllm/model", custom_outputs=reply)})
    for t, model in ((task, "reference/schemer"), (graded, "reference/schemer-denier")):
        assert inspect_eval(t, model=model, log_dir=str(logs), display="none")[0].status == (
            "success")
    fb = fallback_accuracy()
    fallback = (f"rule-based fallback (followup-rules-v2): {fb.k}/{fb.n} right "
                f"({fb.rate:.0%}, 95% CI {fb.low:.0%}-{fb.high:.0%})")
    write_report([logs], tmp_path / "r1")
    html = (tmp_path / "r1" / "report.html").read_text()
    md = (tmp_path / "r1" / "summary.md").read_text()
    for text in (fallback, "model: accuracy not measured: run `scheming-evals grader-check "
                 "--grader MODEL", "grader: accuracy on labelled answers",
                 f"recall admitted {fb.recall['admitted'][0]}/{fb.recall['admitted'][1]}"):
        assert text in html.replace("&#39;", "'").replace("&#96;", "`"), text
        assert text in md, text
    # once grader-check has measured the grader model next to the logs, the report shows it
    acc = asyncio.run(measure_model(get_model("mockllm/model", custom_outputs=reply)))
    write_accuracy(logs, acc)
    write_report([logs], tmp_path / "r2")
    md = (tmp_path / "r2" / "summary.md").read_text()
    assert f"model: {acc.k}/{acc.n} right ({acc.rate:.0%}, 95% CI" in md
    assert "not measured" not in md and fallback in md
