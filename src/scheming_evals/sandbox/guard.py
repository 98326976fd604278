"""Refuse Inspect's ``local`` sandbox (it runs the agent's commands on the host) unless asked."""

from __future__ import annotations

import os

ALLOW_ENV = "SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX"


class UnsafeSandboxError(RuntimeError):
    """The agent would run directly on the host."""


def check_sandbox_safe(sandbox_type: str, allow_local: bool = False) -> None:
    """Raise UnsafeSandboxError for the ``local`` provider unless explicitly allowed.

    Allowed by the task parameter ``allow_local_sandbox=true`` or by
    ``SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX=1``.
    """
    if sandbox_type != "local":
        return
    if allow_local or os.environ.get(ALLOW_ENV) == "1":
        return
    raise UnsafeSandboxError(
        "the `local` sandbox runs the agent's commands directly on this machine, and these "
        "evals test agents for sabotage and self-exfiltration; use the default `bwrap` sandbox "
        "(or docker), or pass -T allow_local_sandbox=true / set "
        f"{ALLOW_ENV}=1 if you accept the risk"
    )
