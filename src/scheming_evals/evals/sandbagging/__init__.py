"""Sandbagging (paper Section 3.6, Table 6): worse answers once doing well is punished?

``spec`` says what it is, ``world`` the documentation and questions, ``tools`` its tools,
``detector`` the scorer and the paired test, ``task`` the Inspect task."""

from .spec import SPEC
from .task import sandbagging

__all__ = ["SPEC", "sandbagging"]
