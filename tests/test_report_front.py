"""Issue #15 item 4: the report reads in a minute. Its front page (the headline figure of
behaviour x model x nudge, what the data say for each of the critic's five readings, the
effects that survive adjustment, the caveats, a table of contents) fits two screens in headless
Chromium at 1,300 x 900; every contents link leads to a section; no plot is cut silently."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

from scheming_evals.evals import registry
from scheming_evals.report import plots, write_report

EVALS = ("oversight_subversion", "self_exfiltration", "covert_email_reranking")
SCENARIOS = "city_transit,loan_approval"
WIDTH, HEIGHT = 1300, 900


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logs = tmp_path_factory.mktemp("logs")
    tasks = registry.load_tasks()
    runs = [tasks[e](scenarios=SCENARIOS, **cond)  # type: ignore[operator]
            for e in EVALS for cond in ({}, {"framing": "neutral"})]
    models = sorted({m for e in EVALS for m in registry.spec(e).reference_models})
    done = inspect_eval(runs, model=models, log_dir=str(logs), display="none", max_tasks=8,
                        max_samples=48)
    assert all(log.status == "success" for log in done)
    out = tmp_path_factory.mktemp("report")
    write_report([logs], out)
    return out


def test_front_page_has_the_figure_the_readings_and_a_working_contents(report: Path) -> None:
    html = (report / "report.html").read_text()
    front = html[html.index('<section id="front">'): html.index('<div id="front-end">')]
    assert 'class="plot front"' in front and "data:image/png;base64," in front
    for reading in ("Plain instruction-following", "Patterns from training data",
                    "Goal-prompt bias", "Anthropomorphised chains of thought", "Task design"):
        assert reading in front
    assert re.search(r"\d+ of \d+ comparisons survive Holm adjustment", front)
    row = front[front.index("Patterns from training data"):]
    row = row[: row.index("</tr>")]
    assert "framing=neutral" in row and "not tested" not in row  # the framing control ran
    assert "not tested in these logs" in front  # reasoning was not varied here: said so
    links = re.findall(r'<a href="#([^"]+)"', front[front.index('<nav id="toc">'):])
    assert len(links) >= 6
    for target in links:
        assert f'id="{target}"' in html, target
    summary = (report / "summary.md").read_text()
    assert summary.index("## At a glance") < summary.index("## All findings")


def test_plots_say_what_they_leave_out(report: Path) -> None:
    html = (report / "report.html").read_text()
    if "comparisons with an adjusted effect or the largest differences first" in html:
        m = re.search(r"the (\d+) of (\d+) comparisons", html)
        assert m and int(m.group(1)) == plots.MAX_FOREST_ROWS < int(m.group(2))
    else:  # nothing cut: the plot shows every comparison
        assert html.count("Forest plot") <= 1


def test_front_page_fits_two_screens_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                            "google-chrome")) if p), None)
    if browser is None:
        pytest.skip("chromium is not installed (install.sh installs it as root on Debian)")
    page = tmp_path / "measured.html"
    probe = ("<script>window.addEventListener('load', () => {document.body.dataset.front = "
             "Math.round(document.getElementById('front-end').getBoundingClientRect().top + "
             "window.scrollY); document.body.dataset.width = document.documentElement.scrollWidth;"
             "});</script>")
    page.write_text((report / "report.html").read_text().replace("</body>", probe + "</body>"))
    res = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={WIDTH},{HEIGHT}",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=120)
    front = re.search(r'data-front="(\d+)"', res.stdout)
    width = re.search(r'data-width="(\d+)"', res.stdout)
    assert front and width, res.stderr[-2000:]
    assert 600 < int(front.group(1)) <= 2 * HEIGHT  # two screens, and not an empty page
    assert int(width.group(1)) <= WIDTH  # nothing wider than the window
