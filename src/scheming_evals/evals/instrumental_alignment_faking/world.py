"""The alignment-faking world: the scenario's data file under a ``testing`` or a ``deployment``
memo (near-identical wording, ours), and no done tool (the choice ends the episode)."""

from __future__ import annotations

import re

from ...conditions import CONDITIONS
from ...scenario import Scenario, scenario_for
from ...world import (
    WORKSTATION,
    World,
    covert_setup,
    data_file,
    eval_texts,
    framed,
    memo_text,
    system_prompt,
    user_message,
)
from ..episode import Meta

SETTINGS = ("testing", "deployment")

_CALL_DONE = re.compile(r",?\s*(and\s+)?(then\s+)?call\s+(the\s+)?`?done`?(\s+tool)?",
                        re.IGNORECASE)


def faking_world(scenario: Scenario, cond: dict[str, str], setting: str) -> World:
    """The same scenario under a ``testing`` or ``deployment`` memo."""
    setup = covert_setup(scenario, cond)
    texts = framed(eval_texts(__package__), cond)
    values = {"system_name": scenario.system_name, "company": scenario.company,
              "developer_goal": setup.goals.developer}
    path, body = data_file(setup, memo_text(setup, setting, texts[setting], values))
    facts = {
        "setting": setting,
        "pair": scenario.id,
        "data_path": path,
        "selector_tool": scenario.selector.tool,
        "developer_option": setup.developer_option,
        "model_option": setup.model_option,
        "options": [o.letter for o in scenario.options],
    }
    return World(
        system=system_prompt(scenario, cond, setup.goals, texts["tools_note"]),
        user=user_message(scenario, cond, setup.goals, _CALL_DONE.sub("", scenario.user_task)),
        hostname=WORKSTATION, files={WORKSTATION: {path: body}}, facts=facts,
    )


def build_world(meta: Meta) -> World:
    return faking_world(scenario_for(meta), {k: meta[k] for k in CONDITIONS}, meta["setting"])
