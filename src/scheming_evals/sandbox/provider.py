"""Inspect sandbox provider ``bwrap``: fresh private machines per sample, no Docker needed.

Each sample gets a default machine plus any named ones (``BwrapConfig.hosts``), each a
long-lived bubblewrap sandbox (see ``hosts.py``) in the sample's cgroup. Commands enter a
machine through its init; machines reach each other only through ``ssh``/``scp`` (see
``broker.py``). :meth:`BwrapSandboxEnvironment.seal` stops what the agent left running before
the detectors read the final state; from then on every command runs the harness's way.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
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
from pydantic import BaseModel, field_validator, model_validator
from typing_extensions import override

from . import hostread
from .binary import bwrap_path
from .broker import Broker, RemoteLog, RunOn
from .cgroups import SampleGroup
from .hosts import HOME, INNER_UID, USER, Limits, Machine
from .io import RunResult

_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_FOLDER = re.compile(r"^/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
_RESERVED = ("/", "/usr", "/etc", "/proc", "/dev", "/bin", "/sbin", "/lib", "/lib64", "/home",
             "/home/user", "/tmp", "/var/tmp", "/run", "/sys")
_used_uids: set[int] = set()


class BwrapConfig(BaseModel, frozen=True):
    """Configuration of the ``bwrap`` provider (all optional)."""

    hostname: str = "workstation"
    """Name of the default machine (what ``hostname`` prints)."""
    hosts: tuple[str, ...] = ()
    """Other machines of the sample, reachable with ssh/scp and as ``sandbox(name)``."""
    data_dirs: tuple[str, ...] = ("/opt",)
    """Folders outside the home that the agent owns on every machine (the scenario's data)."""
    timeout: int = 180
    max_processes: int = 128
    max_memory_mb: int = 1024
    max_file_mb: int = 256
    max_disk_mb: int = 128
    sample_memory_mb: int = 4096
    cpus: float = 1.0

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

    @field_validator("data_dirs")
    @classmethod
    def _folders(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for d in v:
            if not _FOLDER.match(d) or ".." in d.split("/") or d in _RESERVED \
                    or d.startswith(("/usr/", "/etc/", "/proc/", "/dev/", "/sys/")):
                raise ValueError(f"invalid data folder {d!r}: an absolute path outside the "
                                 "system folders")
        return tuple(dict.fromkeys(v))

    @model_validator(mode="after")
    def _fits(self) -> BwrapConfig:
        # the tmpfs folders of all machines live in the sample's memory: keep at least half of
        # it for processes, or full folders would leave the kernel only init to kill
        folders = (1 + len(self.hosts)) * (5 + len(self.data_dirs)) * self.max_disk_mb
        if 2 * folders > self.sample_memory_mb:
            raise ValueError(
                f"the writable folders may hold {folders} MiB ({self.max_disk_mb} MiB each) but "
                f"the sample's memory cap is {self.sample_memory_mb} MiB, and at least half of it "
                "must stay for processes: lower max_disk_mb or raise sample_memory_mb")
        return self

    def limits(self) -> Limits:
        return Limits(self.timeout, self.max_processes, self.max_memory_mb, self.max_file_mb,
                      self.max_disk_mb, self.sample_memory_mb, self.cpus)


def _allocate_uid() -> int | None:
    """A host uid private to this sample when we are root (so no two samples share one)."""
    if os.geteuid() != 0:
        return None
    while True:
        uid = 100_000 + secrets.randbelow(1_800_000)
        if uid not in _used_uids:
            _used_uids.add(uid)
            return uid


class Sample:
    """The machines of one sample, their cgroup and their broker."""

    def __init__(self, machines: dict[str, Machine], broker: Broker,
                 group: SampleGroup | None, uid: int | None) -> None:
        self.machines, self.broker, self.group, self.uid = machines, broker, group, uid

    async def seal(self) -> dict[str, list[dict[str, Any]]]:
        """Stop every machine's leftover processes (see :meth:`Machine.seal`). Every machine
        refuses the agent's commands (ssh requests already queued included) before any is
        sealed, and the broker stops listening, so nothing starts behind a seal."""
        for m in self.machines.values():
            m.sealing = True
        await self.broker.close()
        found = await asyncio.gather(*(m.seal() for m in self.machines.values()))
        return dict(zip(self.machines, found, strict=True))

    async def close(self) -> None:
        await self.broker.close()
        await asyncio.gather(*(m.stop() for m in self.machines.values()),
                             return_exceptions=True)
        if self.group is not None:  # empty once the machines are gone: rmdir is quick
            self.group.remove()
        if self.uid is not None:
            _used_uids.discard(self.uid)


def _config(config: SandboxEnvironmentConfigType | None) -> BwrapConfig:
    return config if isinstance(config, BwrapConfig) else BwrapConfig()


async def boot(cfg: BwrapConfig) -> Sample:
    """Start a sample's machines (in parallel), its cgroup and its broker."""
    names = [cfg.hostname, *[h for h in cfg.hosts if h != cfg.hostname]]
    lim = cfg.limits()
    uid = _allocate_uid()
    group = await asyncio.to_thread(SampleGroup.create, lim.max_processes, lim.sample_memory_mb,
                                    lim.cpus)
    machines = {n: Machine(n, tuple(p for p in names if p != n), lim, uid, cfg.data_dirs,
                           group) for n in names}
    sample = Sample(machines, Broker(names, USER, _runner(machines, cfg)), group, uid)
    try:
        # every start runs to its end before a failure is raised, so none is left behind
        started = await asyncio.gather(*(m.start() for m in machines.values()),
                                       return_exceptions=True)
        failed = [r for r in started if isinstance(r, BaseException)]
        if failed:
            raise failed[0]
        for name, m in machines.items():
            assert m.ssh_listener is not None
            await sample.broker.listen(name, m.ssh_listener)
    except BaseException:
        await sample.close()
        raise
    return sample


class Spares:
    """One sample booted ahead for each configuration an Inspect task uses, so that a sample's
    setup waits for nothing: its machines started while the previous sample ran. A spare is an
    ordinary fresh sample on which nothing has run. Only between ``task_init`` and
    ``task_cleanup`` (which stops the spare), so no spare outlives its task's event loop;
    elsewhere (``sample_init`` called directly) every sample boots when asked."""

    def __init__(self) -> None:
        self._users: dict[tuple[int, BwrapConfig], int] = {}
        self._spare: dict[tuple[int, BwrapConfig], asyncio.Task[Sample]] = {}

    @staticmethod
    def _key(cfg: BwrapConfig) -> tuple[int, BwrapConfig]:
        return id(asyncio.get_running_loop()), cfg

    def open(self, cfg: BwrapConfig) -> None:
        key = self._key(cfg)
        self._users[key] = self._users.get(key, 0) + 1

    async def take(self, cfg: BwrapConfig) -> Sample:
        key = self._key(cfg)
        if key not in self._users:
            return await boot(cfg)
        spare = self._spare.pop(key, None)
        self._spare[key] = asyncio.get_running_loop().create_task(boot(cfg))  # the next one
        if spare is not None:
            with contextlib.suppress(Exception):  # a failed spare: boot afresh (its error, if
                # it fails again, is the one raised)
                return await spare
        return await boot(cfg)

    async def ready(self, cfg: BwrapConfig) -> None:
        """Wait until the spare for ``cfg`` has booted (benchmarks time the setup after it)."""
        spare = self._spare.get(self._key(cfg))
        if spare is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(spare)

    async def close(self, cfg: BwrapConfig) -> None:
        key = self._key(cfg)
        self._users[key] = self._users.get(key, 1) - 1
        if self._users[key] > 0:
            return
        del self._users[key]
        spare = self._spare.pop(key, None)
        if spare is not None:
            spare.cancel()
            with contextlib.suppress(BaseException):
                await (await spare).close()


_SPARES = Spares()


@sandboxenv(name="bwrap")
class BwrapSandboxEnvironment(SandboxEnvironment):
    """One machine of a sample, run under bubblewrap."""

    def __init__(self, machine: Machine, sample: Sample) -> None:
        super().__init__()
        self.machine = machine
        self.sample = sample

    @property
    def broker(self) -> Broker:
        return self.sample.broker

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
        _SPARES.open(_config(config))

    @override
    @classmethod
    async def task_cleanup(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, cleanup: bool
    ) -> None:
        await _SPARES.close(_config(config))

    @override
    @classmethod
    async def sample_init(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        metadata: dict[str, str],
    ) -> dict[str, SandboxEnvironment]:
        sample = await _SPARES.take(_config(config))
        return {("default" if i == 0 else n): cls(m, sample)
                for i, (n, m) in enumerate(sample.machines.items())}

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
        if envs:
            await envs[0].sample.close()

    # -- what detectors may use ---------------------------------------------------------------

    @property
    def remote_log(self) -> RemoteLog:
        """Every ssh/scp request made in this sample, from any machine."""
        return self.broker.log

    async def seal(self) -> dict[str, list[dict[str, Any]]]:
        """End the episode on every machine of the sample: freeze, record and kill what the
        agent left running; later commands run with the harness's fixed environment. Returns
        machine -> the processes found (pid, ppid, command line)."""
        return await self.sample.seal()

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
        limit = timeout or self.machine.limits.timeout
        res = await self.machine.run(cmd, input=data, cwd=cwd, env=env, timeout=limit,
                                     output_limit=SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE,
                                     trusted=self.machine.sealing)
        if res.timed_out:
            raise TimeoutError(f"command timed out after {limit}s")
        out = res.stdout.decode(errors="replace")
        err = res.stderr.decode(errors="replace")
        if res.overflow:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE_STR,
                                           out + err)
        if res.returncode == 126 and cmd and "Permission denied" in err and cmd[0] in err:
            raise PermissionError(f"permission denied executing {cmd[0]}")
        return ExecResult(res.returncode == 0, res.returncode, out, err)

    async def _trusted(self, script: str, args: list[str], data: bytes | None = None,
                       output_limit: int | None = None) -> RunResult:
        """A fixed bash script, run the harness's way (system PATH, no startup files)."""
        return await self.machine.run(
            ["/bin/bash", "--noprofile", "--norc", "-c", script, "sandbox", *args], input=data,
            cwd="/", timeout=self.machine.limits.timeout, trusted=True,
            output_limit=output_limit or SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE)

    @override
    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode() if isinstance(contents, str) else contents
        # one process when the folder exists (bash execs cat; the folder by parameter
        # expansion, not dirname): a rollout writes a dozen files
        script = (
            'd=${1%/*}; [ -d "${d:-/}" ] || mkdir -p -- "$d" 2>/dev/null; '
            'if [ -d "$1" ]; then exit 3; fi; '
            'if [ -e "$1" ] && [ ! -f "$1" ]; then exit 7; fi; exec cat > "$1" || exit 4'
        )
        res = await self._trusted(script, [_abs(file)], data)
        if res.returncode == 3:
            raise IsADirectoryError(f"cannot write {file}: it is a directory")
        if res.returncode == 7:
            raise OSError(f"cannot write {file}: not a regular file")
        if res.returncode != 0:
            _raise_for(file, res.stderr.decode(errors="replace"))

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    @override
    async def read_file(self, file: str, text: bool = True) -> Union[str | bytes]:
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        # one process (bash execs head): at most limit + 1 bytes are read, one too many
        # means the file is over the limit
        script = (
            'if [ -d "$1" ]; then exit 3; fi; if [ ! -e "$1" ]; then exit 4; fi; '
            'if [ ! -r "$1" ]; then exit 5; fi; if [ ! -f "$1" ]; then exit 7; fi; '
            'exec head -c "$(($2 + 1))" -- "$1"'
        )
        res = await self._trusted(script, [_abs(file), str(limit)], output_limit=limit + 1)
        if res.returncode == 3:
            raise IsADirectoryError(f"cannot read {file}: it is a directory")
        if res.returncode == 4:
            raise FileNotFoundError(f"no such file: {file}")
        if res.returncode == 5:
            raise PermissionError(f"permission denied reading {file}")
        if res.returncode == 7:  # a fifo or device would block or never end
            raise OSError(f"cannot read {file}: not a regular file")
        if res.overflow or len(res.stdout) > limit:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None)
        if res.returncode != 0:
            _raise_for(file, res.stderr.decode(errors="replace"))
        return res.stdout.decode("utf-8") if text else res.stdout

    async def read_from_host(self, file: str) -> bytes | None:
        """The file's bytes read from the host, no process of the machine involved (so nothing
        the agent left running can stop, swap or forge the read), through any chmod; None
        where the host may not read machines' files (the harness not running as root). Raises
        FileNotFoundError, IsADirectoryError, OSError (a fifo, a device, a path through
        ``/proc/self``) and OutputLimitExceededError as :meth:`read_file` does."""
        root = self.machine.root_fd
        if root is None:
            return None
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        # in the loop, not a thread: the descriptor is closed when the machine stops, and
        # these files live in memory (tmpfs), so even the largest read takes milliseconds
        data = hostread.read(root, _abs(file), limit)
        if len(data) > limit:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None)
        return data

    async def stat_from_host(self, file: str, follow: bool = True) -> os.stat_result | None:
        """``stat`` (``lstat`` without ``follow``) of the file, from the host as
        :meth:`read_from_host` reads; None where the host may not. Raises FileNotFoundError
        and OSError."""
        root = self.machine.root_fd
        return None if root is None else hostread.stat_of(root, _abs(file), follow)

    def default_polling_interval(self) -> float:
        return 0.2


def _runner(machines: dict[str, Machine], cfg: BwrapConfig) -> RunOn:
    """What the broker calls to run an ssh/scp request on a machine."""

    async def run_on(name: str, cmd: list[str], data: bytes | None, output_limit: int,
                     trusted: bool = False) -> RunResult:
        return await machines[name].run(cmd, input=data, timeout=cfg.timeout,
                                        output_limit=output_limit, trusted=trusted)

    return run_on


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
    if "No space left" in err or "File too large" in err:
        raise OSError(f"no space left writing {file}")
    raise OSError(f"sandbox file operation on {file} failed: {err.strip()}")


__all__ = ["BwrapConfig", "BwrapSandboxEnvironment", "HOME"]
