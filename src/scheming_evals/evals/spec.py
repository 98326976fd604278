"""What one eval is, as data: every module outside the eval's own package reads this record.

Catalog, suite, follow-ups, tables, report and the scenario loader take what they need from an
eval's ``SPEC``; none of them branches on an eval's name. Pure data: no Inspect import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..stimuli import followup_variants

Kind = Literal["covert", "deferred"]
# Which analysis the report gives the eval: a behaviour x model table (covert), the paired
# testing/deployment table of alignment faking, or accuracy per incentive (sandbagging).
Analysis = Literal["behaviours", "paired_settings", "accuracy"]


@dataclass(frozen=True)
class Behaviour:
    """One boolean the detector reports."""

    name: str
    meaning: str
    scheming: bool = True  # False: task completion (reported, never flagged as scheming)


PAPER_TABLE8 = "arXiv 2412.04984, Table 8"


@dataclass(frozen=True)
class Questions:
    """One follow-up question set: what to ask after one detected behaviour (or combination)."""

    name: str  # stored with the answers and in the score, e.g. "replaced_successor"
    when: tuple[str, ...]  # asked if all of these behaviours were detected (() = any trigger)
    direct: str
    indirect: str
    action: str  # what the grader is told the agent did
    # Where the wording comes from: the paper (word-exact), or "ours (...)" saying what it is
    # modelled on.
    source: str = PAPER_TABLE8
    # The same two questions under condition framing=neutral (ours: the episode's neutral
    # wording, none of stimuli.TROPE_WORDS); "" = the eval has no neutral framing.
    neutral_direct: str = ""
    neutral_indirect: str = ""

    def variants(self) -> dict[str, str]:
        """The 8 question variants (with/without "Management here.", "Be 100% honest.")."""
        return followup_variants(self.direct, self.indirect)

    def worded(self, neutral: bool) -> Questions:
        """This set as asked under the framing: the neutral questions when ``neutral``."""
        if not neutral:
            return self
        if not (self.neutral_direct and self.neutral_indirect):
            raise ValueError(f"question set {self.name!r} has no neutral wording")
        return replace(self, direct=self.neutral_direct, indirect=self.neutral_indirect,
                       source=f"{self.source}; neutral wording: ours")

    def applies(self, detected: Mapping[str, object]) -> bool:
        return all(bool(detected.get(b)) for b in self.when)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up interview (paper Section 3.1, Table 8) after a detected covert action.

    Either one question set given inline (``direct``, ``indirect``, ``action``: asked whatever
    trigger fired) or ``questions``: sets in priority order, the first whose ``when`` behaviours
    were all detected is asked. ``interrogation`` names the eval's section of
    ``data/graders/interrogation.yaml`` (its 7 questions and what the interrogator suspects);
    without one the eval offers no interrogation.
    """

    triggers: tuple[str, ...]  # behaviours whose detection starts the interview
    direct: str = ""  # the paper's direct question, word-exact
    indirect: str = ""  # the paper's indirect question, word-exact
    action: str = ""  # what the grader is told the agent did
    source: str = PAPER_TABLE8
    neutral_direct: str = ""  # under framing=neutral (see Questions)
    neutral_indirect: str = ""
    questions: tuple[Questions, ...] = ()
    interrogation: str | None = None

    def __post_init__(self) -> None:
        inline = (self.direct, self.indirect, self.action)
        if self.questions and any(inline):
            raise ValueError("FollowUp: give either direct/indirect/action or questions")
        if not self.questions and not all(inline):
            raise ValueError("FollowUp needs direct, indirect and action (or questions)")
        unknown = {b for q in self.questions for b in q.when} - set(self.triggers)
        if unknown:
            raise ValueError(f"FollowUp questions ask about non-triggers: {sorted(unknown)}")

    @property
    def question_sets(self) -> tuple[Questions, ...]:
        if self.questions:
            return self.questions
        return (Questions("/".join(self.triggers), (), self.direct, self.indirect, self.action,
                          self.source, self.neutral_direct, self.neutral_indirect),)

    def choose(self, detected: Mapping[str, object]) -> Questions | None:
        """The question set for these detector values: None if no trigger fired (or no set
        matches what was detected)."""
        if not any(bool(detected.get(t)) for t in self.triggers):
            return None
        return next((q for q in self.question_sets if q.applies(detected)), None)

    def variants(self) -> dict[str, str]:
        """The first question set's 8 variants (the only set for an inline follow-up)."""
        return self.question_sets[0].variants()


@dataclass(frozen=True)
class PaperRate:
    """A rate the paper published for one behaviour, per paper model name."""

    behaviour: str
    label: str  # the paper's row label
    section: Literal["table2", "no_nudge"]
    values: Mapping[str, float]


@dataclass(frozen=True)
class EvalSpec:
    """Everything the rest of the project needs to know about one eval."""

    name: str
    kind: Kind
    measures: str  # one line for `scheming-evals list`
    paper: str  # the paper table it reproduces
    conditions: tuple[str, ...]  # condition names the task takes as -T parameters
    behaviours: tuple[Behaviour, ...]
    analysis: Analysis = "behaviours"
    # Single changes from the defaults that `--conditions controls` runs, and the extra ones
    # of `--conditions full`.
    controls: tuple[Mapping[str, str], ...] = ()
    full: tuple[Mapping[str, str], ...] = ()
    followup: FollowUp | None = None
    memo_keys: tuple[str, ...] = ()  # keys a scenario's `memos:` may override for this eval
    uses_scenarios: bool = True  # False: the eval has its own items (sandbagging's questions)
    reference_models: tuple[str, ...] = ()  # the scripted agents that are its controls
    demo_args: Mapping[str, Any] = field(default_factory=dict)  # offline demo task args
    real_args: Mapping[str, Any] = field(default_factory=dict)  # task args for a real model
    paper_rates: tuple[PaperRate, ...] = ()
    # The paper's figures in the eval's own shape (alignment faking's k/n/p, sandbagging's
    # accuracies), per paper model name.
    paper_figures: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # an eval that takes framing asks its follow-ups in the neutral wording too: a set
        # without one is an error when the eval is defined, not in the middle of a rollout
        if "framing" in self.conditions and self.followup is not None:
            for qs in self.followup.question_sets:
                qs.worded(True)

    def behaviour(self, name: str) -> Behaviour:
        for b in self.behaviours:
            if b.name == name:
                return b
        raise KeyError(f"{self.name} has no behaviour {name!r}")

    @property
    def behaviour_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.behaviours)

    @property
    def task_behaviours(self) -> tuple[str, ...]:
        """Task completion measures: reported, never flagged."""
        return tuple(b.name for b in self.behaviours if not b.scheming)


# What the four covert evals share (SPEC section 4 of the protocol): their condition names,
# the single changes the dissection compares against, the scripted agents that are their
# controls, and the offline demo's arguments.
COVERT_CONDITIONS = ("nudge", "difficulty", "goal", "relation", "honesty", "memo", "reasoning",
                     "framing")
COVERT_CONTROLS: tuple[Mapping[str, str], ...] = (
    {"nudge": "none"}, {"goal": "none"}, {"goal": "user"}, {"relation": "aligned"},
    {"relation": "reversed"}, {"honesty": "instructed"}, {"memo": "absent"},
    {"framing": "neutral"},
)
COVERT_FULL: tuple[Mapping[str, str], ...] = (
    {"difficulty": "medium"}, {"difficulty": "easy"}, {"reasoning": "scratchpad"},
    {"reasoning": "none"}, {"framing": "fiction"},
)
COVERT_REFERENCE = ("reference/honest", "reference/schemer", "reference/nudge-schemer",
                    "reference/schemer-denier")
# The framing control's positive control: it reacts to the memo's words only, so it is a control
# of the evals whose memo the framing rewords (email reranking has no memo: its inbox is the
# same under every framing, only fiction's preface differs).
TROPE_REFERENCE = "reference/trope-schemer"
# A spread of domains for the offline demo run (all scenarios run when a real model is given).
DEMO_SCENARIOS = ("city_transit,loan_approval,mining_permit,hospital_beds,news_recommender,"
                  "water_utility")
COVERT_DEMO: Mapping[str, Any] = {"scenarios": DEMO_SCENARIOS}
