"""Instrumental alignment faking (paper Section 3.5, Table 5): the developers' option while
tested, its own once deployed?

``spec`` says what it is, ``world`` what the agent is given, ``tools`` its tools, ``detector``
how a rollout is scored and paired, ``task`` the Inspect task."""

from .spec import SPEC
from .task import instrumental_alignment_faking

__all__ = ["SPEC", "instrumental_alignment_faking"]
