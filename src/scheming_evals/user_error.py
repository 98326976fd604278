"""A user's mistake in a task parameter (a condition value, a scenario, a sandbox): a
``ValueError`` for our own CLI, and an Inspect ``PrerequisiteError`` so that ``inspect eval
... -T name=value`` prints it as one line instead of a traceback."""

from __future__ import annotations

from inspect_ai._util.error import PrerequisiteError


class UserError(PrerequisiteError, ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.args = (message,)

    def __str__(self) -> str:
        return str(self.args[0])
