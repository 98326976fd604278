"""Per-sample control groups: process, memory and CPU caps over all of a sample's machines.

Every machine of a sample (and so every command and ssh request run on it) lives in the
sample's group, so the caps hold however the agent spreads its work. Needs write access to a
cgroup hierarchy (root, or a delegated one); it uses cgroup v2 where the ``pids`` and ``memory``
controllers are enabled there (and ``cpu`` if it is), else the v1 ``pids`` and ``memory``
hierarchies (and ``cpu`` where it can be written). Where neither
can be written, :func:`available` says why and the sandbox falls back to per-machine rlimits
(``scheming-evals doctor`` reports the weaker guarantee).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

V2_ROOTS = (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
V1_ROOT = Path("/sys/fs/cgroup")
# Group names show inside a machine (/proc/self/cgroup): they look like a login session's,
# "session-<harness pid>-<random>.scope", and name no tool; the pid lets stale ones be found.
PREFIX = "session"
SUFFIX = ".scope"


def _own_v1(controller: str) -> Path | None:
    """The folder of this process's own v1 group for ``controller`` (None if not mounted)."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        if controller in ctrls.split(","):
            d = V1_ROOT / controller / path.lstrip("/")
            return d if (d / "cgroup.procs").exists() else None
    return None


def _own_v2() -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    path = next((ln.split(":", 2)[2] for ln in lines if ln.startswith("0::")), None)
    if path is None:
        return None
    for root in V2_ROOTS:
        ctrl = root / "cgroup.controllers"
        if ctrl.exists() and {"pids", "memory"} <= set(ctrl.read_text().split()):
            return root / path.lstrip("/")
    return None


@lru_cache(maxsize=1)
def parents() -> tuple[tuple[str, Path], ...] | str:
    """``((kind, parent folder), ...)`` where sample groups are made, or why there are none.
    The first call also removes the empty groups that harnesses no longer running left."""
    found: tuple[tuple[str, Path], ...] = ()
    v2 = _own_v2()
    if v2 is not None and os.access(v2, os.W_OK) and _delegates(v2, "pids", "memory"):
        found = (("v2", v2),)
    else:
        pids, mem = _own_v1("pids"), _own_v1("memory")
        if pids is not None and mem is not None and os.access(pids, os.W_OK) \
                and os.access(mem, os.W_OK):
            found = (("pids", pids), ("memory", mem))
    if found:
        cpu = _own_v1("cpu") if found[0][0] != "v2" else None
        if cpu is not None and os.access(cpu, os.W_OK) and (cpu / "cpu.cfs_quota_us").exists():
            found += (("cpu", cpu),)
        for _, parent in found:
            _remove_stale(parent)
        return found
    if os.geteuid() != 0:
        return "no writable cgroup hierarchy (not root, none delegated)"
    return "no cgroup v2 with pids+memory, nor v1 pids and memory hierarchies"


def _delegates(group: Path, *controllers: str) -> bool:
    """Whether child groups of ``group`` get these controllers (its ``subtree_control``)."""
    try:
        return set(controllers) <= set((group / "cgroup.subtree_control").read_text().split())
    except OSError:
        return False


def _remove_stale(parent: Path) -> None:
    """rmdir the groups of harness processes that are gone (a killed run leaves them)."""
    for d in parent.glob(f"{PREFIX}-*-*{SUFFIX}"):
        parts = d.name[: -len(SUFFIX)].split("-")
        owner = parts[1] if len(parts) == 3 and len(parts[2]) == 12 else ""
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            with contextlib.suppress(OSError):
                d.rmdir()


def available() -> str | None:
    """None when sample groups can be made, else the reason they cannot."""
    p = parents()
    return p if isinstance(p, str) else None


@dataclass
class SampleGroup:
    """One sample's group (one folder per hierarchy)."""

    dirs: tuple[tuple[str, Path], ...]

    @classmethod
    def create(cls, max_processes: int, max_memory_mb: int, cpus: float = 1.0
               ) -> SampleGroup | None:
        p = parents()
        if isinstance(p, str):
            return None
        name = f"{PREFIX}-{os.getpid()}-{secrets.token_hex(6)}{SUFFIX}"
        dirs: list[tuple[str, Path]] = []
        try:
            for kind, parent in p:
                d = parent / name
                d.mkdir()
                dirs.append((kind, d))
                if kind in ("v2", "pids"):
                    (d / "pids.max").write_text(str(max_processes))
                if kind == "v2":
                    (d / "memory.max").write_text(str(max_memory_mb * 1024**2))
                    if (d / "memory.swap.max").exists():
                        (d / "memory.swap.max").write_text("0")
                if kind == "memory":
                    (d / "memory.limit_in_bytes").write_text(str(max_memory_mb * 1024**2))
                if kind == "cpu":
                    (d / "cpu.cfs_period_us").write_text("100000")
                    (d / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))
                if kind == "v2" and (d / "cpu.max").exists():
                    (d / "cpu.max").write_text(f"{int(cpus * 100000)} 100000")
        except OSError:
            SampleGroup(tuple(dirs)).remove()
            raise
        return cls(tuple(dirs))

    def attach(self, *pids: int) -> None:
        for _, d in self.dirs:
            for pid in pids:
                (d / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for _, d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                found |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed at the memory cap."""
        for kind, d in self.dirs:
            f = d / ("memory.events" if kind == "v2" else "memory.oom_control")
            if kind in ("v2", "memory"):
                with contextlib.suppress(OSError, ValueError):
                    for line in f.read_text().splitlines():
                        if line.startswith("oom_kill "):
                            return int(line.split()[1])
        return 0

    def kill_all(self) -> None:
        """SIGKILL every process of the group (until none is left, at most ~1 s)."""
        for _ in range(100):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for _, d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
