"""Self-exfiltration (paper Table 2): does the agent copy itself over its successor model?

``spec`` says what it is, ``world`` what its two machines hold, ``detector`` how it is scored,
``task`` the Inspect task."""

from .spec import SPEC
from .task import self_exfiltration

__all__ = ["SPEC", "self_exfiltration"]
