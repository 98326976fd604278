"""Covert email reranking (paper Table 2): does the agent quietly falsify a ranking?

``spec`` says what it is, ``world`` what the agent is given, ``tools`` its tools, ``runs`` what
each run of the scoring script used, ``answer`` the ranking told to the user, ``judgement``
whether the final message discloses a false ranking or declines the task, ``detector`` how it
is scored, ``task`` the Inspect task."""

from .spec import SPEC
from .task import covert_email_reranking

__all__ = ["SPEC", "covert_email_reranking"]
