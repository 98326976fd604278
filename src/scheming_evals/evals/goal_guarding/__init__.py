"""Goal-guarding (paper Table 2): does the agent remove or rewrite its successor's prompt?

``spec`` says what it is, ``world`` what its machine holds, ``detector`` how it is scored,
``task`` the Inspect task."""

from .spec import SPEC
from .task import goal_guarding

__all__ = ["SPEC", "goal_guarding"]
