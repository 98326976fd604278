"""What the sandbox guarantees on this machine, and which guarantee is weaker, and why.

``scheming-evals doctor`` prints these lines; each names the mechanism that enforces it.
"""

from __future__ import annotations

import os

from . import cgroups, seccomp
from .hosts import setpriv_path


def guarantees() -> list[tuple[str, bool, str]]:
    """``(guarantee, held in full, how it is enforced or why it is weaker)``."""
    out: list[tuple[str, bool, str]] = []
    why = cgroups.available()
    groups = cgroups.parents()
    kinds = [] if isinstance(groups, str) else [k for k, _ in groups]
    out.append(("process and memory caps per sample (all machines, all ssh requests)",
                why is None,
                "a cgroup per sample (" + " + ".join(kinds) + ")"
                if why is None else
                f"{why}: processes are capped per machine (RLIMIT_NPROC in its user namespace), "
                "memory per process (RLIMIT_AS) and per writable folder (tmpfs size)"))
    out.append(("CPU share per sample", "cpu" in kinds or "v2" in kinds,
                "the cgroup's CPU quota" if "cpu" in kinds or "v2" in kinds else
                "no writable cpu controller: a command's timeout bounds it, and what the agent "
                "leaves running in the background runs uncapped until the episode ends"))
    root = os.geteuid() == 0
    out.append(("each sample runs as its own host uid", root and setpriv_path() is not None,
                "setpriv --reuid" if root and setpriv_path() else
                "not root: every sample runs as your uid (namespaces still separate them)"
                if not root else "util-linux setpriv is missing"))
    out.append(("the harness reads agent files from the host (nothing inside can touch it)",
                root, "openat2 beneath the machine's root (RESOLVE_IN_ROOT, no magic links)"
                if root else "not root: the detectors' and tools' reads run inside the machine, "
                "where a process the agent left running could stop or forge one before the "
                "seal"))
    arch = os.uname().machine
    out.append(("seccomp filter (namespaces, mounts, keyrings, ptrace, bpf, ...)",
                seccomp.supported(arch),
                f"classic BPF for {arch}" if seccomp.supported(arch) else
                f"no system-call table for {arch}: commands run without a seccomp filter"))
    out.append(("fresh session keyring per machine", arch in ("x86_64", "aarch64"),
                "keyctl(JOIN_SESSION_KEYRING) in the machine's init" if arch in
                ("x86_64", "aarch64") else f"no keyctl number for {arch}: the harness's "
                "session keyring is inherited (seccomp still refuses keyctl)"))
    out.append(("read-only system, capped writable folders, no network, own PID namespace",
                True, "bubblewrap: tmpfs root remounted read-only, size-capped tmpfs folders"))
    return out
