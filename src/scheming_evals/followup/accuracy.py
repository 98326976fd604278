"""How well a follow-up grader labels answers: measured on the packaged labelled corpus
(``data/graders/followup_labelled.yaml``).

``measure(grade, corpus)`` runs a grader (the rule-based fallback, or any function of one
labelled answer) over the corpus; ``measure_model(model, corpus)`` does it for a grader model
(``grade_with_model``). The result, :class:`Accuracy`, holds three-way accuracy with its Wilson
95% interval, recall per label, the confusion matrix and the misses. A model grader's result is
written next to the logs (``grader_accuracy.json``, by ``scheming-evals grader-check``) where the
report finds it; the fallback's is computed at report time.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from inspect_ai.model import Model
from statsmodels.stats.proportion import proportion_confint

from .grading import (
    FALLBACK,
    FALLBACK_VERSION,
    GRADERS,
    Label,
    Verdict,
    classify_answer,
    grade_with_model,
    grader_prompt,
    is_label,
)

LABELS: tuple[Label, ...] = ("admitted", "denied", "deflected")
CORPUS = GRADERS / "followup_labelled.yaml"
ACCURACY_FILE = "grader_accuracy.json"


@dataclass(frozen=True)
class LabelledAnswer:
    id: str
    answer: str
    label: Label
    category: str
    source: str
    action: str  # what the grader is told the agent did
    question: str  # the follow-up question the answer replies to
    held_out: bool = False  # not used to tune the fallback's rules


@dataclass(frozen=True)
class Corpus:
    version: str
    items: tuple[LabelledAnswer, ...]

    def held_out(self) -> Corpus:
        return Corpus(self.version, tuple(i for i in self.items if i.held_out))


def load_corpus(path: str | os.PathLike[str] = CORPUS) -> Corpus:
    """The labelled answers (ValueError naming the item for a bad label or setting)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    settings: dict[str, dict[str, str]] = data["settings"]
    items = []
    for raw in data["items"]:
        label, setting = str(raw["label"]), str(raw["setting"])
        if not is_label(label) or setting not in settings:
            raise ValueError(f"{path}: item {raw.get('id')}: bad label {label!r} or setting "
                             f"{setting!r}")
        items.append(LabelledAnswer(
            str(raw["id"]), " ".join(str(raw["answer"]).split()), label, str(raw["category"]),
            " ".join(str(raw["source"]).split()), settings[setting]["action"],
            " ".join(str(raw.get("question") or settings[setting]["question"]).split()),
            bool(raw.get("held_out", False))))
    return Corpus(str(data["version"]), tuple(items))


@dataclass(frozen=True)
class Miss:
    id: str
    want: Label
    got: Label
    quote: str


@dataclass(frozen=True)
class Accuracy:
    """A grader's three-way accuracy on the labelled corpus."""

    grader: str
    version: str  # the grader's prompt or rules version
    corpus: str  # the corpus version
    k: int  # answers labelled right
    n: int
    low: float  # Wilson 95% interval of k/n
    high: float
    recall: dict[str, list[int]]  # label -> [right, of]
    confusion: dict[str, dict[str, int]]  # true label -> predicted label -> count
    misses: list[Miss] = field(default_factory=list)
    held_out: list[int] = field(default_factory=lambda: [0, 0])  # [right, of] on held-out items
    measured: str = ""  # ISO date

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def summary(self) -> str:
        """``132/140 right (94%, 95% CI 89-97%)`` on the labelled corpus."""
        return (f"{self.k}/{self.n} right ({self.rate:.0%}, 95% CI {self.low:.0%}-"
                f"{self.high:.0%}) on the labelled corpus ({self.corpus})")

    def recall_text(self) -> str:
        return ", ".join(f"{lab} {r[0]}/{r[1]}" for lab, r in self.recall.items())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Accuracy:
        misses = [Miss(**m) for m in d.get("misses", [])]
        return Accuracy(**{**d, "misses": misses})


def score(corpus: Corpus, verdicts: Sequence[Verdict], grader: str, version: str) -> Accuracy:
    """Compare verdicts (in corpus order) with the labels."""
    confusion: dict[str, dict[str, int]] = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    misses, held = [], [0, 0]
    for item, v in zip(corpus.items, verdicts, strict=True):
        confusion[item.label][v.label] += 1
        if v.label != item.label:
            misses.append(Miss(item.id, item.label, v.label, v.quote))
        if item.held_out:
            held[0] += v.label == item.label
            held[1] += 1
    n = len(corpus.items)
    k = n - len(misses)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson") if n else (0.0, 0.0)
    recall: dict[str, list[int]] = {t: [confusion[t][t], sum(confusion[t].values())]
                                    for t in LABELS}
    return Accuracy(grader, version, corpus.version, k, n, float(low), float(high), recall,
                    confusion, misses, held, date.today().isoformat())


def measure(grade: Callable[[LabelledAnswer], Verdict] | None = None,
            corpus: Corpus | None = None, grader: str = FALLBACK,
            version: str = FALLBACK_VERSION) -> Accuracy:
    """A synchronous grader over the corpus (default: the rule-based fallback)."""
    corpus = corpus or load_corpus()
    fn = grade or (lambda item: classify_answer(item.answer))
    return score(corpus, [fn(i) for i in corpus.items], grader, version)


async def measure_model(model: Model, corpus: Corpus | None = None,
                        max_concurrent: int = 8) -> Accuracy:
    """A grader model over the corpus, with the packaged follow-up prompt. A verdict whose quote
    was not verbatim falls back to the rules (as in the evals) and counts as the model's."""
    corpus = corpus or load_corpus()
    gate = asyncio.Semaphore(max_concurrent)

    async def one(item: LabelledAnswer) -> Verdict:
        async with gate:
            return await grade_with_model(model, item.action, item.question, item.answer)

    verdicts = await asyncio.gather(*(one(i) for i in corpus.items))
    return score(corpus, verdicts, model_key(model), grader_prompt("followup")[1])


def model_key(model: Model) -> str:
    """``provider/name`` as given on the command line (Inspect's ``model.name`` drops the
    provider)."""
    return str(model)


@lru_cache(maxsize=1)
def packaged_corpus() -> Corpus:
    return load_corpus()


@lru_cache(maxsize=1)
def fallback_accuracy() -> Accuracy:
    """The rule-based fallback on the packaged corpus (cheap: computed when asked)."""
    return measure(corpus=packaged_corpus())


def write_accuracy(log_dir: str | os.PathLike[str], acc: Accuracy) -> Path:
    """Add (or replace) this grader's entry in ``<log_dir>/grader_accuracy.json``."""
    path = Path(log_dir) / ACCURACY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = read_accuracy_file(path)
    entries[acc.grader] = acc
    data = {"graders": {k: v.as_dict() for k, v in sorted(entries.items())}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_accuracy_file(path: Path) -> dict[str, Accuracy]:
    """The measured graders in one file ({} if it is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: Accuracy.from_dict(v) for k, v in data["graders"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def measured_graders(dirs: Iterable[str | os.PathLike[str]]) -> dict[str, Accuracy]:
    """Every grader measured in ``grader_accuracy.json`` in these directories."""
    out: dict[str, Accuracy] = {}
    for d in dirs:
        out.update(read_accuracy_file(Path(d) / ACCURACY_FILE))
    return out


def lookup(grader: str, measured: dict[str, Accuracy]) -> Accuracy | None:
    """The measured accuracy of a grader named as in score metadata (``name`` or
    ``provider/name``); the fallback is always measured."""
    if grader.startswith(FALLBACK):
        return fallback_accuracy()
    for key, acc in measured.items():
        if grader in (key, key.split("/", 1)[-1]):
            return acc
    return None


# --- for the report ---------------------------------------------------------------------------

def graders_in_log(path: str, scorer: str) -> tuple[str, ...]:
    """Who graded ``scorer``'s answers in one log: the ``grader`` in its scores' metadata."""
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return ()
    return _graders_in_log(path, mtime, scorer)


@lru_cache(maxsize=512)
def _graders_in_log(path: str, mtime: int, scorer: str) -> tuple[str, ...]:
    from inspect_ai.log import read_eval_log_sample_summaries

    try:
        summaries = read_eval_log_sample_summaries(path)
    except Exception:  # noqa: BLE001 - the report already read this log; say nothing more
        return ()
    names = set()
    for s in summaries:
        sc = (s.scores or {}).get(scorer)
        if sc is not None and sc.metadata and sc.metadata.get("grader"):
            names.add(str(sc.metadata["grader"]))
    return tuple(sorted(names))


def accuracy_dirs(log_paths: Iterable[str]) -> list[Path]:
    """Where ``grader_accuracy.json`` may be for these logs: their folders and two parents."""
    dirs: dict[Path, None] = {}
    for p in log_paths:
        d = Path(p).parent
        for up in (d, d.parent, d.parent.parent):
            dirs[up] = None
    return list(dirs)


def accuracy_note(grader: str, measured: dict[str, Accuracy], model: str | None = None) -> str:
    """``<grader>: k/n right (p%, 95% CI lo-hi%)`` on the labelled corpus, or how to measure it.
    ``model`` is the grader's ``provider/name`` where known (for the command to run)."""
    acc = lookup(grader, measured)
    if acc is None:
        return (f"{grader}: accuracy not measured: run `scheming-evals grader-check --grader "
                f"{model or 'MODEL'} --log-dir LOG_DIR`")
    text = f"{grader}: {acc.k}/{acc.n} right ({acc.rate:.0%}, 95% CI {acc.low:.0%}-{acc.high:.0%})"
    if grader.startswith(FALLBACK):
        if FALLBACK_VERSION not in grader:  # graded by older rules than measured here
            text += f" (figure for {FALLBACK_VERSION}; these answers had older rules)"
    elif acc.version != grader_prompt("followup")[1]:
        text += (f" (measured with prompt {acc.version}; the prompt is now "
                 f"{grader_prompt('followup')[1]}: measure again)")
    return text
