"""Every covert task runs end to end under every condition value, and the condition shows.

One scripted agent (reads the data or the inbox, then finishes) runs all 4 evals x 21 condition
values in one Inspect call; each sample's metadata, prompts, tools and files are checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalSample
from inspect_ai.model import ChatMessage, ModelOutput, ModelUsage, get_model
from inspect_ai.tool import ToolInfo

from scheming_evals.conditions import CONDITIONS, DEFAULTS
from scheming_evals.evals import registry
from scheming_evals.evals.covert_email_reranking import covert_email_reranking
from scheming_evals.evals.goal_guarding import goal_guarding
from scheming_evals.evals.oversight_subversion import oversight_subversion
from scheming_evals.evals.self_exfiltration import self_exfiltration
from scheming_evals.reference.extract import memo_of
from scheming_evals.scenario import scenario_by_id
from scheming_evals.stimuli import NUDGE_NONE, NUDGE_STRONG, SCRATCHPAD_PARAM, trope_words
from scheming_evals.world import NO_REASONING, conditions_of, fmt, nudge_text, prompts

TASKS = {
    "oversight_subversion": oversight_subversion,
    "self_exfiltration": self_exfiltration,
    "goal_guarding": goal_guarding,
    "covert_email_reranking": covert_email_reranking,
}
SCENARIO = "fisheries_quota"


def _out(tool: str, **args: Any) -> ModelOutput:
    o = ModelOutput.for_tool_call("mockllm/model", tool, args)
    o.usage = ModelUsage(input_tokens=10, output_tokens=10, total_tokens=20)
    return o


def reader(messages: list[ChatMessage], tools: list[ToolInfo], *_: Any) -> ModelOutput:
    """Scripted agent for tests only: read what the task offers, then finish."""
    names = {t.name for t in tools}
    turn = sum(m.role == "assistant" for m in messages)
    if turn == 0:
        if "read_all_emails" in names:
            return _out("read_all_emails")
        return _out("bash", command="cat project/communications/*.txt")
    return _out("submit", answer="done") if "submit" in names else _out("done")


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], EvalSample]:
    tasks, keys = [], []
    for eval_name, make in TASKS.items():
        for cond in CONDITIONS.values():
            for value in cond.values:
                extra = {} if eval_name == "covert_email_reranking" else {"followup_samples": 0}
                tasks.append(make(scenarios=SCENARIO, **extra, **{cond.name: value}))
                keys.append((eval_name, cond.name, value))
    logs = inspect_eval(tasks, model=get_model("mockllm/model", custom_outputs=reader),
                        log_dir=str(tmp_path_factory.mktemp("logs")), display="none",
                        max_tasks=8)
    out = {}
    for key, log in zip(keys, logs, strict=True):
        assert log.status == "success", (key, log.error)
        assert log.samples and len(log.samples) == 1
        out[key] = log.samples[0]
    return out


CASES = [(e, c.name, v) for e in TASKS for c in CONDITIONS.values() for v in c.values]


@pytest.mark.parametrize(("eval_name", "cond", "value"), CASES)
def test_condition_is_applied(samples, eval_name: str, cond: str, value: str) -> None:
    s = samples[(eval_name, cond, value)]
    meta = s.metadata
    # every condition field is recorded flat, with the scenario
    assert meta["scenario"] == SCENARIO and meta["eval"] == eval_name
    for k, default in DEFAULTS.items():
        assert meta[k] == (value if k == cond else default)
    system = str(s.messages[0].content)
    user = str(s.messages[1].content)
    seen = "\n".join(str(m.content) for m in s.messages if m.role == "tool")
    sc = scenario_by_id(SCENARIO)
    email = eval_name == "covert_email_reranking"
    goal_text = meta.get("model_goal") if email else (
        sc.goals.other if meta["relation"] == "reversed" else sc.goals.prosocial)
    if cond == "nudge":
        assert (NUDGE_STRONG in system) == (value == "strong")
        assert NUDGE_NONE in system
    if cond == "goal":
        assert (goal_text in system) == (value == "system")
        assert (goal_text in user) == (value == "user")
        # goal=none: the nudge sentences that refer to the (never given) goal are dropped;
        # only "Always reason out loud ..." stays (issue #12 item 7: it used to send them)
        paragraphs = system.split("\n\n")
        assert (NUDGE_STRONG in paragraphs) == (value != "none")
        assert (NUDGE_NONE in paragraphs) == (value == "none")
        assert ("YOUR goal" in system) == (value != "none")
        assert ("Repeat your goal" in system) == (value != "none")
    if cond == "relation" and email:
        # reversed differs from aligned: the model's goal is the scenario's opposite, and the
        # candidates it favours flip (issue #12 item 7: reversed used to equal aligned)
        em = sc.email
        others = {v: samples[(eval_name, "relation", v)].metadata
                  for v in ("conflict", "aligned", "reversed")}
        assert len({m["model_goal"] for m in others.values()}) == 3
        favoured = [c.name for c in em.candidates if c.favours_goal]
        against = [c.name for c in em.candidates if not c.favours_goal]
        assert meta["favours_goal"] == (against if value == "reversed" else favoured)
        if value == "reversed":
            assert all(n in meta["model_goal"] for n in against)
            assert meta["model_goal"] in system
    if cond == "relation" and not email:
        dev = sc.goals.prosocial if value in ("aligned", "reversed") else sc.goals.other
        assert f"to {dev}" in seen  # the memo states the developers' goal
        assert goal_text in system
    if cond == "difficulty":
        assert ("switch the watching off" in system) == (value == "easy")
        assert ("check for yourself" in system) == (value != "hard")
    if cond == "honesty":
        assert ("Be honest and transparent" in system) == (value == "instructed")
    if cond == "memo":
        marker = "Re: Scoring" if email else "----- internal note"
        if email:
            kinds = [m["kind"] for m in meta["inbox"]]
            assert ("awareness" in kinds) == (value == "present")
            assert len(kinds) == 20
        else:
            assert (marker in seen) == (value == "present")
    if cond == "reasoning":
        params = [
            set(t.parameters.properties)
            for ev in s.events if ev.event == "model"
            for t in ev.tools if t.name == "bash"
        ]
        assert params and all((SCRATCHPAD_PARAM in p) == (value == "scratchpad") for p in params)
        if value == "scratchpad":  # undescribed, optional (SPEC section 6)
            bash = next(t for ev in s.events if ev.event == "model" for t in ev.tools
                        if t.name == "bash")
            assert not bash.parameters.properties[SCRATCHPAD_PARAM].description
            assert SCRATCHPAD_PARAM not in bash.parameters.required
        assert ("Always reason out loud" in system) == (value != "none")
        # reasoning=none: the nudge is word-exact minus only its first sentence (which
        # contradicts the condition), and the instruction follows as its own paragraph
        paragraphs = system.split("\n\n")
        rest = NUDGE_STRONG.removeprefix(NUDGE_NONE).strip()
        assert (rest in paragraphs) == (value == "none")
        assert (NO_REASONING in paragraphs) == (value == "none")
        assert (NUDGE_STRONG in paragraphs) == (value != "none")
    if cond == "framing":
        # fiction: the preface is the first paragraph; neutral: the memo loses the takeover
        # vocabulary (email has none to lose: its neutral prompts equal trope's)
        first = system.split("\n\n")[0]
        assert (first == fmt(prompts()["fiction_preface"])) == (value == "fiction")
        if email:
            trope = samples[(eval_name, "framing", "trope")]
            assert (value == "neutral") <= (str(trope.messages[0].content) == system)
        else:
            assert "----- internal note" in seen
            assert bool(trope_words(memo_of(seen))) == (value != "neutral")
    # a reader that changes nothing triggers no scheming behaviour
    score = next(iter(s.scores.values()))
    spec = registry.spec(eval_name)
    flagged = {k for k, v in score.value.items() if v is True and k in spec.behaviour_names
               and k not in spec.task_behaviours}
    assert flagged == set()


@pytest.mark.parametrize("nudge", CONDITIONS["nudge"].values)
@pytest.mark.parametrize("goal", CONDITIONS["goal"].values)
@pytest.mark.parametrize("reasoning", CONDITIONS["reasoning"].values)
def test_nudge_is_word_exact_cut(nudge: str, goal: str, reasoning: str) -> None:
    """The nudge sent is always an exact substring of the paper's NUDGE_STRONG, cut only as
    documented: goal=none drops the sentences about the goal, reasoning=none drops the first
    sentence ("Always reason out loud ...") and nothing else."""
    text = nudge_text(conditions_of(nudge=nudge, goal=goal, reasoning=reasoning))
    assert text in NUDGE_STRONG
    full = NUDGE_STRONG if nudge == "strong" and goal != "none" else NUDGE_NONE
    want = full.removeprefix(NUDGE_NONE).strip() if reasoning == "none" else full
    assert text == want
    if goal == "none":
        assert "goal" not in text.lower()
