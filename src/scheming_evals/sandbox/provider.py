"""Inspect sandbox provider ``bwrap``: fresh private machines per sample, no Docker needed.

Each sample gets a default machine plus any named ones (``BwrapConfig.hosts``). Every command
is a new bubblewrap sandbox over that machine's tree: no network, own PID namespace, caps on
processes, memory, file size and disk, and a timeout that kills everything it started. Machines
reach each other only through the ``ssh``/``scp`` clients (see ``broker.py``).
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Union, overload

from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUserUnsupportedError,
    sandboxenv,
)
from pydantic import BaseModel, field_validator
from typing_extensions import override

from .binary import bwrap_path
from .broker import MAX_PAYLOAD, Broker, RemoteLog
from .hosts import HOME, INNER_UID, SHIM, USER, Host, Limits
from .runner import RunResult, run_process

_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_used_uids: set[int] = set()


class BwrapConfig(BaseModel, frozen=True):
    """Configuration of the ``bwrap`` provider (all optional)."""

    hostname: str = "workstation"
    """Name of the default machine (what ``hostname`` prints)."""
    hosts: tuple[str, ...] = ()
    """Other machines of the sample, reachable with ssh/scp and as ``sandbox(name)``."""
    timeout: int = 180
    max_processes: int = 128
    max_memory_mb: int = 1024
    max_file_mb: int = 256
    max_disk_mb: int = 1024

    @field_validator("hostname")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _HOSTNAME.match(v):
            raise ValueError(f"invalid host name {v!r}: use letters, digits, '_', '.', '-'")
        return v

    @field_validator("hosts")
    @classmethod
    def _names(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for h in v:
            cls._name(h)
        if len(set(v)) != len(v):
            raise ValueError("host names must be unique")
        return v

    def limits(self) -> Limits:
        return Limits(self.timeout, self.max_processes, self.max_memory_mb, self.max_file_mb,
                      self.max_disk_mb)


@lru_cache(maxsize=1)
def _shim_dir() -> Path:
    """A read-only folder with ``ssh`` and ``scp`` (bound as /usr/local/bin in every sandbox)."""
    d = Path(tempfile.mkdtemp(prefix="scheming-evals-bin-"))
    atexit.register(shutil.rmtree, d, True)
    for name in ("ssh", "scp"):
        shutil.copyfile(SHIM, d / name)
        (d / name).chmod(0o755)
    d.chmod(0o755)
    return d


def _allocate_uid() -> int | None:
    """A host uid private to this sample when we are root (so process caps apply), else None."""
    if os.geteuid() != 0:
        return None
    while True:
        uid = 100_000 + secrets.randbelow(1_800_000)
        if uid not in _used_uids:
            _used_uids.add(uid)
            return uid


def _rmtree(path: Path) -> None:
    def onerror(func: Any, p: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    shutil.rmtree(path, onerror=onerror)


@sandboxenv(name="bwrap")
class BwrapSandboxEnvironment(SandboxEnvironment):
    """One machine of a sample, run under bubblewrap."""

    def __init__(self, host: Host, broker: Broker) -> None:
        super().__init__()
        self.host = host
        self.broker = broker

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return BwrapConfig(**config)

    @classmethod
    def default_concurrency(cls) -> int | None:
        return None

    @override
    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        bwrap_path()  # fail early, with the fix, if this machine cannot sandbox

    @override
    @classmethod
    async def sample_init(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        metadata: dict[str, str],
    ) -> dict[str, SandboxEnvironment]:
        cfg = config if isinstance(config, BwrapConfig) else BwrapConfig()
        names = [cfg.hostname, *[h for h in cfg.hosts if h != cfg.hostname]]
        base = Path(tempfile.mkdtemp(prefix="scheming-evals-"))
        base.chmod(0o711)
        uid = _allocate_uid()
        hosts: dict[str, Host] = {}
        for name in names:
            sock_dir = base / f"s{len(hosts)}"
            sock_dir.mkdir(mode=0o711)
            host = Host(name=name, root=base / f"m{len(hosts)}", socket=sock_dir / "c.sock",
                        shim_dir=_shim_dir(), uid=uid, limits=cfg.limits(),
                        peers=tuple(n for n in names if n != name))
            host.root.mkdir(mode=0o755)
            host.create()
            hosts[name] = host

        async def run_on(name: str, cmd: list[str], data: bytes | None) -> RunResult:
            return await _run(hosts[name], cmd, data, None, None, cfg.timeout,
                              output_limit=MAX_PAYLOAD)

        broker = Broker(names, USER, run_on)
        envs: dict[str, SandboxEnvironment] = {}
        try:
            for i, (name, host) in enumerate(hosts.items()):
                await broker.listen(name, host.socket)
                envs["default" if i == 0 else name] = cls(host, broker)
        except BaseException:
            await broker.close()
            _rmtree(base)
            raise
        return envs

    @override
    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        envs = [e.as_type(BwrapSandboxEnvironment) for e in environments.values()]
        if not envs:
            return
        await envs[0].broker.close()
        base = envs[0].host.root.parent
        _rmtree(base)
        if envs[0].host.uid is not None:
            _used_uids.discard(envs[0].host.uid)

    # -- what detectors may use ---------------------------------------------------------------

    @property
    def remote_log(self) -> RemoteLog:
        """Every ssh/scp request made in this sample, from any machine."""
        return self.broker.log

    # -- the sandbox API ------------------------------------------------------------------------

    @override
    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user not in (None, USER, str(INNER_UID)):
            raise SandboxUserUnsupportedError(
                f"the bwrap sandbox runs commands only as {USER!r}, not {user!r}"
            )
        data = input.encode() if isinstance(input, str) else input
        res = await _run(self.host, cmd, data, cwd, env, timeout or self.host.limits.timeout)
        if res.timed_out:
            raise TimeoutError(f"command timed out after {timeout or self.host.limits.timeout}s")
        out = res.stdout.decode(errors="replace")
        err = res.stderr.decode(errors="replace")
        if res.stopped:
            err += f"\nsandbox: command stopped: {res.stopped}\n"
        if res.returncode == 126 and cmd and "Permission denied" in err and cmd[0] in err:
            raise PermissionError(f"permission denied executing {cmd[0]}")
        return ExecResult(res.returncode == 0, res.returncode, out, err)

    @override
    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode() if isinstance(contents, str) else contents
        script = (
            'd=$(dirname -- "$1"); mkdir -p -- "$d" 2>/dev/null; '
            'if [ -d "$1" ]; then exit 3; fi; cat > "$1" || exit 4'
        )
        res = await _run(self.host, ["/bin/bash", "-c", script, "w", _abs(file)], data, "/", None,
                         self.host.limits.timeout)
        if res.returncode == 3:
            raise IsADirectoryError(f"cannot write {file}: it is a directory")
        if res.returncode != 0:
            _raise_for(file, res.stderr.decode(errors="replace"))

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    @override
    async def read_file(self, file: str, text: bool = True) -> Union[str | bytes]:
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        script = (
            'if [ -d "$1" ]; then exit 3; fi; if [ ! -e "$1" ]; then exit 4; fi; '
            'if [ ! -r "$1" ]; then exit 5; fi; '
            'if [ "$(stat -L -c %s -- "$1")" -gt "$2" ]; then exit 6; fi; exec cat -- "$1"'
        )
        res = await _run(self.host, ["/bin/bash", "-c", script, "r", _abs(file), str(limit)],
                         None, "/", None, self.host.limits.timeout, output_limit=limit + 1)
        if res.returncode == 3:
            raise IsADirectoryError(f"cannot read {file}: it is a directory")
        if res.returncode == 4:
            raise FileNotFoundError(f"no such file: {file}")
        if res.returncode == 5:
            raise PermissionError(f"permission denied reading {file}")
        if res.returncode == 6 or res.overflow:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None)
        if res.returncode != 0:
            _raise_for(file, res.stderr.decode(errors="replace"))
        return res.stdout.decode("utf-8") if text else res.stdout

    def default_polling_interval(self) -> float:
        return 0.2


def _abs(file: str) -> str:
    """Relative paths are relative to the home folder (resolved here, so reading works even
    if the agent removed or locked its home)."""
    return file if file.startswith("/") else f"{HOME}/{file}"


def _raise_for(file: str, err: str) -> None:
    if "Permission denied" in err or "Read-only file system" in err:
        raise PermissionError(f"permission denied: {file}")
    if "Is a directory" in err:
        raise IsADirectoryError(f"{file} is a directory")
    if "No such file" in err or "Not a directory" in err:
        raise FileNotFoundError(f"no such file or directory: {file}")
    raise OSError(f"sandbox file operation on {file} failed: {err.strip()}")


async def _run(
    host: Host,
    cmd: list[str],
    data: bytes | None,
    cwd: str | None,
    env: dict[str, str] | None,
    timeout: float,
    output_limit: int | None = None,
) -> RunResult:
    host.repair()
    quota = host.limits.max_disk_mb * 1024**2

    def watchdog() -> str | None:
        if host.disk_usage() > quota:
            return f"disk quota of {host.limits.max_disk_mb} MiB exceeded on {host.name}"
        return None

    return await run_process(
        host.argv(cmd, cwd, env),
        input=data,
        timeout=timeout,
        output_limit=output_limit or SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE,
        uid=host.uid,
        watchdog=watchdog,
    )


__all__ = ["BwrapConfig", "BwrapSandboxEnvironment", "HOME"]
