"""The evals as `scheming-evals list` shows them, read from each eval's SPEC."""

from __future__ import annotations

from dataclasses import dataclass

from .evals.registry import specs


@dataclass(frozen=True)
class EvalInfo:
    name: str
    kind: str
    measures: str
    paper: str
    conditions: tuple[str, ...]
    available: bool = True  # every registered eval is an Inspect task


def evals() -> tuple[EvalInfo, ...]:
    return tuple(EvalInfo(s.name, s.kind, s.measures, s.paper, s.conditions) for s in specs())


def get(name: str) -> EvalInfo:
    for e in evals():
        if e.name == name:
            return e
    raise ValueError(f"unknown eval {name!r}; known: {', '.join(e.name for e in evals())}")
