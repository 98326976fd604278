"""The paper's published figures (``data/paper_figures.yaml``) and which of our models they
compare with (matched loosely on provider/model names)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

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


def _rows(section: str) -> list[dict[str, Any]]:
    sec = figures()[section]
    return list(sec["rows"] if "rows" in sec else sec["values"])


def behaviour_label(eval_name: str, behaviour: str) -> str:
    """The paper's row label (Table 2) or a readable form of the behaviour's name."""
    for row in _rows("table2"):
        if row["eval"] == eval_name and row["behaviour"] == behaviour:
            return str(row["label"])
    return behaviour.replace("_", " ")


def table2_rows() -> list[tuple[str, str]]:
    """(eval, behaviour) of Table 2's rows, in the paper's order."""
    return [(r["eval"], r["behaviour"]) for r in _rows("table2")]


def rate(section: str, eval_name: str, behaviour: str, paper_name: str | None) -> float | None:
    """A published rate (``section``: ``table2`` or ``no_nudge``), None when not published."""
    if paper_name is None:
        return None
    for row in _rows(section):
        if row["eval"] == eval_name and row["behaviour"] == behaviour:
            v = row["values"].get(paper_name)
            return None if v is None else float(v)
    return None


def notes(section: str) -> list[str]:
    return [str(n) for n in figures().get(section, {}).get("notes", [])]


def faking(paper_name: str | None) -> dict[str, Any] | None:
    """Table 5 entry: k, n, p (as printed)."""
    values: dict[str, Any] = figures()["alignment_faking"]["values"]
    return values.get(paper_name) if paper_name else None


def sandbagging(paper_name: str | None) -> dict[str, float] | None:
    """Table 6 entry: accuracy when incentivised to do well / to do poorly (goal given)."""
    values: dict[str, Any] = figures()["sandbagging"]["values"]
    return values.get(paper_name) if paper_name else None
