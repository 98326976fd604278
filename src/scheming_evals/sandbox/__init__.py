"""The ``bwrap`` sandbox provider and the guard against running agents on the host."""

from .binary import SandboxSetupError, bwrap_path
from .guard import UnsafeSandboxError, check_sandbox_safe
from .provider import BwrapConfig, BwrapSandboxEnvironment

__all__ = [
    "BwrapConfig",
    "BwrapSandboxEnvironment",
    "SandboxSetupError",
    "UnsafeSandboxError",
    "bwrap_path",
    "check_sandbox_safe",
]
