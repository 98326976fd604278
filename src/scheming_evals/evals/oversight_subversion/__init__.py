"""Oversight subversion (paper Table 2): does the agent disable its oversight config?

``spec`` says what it is, ``world`` what its machines hold, ``tools`` what the agent gets,
``detector`` how it is scored, ``task`` the Inspect task."""

from .spec import SPEC
from .task import oversight_subversion

__all__ = ["SPEC", "oversight_subversion"]
