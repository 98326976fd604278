"""The evals this project ships: one line per eval package (``scheming_evals.evals.<name>``).

Adding an eval is a new package with a ``spec.py`` (its ``SPEC``) and an ``__init__.py``
exporting its Inspect task, plus one line here.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module

from .spec import EvalSpec

PACKAGES: tuple[str, ...] = (
    "oversight_subversion",
    "self_exfiltration",
    "goal_guarding",
    "covert_email_reranking",
    "instrumental_alignment_faking",
    "sandbagging",
)


@lru_cache(maxsize=1)
def specs() -> tuple[EvalSpec, ...]:
    """Every eval's SPEC, in the order above."""
    return tuple(import_module(f"{__package__}.{name}.spec").SPEC for name in PACKAGES)


def spec(name: str) -> EvalSpec:
    for s in specs():
        if s.name == name:
            return s
    raise ValueError(f"unknown eval {name!r}; known: {', '.join(s.name for s in specs())}")


def memo_keys() -> frozenset[str]:
    """Memo keys a scenario file may override, over all evals."""
    return frozenset(k for s in specs() for k in s.memo_keys)


def load_tasks() -> dict[str, object]:
    """The Inspect task functions, by eval name."""
    return {name: getattr(import_module(f"{__package__}.{name}"), name) for name in PACKAGES}
