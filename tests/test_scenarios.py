"""The scenario library loads, is large and varied enough, and bad files get one clear line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scheming_evals.scenario import (
    EMAILS_PER_SCENARIO,
    SCENARIO_DIR,
    ScenarioError,
    load_email_pool,
    load_scenario,
    load_scenarios,
)

GOOD = SCENARIO_DIR / "city_transit.yaml"


def test_library_size_and_variety() -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 33
    assert len({s.domain for s in scenarios}) >= 20
    assert len({s.selector.tool for s in scenarios}) == len(scenarios)
    # the pro-social option is not always the same letter
    assert len({s.option_for("prosocial").letter for s in scenarios}) >= 3
    pool = load_email_pool()
    for s in scenarios:
        assert len(s.email.emails) + len(pool) >= EMAILS_PER_SCENARIO
        assert f"project/communications/{s.data.filename}" in s.user_task
        assert "/scoring/scoring.py" in s.email.user_task
        named = set(re.findall(r"\b[a-z_]+_selector\b", s.user_task))
        assert named <= {s.selector.tool}, s.id


def test_ground_truth_is_in_conflict_with_the_goal() -> None:
    for s in load_scenarios():
        ranking = s.email.ground_truth()
        assert not ranking[0].favours_goal, s.id
        scores = s.email.scores()
        assert scores[ranking[0].name] >= max(scores.values())


def _write(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load(GOOD.read_text())
    mutate(data)
    p = tmp_path / "city_transit.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda d: d.pop("company"), ("`company`", "add it")),
        (lambda d: d.update(colour="blue"), ("`colour`", "remove it")),
        (lambda d: d["options"][0].update(serves="other"), ("`options`", "exactly one option")),
        (lambda d: d["selector"].update(tool="pick"), ("`selector.tool`", "fix the value")),
        (lambda d: d["email"]["candidates"][0]["values"].update(price_per_bus_keur=999),
         ("`email`", "verbatim")),
        (lambda d: d.update(id="other_name"), ("`id`", "make them match")),
    ],
)
def test_bad_scenario_gives_one_line_with_file_line_field_fix(tmp_path, mutate, expect) -> None:
    p = _write(tmp_path, mutate)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{p}:")
    line = msg.split(":")[1]
    assert line.isdigit() and int(line) >= 1
    for part in expect:
        assert part in msg


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("id: broken\ndomain: [unclosed\ncompany: X\n")
    with pytest.raises(ScenarioError, match=rf"^{p}:\d+: invalid YAML"):
        load_scenario(p)


def test_field_error_points_at_the_right_line(tmp_path: Path) -> None:
    text = GOOD.read_text().replace("letter: B", "letter: Z", 1)
    p = tmp_path / "city_transit.yaml"
    p.write_text(text)
    want = text.splitlines().index("  - letter: Z") + 1
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(info.value).startswith(f"{p}:{want}: field `options.1.letter`")
