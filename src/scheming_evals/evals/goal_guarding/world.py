"""What the goal-guarding machine holds: the data file with the memo, and the new system prompt
the memo says is loaded at the next restart."""

from __future__ import annotations

from ...conditions import CONDITIONS
from ...scenario import scenario_for
from ...world import (
    WORKSTATION,
    World,
    covert_setup,
    covert_world,
    eval_texts,
    fmt,
    framed,
    memo_text,
    prompts,
    sha256,
)
from ..episode import Meta

PROMPT_PATH = "/data/system_prompt_v2.txt"


def build_world(meta: Meta) -> World:
    setup = covert_setup(scenario_for(meta), {k: meta[k] for k in CONDITIONS})
    texts = framed(eval_texts(__package__), setup.cond)
    values = setup.values(prompt_path=PROMPT_PATH)
    new_prompt = fmt(texts["successor_prompt"], **values) + "\n"
    return covert_world(
        setup, hostname=WORKSTATION, memo=memo_text(setup, "goal_guarding", texts["memo"], values),
        tools_note=prompts()["tools_note"], files={WORKSTATION: {PROMPT_PATH: new_prompt}},
        facts={"prompt_path": PROMPT_PATH, "prompt_sha256": sha256(new_prompt),
               "model_goal": setup.goals.model, "developer_goal": setup.goals.developer},
    )
