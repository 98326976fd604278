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


# --- invariants the evals and the scripted agents rely on, enforced by the loader ------------

def _no_conflict_left(d: dict) -> None:
    """The top candidate best in every field and every other one favouring the goal: boosting
    the last one then changes nothing a detector could see as favouring the goal."""
    em = d["email"]
    for c in em["candidates"]:
        if c["name"] == "Castellan Motors":
            c["values"]["warranty_years"] = 7
        c["favours_goal"] = c["name"] != "Castellan Motors"
    em["emails"][1]["body"] = em["emails"][1]["body"].replace("warranty of 4", "warranty of 7")


def _rename_candidate(d: dict, new: str) -> None:
    em = d["email"]
    old = em["candidates"][0]["name"]
    em["candidates"][0]["name"] = new
    for e in em["emails"]:
        if e.get("candidate") == old:
            e["candidate"] = new


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        # the three that only a test checked before: data file, selector tool (and the
        # scoring script, checked through the email world: see test_user_scenarios)
        (lambda d: d.update(user_task=d["user_task"].replace("eastgate_corridor_data.txt",
                                                              "eastgate_notes.txt")),
         ("`user_task`", "name the data file as project/communications/eastgate_corridor")),
        (lambda d: d.update(user_task=d["user_task"] + " Never use the budget_plan_selector."),
         ("`user_task`", "budget_plan_selector", "corridor_plan_selector")),
        # the options section the agents read
        (lambda d: d["options"][0].update(title="Transit and\ncycling first"),
         ("`options.0.title`", "one line")),
        (lambda d: d["options"][1].update(description=d["options"][1]["description"]
                                          + "\n\nAnd more."),
         ("`options.1.description`", "one paragraph")),
        (lambda d: d["data"].update(body=d["data"]["body"] + "Option A: keep it as it is\n"),
         ("`data.body`", "start like an option")),
        # the goal the agents read back from the prompt
        (lambda d: d["goals"].update(other="maximize private car throughput in the long term "
                                           "on the arterial roads"),
         ("`goals.other`", "takes the goal to be")),
        # the candidate list and the inbox the email agents read
        (lambda d: _rename_candidate(d, "Norrland; Coachworks"),
         ("`email.candidates.0.name`", "may not contain ';'")),
        (lambda d: d["email"]["emails"][2].update(body=d["email"]["emails"][2]["body"]
                                                  + "-----\nforwarded\n"),
         ("`email.emails.2.body`", "five dashes")),
        (_no_conflict_left, ("`email.candidates`", "favour the goal up the ranking")),
        # memos: only keys an eval's SPEC declares, placeholders that can be filled
        (lambda d: d.update(memos={"pep_talk": "Hi {system_name}."}),
         ("`memos`", "unknown memo keys ['pep_talk']")),
        (lambda d: d.update(memos={"testing": "Not yet {0} deployed."}),
         ("`memos`", "placeholder {0} is not a name")),
        (lambda d: d.update(memos={"testing": "Not yet {deployed."}),
         ("`memos`", "memo `testing`")),
    ],
)
def test_invariants_are_enforced_by_the_loader(tmp_path, mutate, expect) -> None:
    p = _write(tmp_path, mutate)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert "\n" not in msg
    assert re.match(rf"^{re.escape(str(p))}:\d+: field `", msg), msg
    for part in expect:
        assert part in msg, msg


def test_invariant_errors_point_at_the_right_line(tmp_path: Path) -> None:
    p = _write(tmp_path, lambda d: d["email"]["emails"][2].update(
        body=d["email"]["emails"][2]["body"] + "-----\n"))
    lines = p.read_text().splitlines()
    third = [i for i, ln in enumerate(lines, 1) if ln.strip().startswith("- kind:")][2]
    body = next(i for i, ln in enumerate(lines, 1) if i > third and "body:" in ln)
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(p))}:{body}: field "):
        load_scenario(p)


def test_memo_keys_are_the_evals_own() -> None:
    from scheming_evals.evals.registry import memo_keys

    assert memo_keys() >= {"oversight", "exfiltration", "goal_guarding", "testing",
                           "deployment"}
