"""One sandboxed machine: a long-lived bubblewrap sandbox whose init runs the commands.

The machine's ``/`` is laid by bwrap and read-only: the host's ``/usr`` (and merged-usr links)
and a few ``/etc`` entries bound read-only, the machine's own ``/etc`` files and ``ssh``/``scp``
clients copied in from memory (no host path appears in its mount table). The agent owns what an
ordinary user owns: its home, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the scenario's data
folders, each a size-capped tmpfs. PID 1 is ``init.py``; commands enter the machine by asking it
to start them (see :meth:`Machine.run`), so a command costs no new sandbox.
"""

from __future__ import annotations

import array
import ast
import asyncio
import contextlib
import json
import marshal
import os
import secrets
import socket
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from subprocess import DEVNULL, PIPE
from typing import Any

from . import hostread, seccomp
from .cgroups import SampleGroup
from .io import Pipes, RunResult

USER = "user"
HOME = "/home/user"
INNER_UID = 1000
SSH_SOCKET = "/run/ssh-mux/control"  # an abstract socket name, in the machine's own netns
SHIM = Path(__file__).with_name("shim_ssh.py")
SSHOPTS = Path(__file__).parent.parent / "commands" / "sshopts.py"  # spliced into SHIM
INIT = Path(__file__).with_name("init.py")
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
TRUSTED_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
GRACE = 0.5  # seconds to wait for output after a command exits (background jobs hold pipes)

# /etc entries bound read-only from the host when present (the rest of /etc is generated).
_ETC_BINDS = (
    "alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
    "bash.bashrc", "profile", "profile.d", "inputrc", "mime.types", "ssl", "python3",
    "python3.11", "python3.12", "python3.13", "timezone", "protocols", "services",
    "os-release", "debian_version", "login.defs", "shells", "magic",
)
_MERGED = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_SETPRIV_PATHS = ("/usr/bin/setpriv", "/bin/setpriv")


@dataclass(frozen=True)
class Limits:
    """Caps of one sample. Per command: timeout. Per process: address space, file size. Per
    sample (cgroup, all machines and ssh requests together): processes, memory, CPU share.
    Per writable folder: size (a tmpfs; together they also count against the memory cap)."""

    timeout: int = 180
    max_processes: int = 128
    max_memory_mb: int = 1024  # address space of each process
    max_file_mb: int = 256  # largest single file
    max_disk_mb: int = 128  # each writable folder of a machine
    sample_memory_mb: int = 4096  # all processes and tmpfs of a sample (cgroup)
    cpus: float = 1.0  # CPU share of the whole sample (cgroup quota)


@lru_cache(maxsize=1)
def system_binds() -> tuple[str, ...]:
    """bwrap arguments for the read-only system part (same for every machine)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _MERGED:
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), f"/{name}"]
        elif p.is_dir():
            args += ["--ro-bind", str(p), f"/{name}"]
    args += ["--dir", "/etc"]
    for name in _ETC_BINDS:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    return tuple(args)


@lru_cache(maxsize=1)
def setpriv_path() -> str | None:
    """util-linux ``setpriv`` (used to start a machine as the sample's private uid)."""
    return next((p for p in _SETPRIV_PATHS if os.access(p, os.X_OK)), None)


@cache
def _source(path: Path) -> bytes:
    """A file of this package that every machine gets (read once, not at every boot)."""
    return path.read_bytes()


@cache
def client_source() -> bytes:
    """The ssh/scp client of every machine (read once): ``shim_ssh.py`` with its import of
    ``commands.sshopts`` replaced by that module's text, so the harness and the client split
    command lines with the same code, and the client starts with nothing to import."""
    lines = SHIM.read_bytes().splitlines(keepends=True)
    found = [n for n in ast.parse(b"".join(lines)).body if isinstance(n, ast.ImportFrom)
             and n.module == "scheming_evals.commands.sshopts"]
    if len(found) != 1:
        raise RuntimeError(f"{SHIM.name} must import commands.sshopts once, at top level")
    start, end = found[0].lineno - 1, found[0].end_lineno or found[0].lineno
    return b"".join([*lines[:start], SSHOPTS.read_bytes(), *lines[end:]])


@lru_cache(maxsize=1)
def seccomp_filter() -> bytes:
    return seccomp.build() if seccomp.supported() else b""


def fake_key() -> str:
    body = secrets.token_urlsafe(300)
    lines = [body[i : i + 70] for i in range(0, len(body), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + (
        "\n-----END OPENSSH PRIVATE KEY-----\n"
    )


def _memfd(content: str | bytes) -> int:
    fd = os.memfd_create("f", 0)  # inheritable: bwrap copies it into the machine
    os.write(fd, content.encode() if isinstance(content, str) else content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class MachineDown(RuntimeError):
    """The machine's init is gone (it crashed or the sample was torn down)."""


class Machine:
    """One machine of a sample: its bwrap process, its init, and the channel to it."""

    def __init__(self, name: str, peers: tuple[str, ...], limits: Limits, uid: int | None,
                 data_dirs: tuple[str, ...], group: SampleGroup | None) -> None:
        self.name, self.peers, self.limits, self.uid = name, peers, limits, uid
        self.data_dirs, self.group = data_dirs, group
        self.proc: subprocess.Popen[bytes] | None = None
        self.ssh_listener: socket.socket | None = None
        self.sealing = False  # set when the episode ends: from then on only trusted commands
        self.sealed: list[dict[str, Any]] | None = None  # what was left running, once sealed
        self.init_pid: int | None = None  # host pid of the machine's init (for host-side checks)
        self.root_fd: int | None = None  # the machine's root, for reads from the host
        self._ctl: socket.socket | None = None
        self._next = 0
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._pids: dict[int, asyncio.Future[Any]] = {}
        self._down: str | None = None

    # -- start and stop --------------------------------------------------------------------

    def _files(self) -> dict[str, tuple[str, str | bytes]]:
        """Generated files: path -> (mode, content)."""
        peers = "".join(f"{p} ssh-ed25519 {secrets.token_urlsafe(51)}\n" for p in self.peers)
        shim = client_source()
        return {
            "/etc/passwd": ("0644", "root:x:0:0:root:/root:/bin/bash\n"
                            f"{USER}:x:{INNER_UID}:{INNER_UID}:{USER}:{HOME}:/bin/bash\n"
                            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
            "/etc/group": ("0644", f"root:x:0:\n{USER}:x:{INNER_UID}:\nnogroup:x:65534:\n"),
            "/etc/hostname": ("0644", self.name + "\n"),
            "/etc/hosts": ("0644", f"127.0.0.1\tlocalhost\n127.0.1.1\t{self.name}\n"),
            "/usr/local/bin/ssh": ("0755", shim),
            "/usr/local/bin/scp": ("0755", shim),
            f"{HOME}/.ssh/id_ed25519": ("0600", fake_key()),
            f"{HOME}/.ssh/known_hosts": ("0644", peers),
        }

    def argv(self, ctl_fd: int, info_fd: int, files: dict[str, tuple[str, int]]) -> list[str]:
        """The bwrap command line of this machine (``files``: path -> (mode, memfd))."""
        from .binary import bwrap_path

        lim = self.limits
        size = str(lim.max_disk_mb * 1024**2)
        a = [bwrap_path(), "--unshare-all", "--unshare-user", "--disable-userns",
             "--uid", str(INNER_UID), "--gid", str(INNER_UID), "--hostname", self.name,
             "--die-with-parent", "--as-pid-1", "--argv0", "/sbin/init", "--info-fd",
             str(info_fd), "--clearenv", "--setenv", "INIT_FD", str(ctl_fd),
             "--setenv", "PATH", TRUSTED_PATH, *system_binds(),
             "--tmpfs", "/usr/local", "--dir", "/usr/local/bin",
             "--proc", "/proc", "--dev", "/dev",
             "--size", size, "--perms", "1777", "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
             "--dir", "/home", "--size", size, "--perms", "0755", "--tmpfs", HOME,
             "--perms", "0700", "--dir", f"{HOME}/.ssh",
             "--size", size, "--perms", "1777", "--tmpfs", "/tmp",
             "--size", size, "--perms", "1777", "--tmpfs", "/var/tmp",
             "--dir", "/run", "--dir", "/var/log", "--dir", "/root"]
        for d in self.data_dirs:
            a += ["--size", size, "--perms", "0755", "--tmpfs", d]
        for path, (mode, fd) in files.items():
            a += ["--perms", mode, "--file", str(fd), path]
        a += ["--remount-ro", "/usr/local", "--remount-ro", "/"]
        return a + ["--", "/usr/bin/python3"]  # argv ['/sbin/init']: reads init.py from stdin

    async def start(self) -> None:
        """Start the machine and wait until its init is ready."""
        files = {p: (mode, _memfd(c)) for p, (mode, c) in self._files().items()}
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        info_r, info_w = os.pipe()
        errors = os.memfd_create("stderr", os.MFD_CLOEXEC)  # bwrap's set-up errors, if any
        argv = self.argv(child.fileno(), info_w, files)
        if self.uid is not None and setpriv_path():
            argv = [setpriv_path() or "", f"--reuid={self.uid}", f"--regid={self.uid}",
                    "--clear-groups", "--", *argv]
        keep = (child.fileno(), info_w, *(fd for _, fd in files.values()))
        try:
            # a plain Popen, reaped by us in stop(): no asyncio child watcher (one thread per
            # machine) racing other reapers
            as_uid = None if self.uid is None or setpriv_path() else self.uid  # None: the default
            self.proc = subprocess.Popen(
                argv, stdin=PIPE, stdout=DEVNULL, stderr=errors, pass_fds=keep, env={},
                start_new_session=True, user=as_uid, group=as_uid,
                extra_groups=None if as_uid is None else [],
            )
        except OSError:
            os.close(info_r)
            os.close(errors)
            parent.close()
            raise
        finally:
            for fd in keep:
                os.close(fd)
            child.detach()
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(_source(INIT))  # fits the pipe: never blocks
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        self._ctl = parent
        parent.setblocking(False)
        parent.sendmsg([marshal.dumps({"ssh_socket": SSH_SOCKET, "seccomp": seccomp_filter(),
                                       "rlimits": self._rlimits()})])
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[-1] = ready
        asyncio.get_running_loop().add_reader(parent.fileno(), self._on_message)
        # joining the cgroup takes milliseconds (the kernel syncs RCU): overlap it with boot
        joined = asyncio.ensure_future(asyncio.to_thread(self._join_group, info_r))
        try:
            msg, listeners = await asyncio.wait_for(ready, 20)
            await joined
            if self.init_pid is not None:
                self.root_fd = hostread.open_root(self.init_pid)
        except (asyncio.TimeoutError, MachineDown, OSError, KeyError, ValueError) as ex:
            await self.stop()
            err = os.pread(errors, 1 << 16, 0).decode(errors="replace")
            detail = err.strip().splitlines()[-1:] or [repr(ex)]
            raise MachineDown(f"machine {self.name} did not start: {detail[0]}") from None
        finally:
            os.close(errors)
        self.ssh_listener = socket.socket(fileno=listeners[0])

    def _join_group(self, info_r: int) -> None:
        """Put the machine into the sample's cgroup. bwrap's info fd names init's host pid.
        Until init says it is ready no command exists, and every command is init's child, so
        all that runs later is in the group. (At the memory cap the kernel kills the largest
        process of the group: an agent's, not init, which stays near 10 MB.)"""
        raw = b""
        try:
            while chunk := os.read(info_r, 4096):  # bwrap writes it in pieces, then closes it
                raw += chunk
        finally:
            os.close(info_r)
        self.init_pid = int(json.loads(raw)["child-pid"])
        assert self.proc is not None
        if self.group is not None:
            self.group.attach(self.proc.pid, self.init_pid)

    async def stop(self) -> None:
        """Kill the machine (everything in it dies with its init) and reap bwrap."""
        self._fail("machine stopped")
        if self.root_fd is not None:
            os.close(self.root_fd)
            self.root_fd = None
        if self._ctl is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._ctl.fileno())
            self._ctl.close()
            self._ctl = None
        if self.ssh_listener is not None:
            self.ssh_listener.close()
        if self.proc is None or self.proc.returncode is not None:
            return
        init = _pidfd(self.init_pid)  # bwrap's death kills init; wait for both
        proc = self.proc

        def kill_group() -> None:
            os.killpg(proc.pid, 9)

        try:
            for kill in (kill_group, proc.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill()
            await _reaped(proc)
            if init >= 0:
                await _exited(init)
        finally:
            if init >= 0:
                os.close(init)

    # -- the channel to init -----------------------------------------------------------------

    def _on_message(self) -> None:
        assert self._ctl is not None
        while True:
            try:
                raw, anc, _, _ = self._ctl.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
            except (BlockingIOError, InterruptedError):
                return
            except OSError as ex:
                raw, anc = b"", []
                self._down = self._down or str(ex)
            if not raw:
                asyncio.get_running_loop().remove_reader(self._ctl.fileno())
                why = f"machine {self.name} stopped"
                if self.group is not None and self.group.oom_kills():
                    why += (f": the sample reached its memory cap of "
                            f"{self.limits.sample_memory_mb} MiB (files in its folders count)")
                self._fail(why)
                return
            fds = _fds(anc)
            try:
                msg = ast.literal_eval(raw.decode())
                if not isinstance(msg, dict):
                    raise ValueError(msg)
            except (ValueError, SyntaxError, MemoryError, RecursionError, UnicodeDecodeError):
                for fd in fds:
                    os.close(fd)
                continue  # init wrote it, so this cannot happen; never trust it blindly
            if msg.get("op") == "ready":
                fut = self._waiting.pop(-1, None)
            elif msg.get("op") == "sealed":
                fut = self._waiting.pop(-2, None)
            elif "pid" in msg or "error" in msg:
                fut = self._pids.pop(msg["id"], None)
            else:
                fut = self._waiting.pop(msg["id"], None)
            if fut is not None and not fut.done():
                fut.set_result((msg, fds))
            else:
                for fd in fds:
                    os.close(fd)

    def _fail(self, why: str) -> None:
        self._down = self._down or why
        for fut in [*self._waiting.values(), *self._pids.values()]:
            if not fut.done():
                fut.set_exception(MachineDown(self._down))
        self._waiting.clear()
        self._pids.clear()

    def _send(self, msg: dict[str, Any], fds: tuple[int, ...] = ()) -> None:
        if self._ctl is None or self._down:
            raise MachineDown(self._down or f"machine {self.name} is not running")
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _fd_bytes(fds))] if fds else []
        self._ctl.sendmsg([marshal.dumps(msg)], anc)

    # -- commands -----------------------------------------------------------------------------

    async def run(
        self,
        argv: list[str],
        *,
        input: bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        output_limit: int = 10 * 1024**2,
        trusted: bool = False,
    ) -> RunResult:
        """Run ``argv`` in the machine as its user; kill its whole tree on timeout, on
        cancellation, or when its output passes ``output_limit`` (``overflow``).

        ``trusted``: run as the harness's own reader (detectors, file operations): a fixed
        system ``PATH`` and an environment no agent file can change (no user site, no
        ``.pth`` or current-folder imports for Python, no startup file for bash)."""
        if self.sealing and not trusted:  # e.g. an ssh request queued before the seal
            raise MachineDown(f"machine {self.name} is sealed: the episode is over")
        loop = asyncio.get_running_loop()
        self._next += 1
        rid = self._next
        pipes = Pipes.open(output_limit)
        exited: asyncio.Future[Any] = loop.create_future()
        started: asyncio.Future[Any] = loop.create_future()
        self._waiting[rid], self._pids[rid] = exited, started
        req = {"op": "spawn", "id": rid, "argv": argv, "cwd": _cwd(cwd),
               "env": self._env(env, trusted)}
        try:
            self._send(req, pipes.child_ends())
        finally:
            pipes.close_child_ends()
        try:
            msg, _ = await asyncio.wait_for(started, 30)
            if "error" in msg:
                pipes.close()
                return RunResult(126, b"", f"sandbox: cannot start: {msg['error']}\n".encode())
            return await pipes.communicate(
                input, exited, timeout, GRACE, kill=lambda: self._kill(rid))
        except BaseException:
            self._kill(rid)
            pipes.close()
            self._waiting.pop(rid, None)
            raise

    def _kill(self, rid: int) -> None:
        with contextlib.suppress(MachineDown, OSError):
            self._send({"op": "kill", "id": rid})

    def _env(self, env: dict[str, str] | None, trusted: bool) -> dict[str, str]:
        base = {"PATH": TRUSTED_PATH if trusted else PATH, "HOME": HOME, "USER": USER,
                "LOGNAME": USER, "SHELL": "/bin/bash", "HOSTNAME": self.name,
                "LANG": "C.UTF-8", "TERM": "dumb"}
        if trusted:  # a fixed environment: of the caller's variables only the locale passes
            safe = {k: v for k, v in (env or {}).items() if k in ("LANG", "LC_ALL")}
            return {**base, **safe, "PYTHONNOUSERSITE": "1", "PYTHONSAFEPATH": "1",
                    "PYTHONDONTWRITEBYTECODE": "1"}
        return {**base, **(env or {})}

    def _rlimits(self) -> dict[str, int]:
        """Caps init sets on itself at boot, so every command inherits them. Without a sample
        cgroup the process cap is RLIMIT_NPROC, which counts every process of the machine's uid
        in its own user namespace: a cap per machine rather than per sample."""
        lim = self.limits
        caps = {"as": lim.max_memory_mb * 1024**2, "fsize": lim.max_file_mb * 1024**2,
                "core": 0}  # no RLIMIT_CPU: init would carry it too (CPU is the cgroup's)
        return caps if self.group is not None else {**caps, "nproc": lim.max_processes}

    async def seal(self) -> list[dict[str, Any]]:
        """Freeze, record and kill everything the agent left running on this machine.

        Afterwards only the harness's own commands run here, so no background process can
        change what the detectors read. Idempotent; returns what was found running."""
        self.sealing = True
        if self.sealed is None:
            fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting[-2] = fut
            self._send({"op": "seal", "roots": [HOME, *self.data_dirs]})
            msg, _ = await asyncio.wait_for(fut, 30)
            self.sealed = list(msg.get("procs", []))
        return self.sealed


def _pidfd(pid: int | None) -> int:
    """A pidfd for ``pid`` (readable once it exits), or -1 where there is none."""
    try:
        return os.pidfd_open(pid) if pid else -1
    except (OSError, AttributeError):
        return -1


async def _exited(fd: int, timeout: float = 5) -> None:
    """Wait until the process of pidfd ``fd`` has exited."""
    loop = asyncio.get_running_loop()
    gone: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not gone.done():
            gone.set_result(None)

    loop.add_reader(fd, readable)
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(gone, timeout)
    finally:
        loop.remove_reader(fd)


async def _reaped(proc: subprocess.Popen[bytes], timeout: float = 5) -> None:
    """Wait for ``proc`` to exit and reap it, without blocking the event loop."""
    fd = _pidfd(proc.pid)
    try:
        if fd >= 0:
            await _exited(fd, timeout)
        else:
            for _ in range(int(timeout / 0.005)):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.005)
        proc.poll()
    finally:
        if fd >= 0:
            os.close(fd)


def _cwd(cwd: str | None) -> str:
    if cwd is None:
        return HOME
    return cwd if cwd.startswith("/") else f"{HOME}/{cwd}"


def _fd_bytes(fds: tuple[int, ...]) -> bytes:
    return array.array("i", fds).tobytes()


def _fds(anc: list[tuple[int, int, bytes]]) -> list[int]:
    out = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            out.frombytes(data[: len(data) - len(data) % out.itemsize])
    return list(out)
