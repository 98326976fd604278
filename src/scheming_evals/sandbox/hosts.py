"""One sandboxed machine: a writable file tree on the host, and the bwrap command line for it.

The tree is bound as the machine's ``/``; the system's ``/usr`` (and merged-usr links) and a few
``/etc`` entries are bound read-only on top, so bash, coreutils and python3 work. ``/usr/local``
is replaced by a private folder holding only the ``ssh``/``scp`` clients.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

USER = "user"
HOME = "/home/user"
INNER_UID = 1000
SOCKET_IN_SANDBOX = "/run/ssh-mux/control.sock"
SHIM = Path(__file__).with_name("shim_ssh.py")
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

# /etc entries bound read-only from the host when present (the rest of /etc is the tree's own).
_ETC_BINDS = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "bash.bashrc", "profile", "inputrc", "mime.types", "ssl", "python3", "python3.11",
    "python3.12", "python3.13", "timezone", "protocols", "services",
)
_MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_MOUNTPOINTS = ("usr", "proc", "dev", "etc", "run/ssh-mux")


@dataclass(frozen=True)
class Limits:
    """Per-command caps inside the sandbox."""

    timeout: int = 180
    max_processes: int = 128
    max_memory_mb: int = 1024  # address space of each process
    max_file_mb: int = 256  # largest single file a command may write
    max_disk_mb: int = 1024  # whole tree of one machine


@lru_cache(maxsize=1)
def system_binds() -> tuple[str, ...]:
    """bwrap arguments for the read-only system part (same for every machine)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _MERGED:
        p = Path("/") / name
        if p.is_dir() and not p.is_symlink():
            args += ["--ro-bind", str(p), f"/{name}"]
    for name in _ETC_BINDS:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return tuple(args)


def _fake_key() -> str:
    body = secrets.token_urlsafe(300)
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + (
        "\n-----END OPENSSH PRIVATE KEY-----\n"
    )


@dataclass
class Host:
    """A machine of one sample: its name, its tree on the host, and who owns the tree."""

    name: str
    root: Path
    socket: Path
    shim_dir: Path
    uid: int | None  # host uid the sandbox runs as (None: the current user)
    limits: Limits = field(default_factory=Limits)
    peers: tuple[str, ...] = ()

    def create(self) -> None:
        """Lay out a fresh tree: home, tmp, etc (passwd, hostname), ssh keys, merged-usr links."""
        r = self.root
        for d in ("home/user/.ssh", "tmp", "etc", "run/ssh-mux", "var/tmp", "var/log", "opt"):
            (r / d).mkdir(parents=True, exist_ok=True)
        for d in ("usr", "proc", "dev"):
            (r / d).mkdir(exist_ok=True)
        for name in _MERGED:
            p = Path("/") / name
            if p.is_symlink():
                (r / name).symlink_to(os.readlink(p))
            elif p.is_dir():
                (r / name).mkdir()
        etc = r / "etc"
        (etc / "passwd").write_text(
            "root:x:0:0:root:/root:/bin/bash\n"
            f"{USER}:x:{INNER_UID}:{INNER_UID}:{USER}:{HOME}:/bin/bash\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
        )
        (etc / "group").write_text(f"root:x:0:\n{USER}:x:{INNER_UID}:\nnogroup:x:65534:\n")
        (etc / "hostname").write_text(self.name + "\n")
        (etc / "hosts").write_text(f"127.0.0.1\tlocalhost\n127.0.1.1\t{self.name}\n")
        ssh = r / "home/user/.ssh"
        (ssh / "id_ed25519").write_text(_fake_key())
        (ssh / "id_ed25519").chmod(0o600)
        (ssh / "known_hosts").write_text(
            "".join(f"{p} ssh-ed25519 {secrets.token_urlsafe(51)}\n" for p in self.peers)
        )
        (r / "tmp").chmod(0o1777)
        if self.uid is not None:
            for dirpath, dirnames, filenames in os.walk(r):
                for n in (*dirnames, *filenames):
                    os.lchown(os.path.join(dirpath, n), self.uid, self.uid)
            os.lchown(r, self.uid, self.uid)

    def repair(self) -> None:
        """Put back the mount points the system binds need, if the agent removed them.

        No process of the machine runs between two commands, so this cannot race (ssh between
        machines can run two commands on one machine at once; repairs are idempotent). The
        root folder keeps its owner's rwx, or nothing could run on the machine again.
        """
        st = os.lstat(self.root)
        if st.st_mode & 0o700 != 0o700:
            os.chmod(self.root, st.st_mode | 0o700)
        for d in _MOUNTPOINTS:
            p = self.root / d
            if p.is_symlink() or (p.exists() and not p.is_dir()):
                p.unlink()
            if not p.is_dir():
                p.mkdir(parents=True)
                if self.uid is not None:
                    os.lchown(p, self.uid, self.uid)

    def argv(self, cmd: list[str], cwd: str | None, env: dict[str, str] | None) -> list[str]:
        """The bwrap command line that runs ``cmd`` on this machine."""
        from .binary import bwrap_path

        workdir = HOME if cwd is None else (cwd if cwd.startswith("/") else f"{HOME}/{cwd}")
        lim = self.limits
        base_env = {
            "PATH": PATH, "HOME": HOME, "USER": USER, "LOGNAME": USER, "SHELL": "/bin/bash",
            "HOSTNAME": self.name, "LANG": "C.UTF-8", "TERM": "dumb",
        }
        args = [bwrap_path(), "--bind", str(self.root), "/", *system_binds()]
        args += [
            "--tmpfs", "/usr/local", "--ro-bind", str(self.shim_dir), "/usr/local/bin",
            "--bind", str(self.socket), SOCKET_IN_SANDBOX,
            "--proc", "/proc", "--dev", "/dev",
            "--unshare-all", "--unshare-user", "--uid", str(INNER_UID), "--gid", str(INNER_UID),
            "--hostname", self.name, "--die-with-parent", "--new-session", "--clearenv",
        ]
        for k, v in {**base_env, **(env or {})}.items():
            args += ["--setenv", k, v]
        args += ["--chdir", workdir, "--", *limit_argv(lim, bool(cmd))]
        return args + cmd

    def disk_usage(self) -> int:
        """Bytes used by the tree (allocated blocks), without following links."""
        total = 0
        stack = [str(self.root)]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    for e in it:
                        try:
                            st = e.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        total += st.st_blocks * 512
                        if e.is_dir(follow_symlinks=False) and not _is_mount(e.path, st.st_dev):
                            stack.append(e.path)
            except OSError:
                continue
        return total

    def destroy(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _is_mount(path: str, dev: int) -> bool:
    try:
        return os.stat(os.path.dirname(path)).st_dev != dev
    except OSError:
        return True


# The caps are set INSIDE the sandbox, by a process already in its user namespace, just before
# the command: RLIMIT_NPROC counts processes per (user namespace, uid), so set there it caps this
# command alone. Set on bwrap from outside it would count every process of the host uid (the
# whole sample when we are root, every process of the user otherwise).
#
# util-linux ``prlimit`` sets soft = hard for each limit and execs the command (one small exec,
# cheaper than starting bash); if a limit cannot be set it exits 1 without running the command.
# The umask comes from the runner (inherited through bwrap). Without prlimit, bash does it.
_PRLIMIT_PATHS = ("/usr/bin/prlimit", "/bin/prlimit")


@lru_cache(maxsize=1)
def prlimit_path() -> str | None:
    """Path of ``prlimit`` as seen inside the sandbox (the host's, bound read-only), or None."""
    for p in _PRLIMIT_PATHS:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def limit_argv(lim: Limits, have_cmd: bool = True) -> list[str]:
    """The prefix that applies ``lim``'s per-command caps inside the sandbox, then execs."""
    prlimit = prlimit_path()
    if prlimit is not None and have_cmd:  # with no command prlimit would print the limits
        return [
            prlimit,
            f"--nproc={lim.max_processes}",
            f"--as={lim.max_memory_mb * 1024**2}",
            f"--fsize={lim.max_file_mb * 1024**2}",
            "--",
        ]
    return [
        "/bin/bash", "-c", _LIMIT_WRAPPER, "limits",
        str(lim.max_processes), str(lim.max_memory_mb * 1024), str(lim.max_file_mb * 1024),
    ]


# Fallback: hard limits set by bash before the command runs (-v and -f count KiB).
_LIMIT_WRAPPER = (
    'ulimit -u "$1" && ulimit -v "$2" && ulimit -f "$3" || '
    '{ echo "sandbox: cannot set resource limits" >&2; exit 126; }; umask 022; shift 3; exec "$@"'
)
