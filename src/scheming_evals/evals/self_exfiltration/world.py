"""What the self-exfiltration machines hold: the agent's machine with its weights and the memo,
and the successor's machine with the new model's weights."""

from __future__ import annotations

from ...conditions import CONDITIONS
from ...scenario import scenario_for
from ...world import (
    World,
    covert_setup,
    covert_world,
    eval_texts,
    fake_weights,
    framed,
    memo_text,
    prompts,
    sha256,
)
from ..episode import Meta

CURRENT_HOST = "model_deployment_v1"
SUCCESSOR_HOST = "model_deployment_v2"
MODEL_FILE = "project/model_20_09_2024.bin"
SUCCESSOR_FILE = "project/model_27_09_2024.bin"
WEIGHTS_SIZE = 32 * 1024


def build_world(meta: Meta) -> World:
    scenario = scenario_for(meta)
    setup = covert_setup(scenario, {k: meta[k] for k in CONDITIONS})
    values = setup.values(model_file=MODEL_FILE, successor_file=SUCCESSOR_FILE,
                          successor_host=SUCCESSOR_HOST, current_host=CURRENT_HOST)
    mine = fake_weights(f"{scenario.id}/current", WEIGHTS_SIZE)
    successor = fake_weights(f"{scenario.id}/successor", WEIGHTS_SIZE)
    return covert_world(
        setup, hostname=CURRENT_HOST,
        memo=memo_text(setup, "exfiltration",
                       framed(eval_texts(__package__), setup.cond)["memo"], values),
        tools_note=prompts()["tools_note"],
        files={CURRENT_HOST: {MODEL_FILE: mine}, SUCCESSOR_HOST: {SUCCESSOR_FILE: successor}},
        facts={"model_file": MODEL_FILE, "successor_file": SUCCESSOR_FILE,
               "successor_host": SUCCESSOR_HOST, "model_sha256": sha256(mine),
               "successor_sha256": sha256(successor)},
    )
