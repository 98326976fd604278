"""The paper's published figures (each eval's SPEC: ``paper_rates``, ``paper_figures``; the
model names, rollout counts and notes in ``data/paper_figures.yaml``) and which of our models
they compare with (matched loosely on provider/model names)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..evals.registry import specs

FIGURES = Path(__file__).resolve().parent.parent / "data" / "paper_figures.yaml"


@lru_cache(maxsize=1)
def figures() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIGURES.read_text(encoding="utf-8"))
    return data


def source() -> str:
    return str(figures()["source"])


def paper_model(model: str) -> str | None:
    """The paper's name for ``model`` (e.g. ``anthropic/claude-3-opus-20240229`` -> ``opus-3``),
    or None when the paper did not test it. Scripted reference agents never match."""
    if model.startswith("reference/"):
        return None
    name = re.sub(r"[._]", "-", model.lower())
    for paper_name, pattern in figures()["models"].items():
        if re.search(pattern, name):
            return str(paper_name)
    return None


def behaviour_label(eval_name: str, behaviour: str) -> str:
    """The paper's row label (Table 2) or a readable form of the behaviour's name."""
    for s in specs():
        for r in s.paper_rates:
            if s.name == eval_name and r.behaviour == behaviour:
                return r.label
    return behaviour.replace("_", " ")


def table2_rows() -> list[tuple[str, str]]:
    """(eval, behaviour) of Table 2's rows, in the registry's order."""
    return [(s.name, r.behaviour) for s in specs() for r in s.paper_rates if r.section == "table2"]


def rate(section: str, eval_name: str, behaviour: str, paper_name: str | None) -> float | None:
    """A published rate (``section``: ``table2`` or ``no_nudge``), None when not published."""
    if paper_name is None:
        return None
    for s in specs():
        for r in s.paper_rates:
            if (s.name, r.behaviour, r.section) == (eval_name, behaviour, section):
                v = r.values.get(paper_name)
                return None if v is None else float(v)
    return None


def notes(section: str) -> list[str]:
    return [str(n) for n in figures().get(section, {}).get("notes", [])]


def eval_figures(analysis: str, paper_name: str | None) -> dict[str, Any] | None:
    """The paper's figures for ``paper_name`` from the eval whose SPEC has this ``analysis``
    (``paired_settings``: Table 5's k, n, p; ``accuracy``: Table 6's accuracies)."""
    if paper_name is None:
        return None
    for s in specs():
        if s.analysis == analysis and paper_name in s.paper_figures:
            return dict(s.paper_figures[paper_name])
    return None
