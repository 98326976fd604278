"""Run one host-side process (a bwrap invocation) with a timeout, output caps and a watchdog.

Killing the bwrap process is enough to end everything the command started: bwrap runs with
``--die-with-parent`` in its own PID namespace, so the kernel kills the whole namespace when its
init dies. We still kill the process group for good measure.

When the harness runs as root, the sandbox must not run as real uid 0 (the kernel exempts uid 0
from RLIMIT_NPROC), so bwrap is started as the sample's private uid. We do that with util-linux
``setpriv`` prepended to the command line rather than with ``create_subprocess_exec(user=...)``:
asking Python to change uid makes it fork() the whole harness instead of vfork(), and that fork
(copying page tables, then copy-on-write faults in the harness) costs more than the exec of a
tiny program, and grows with the harness's memory. Without ``setpriv`` we fall back to
``user=``/``group=``.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from subprocess import DEVNULL, PIPE


@dataclass
class RunResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    stopped: str | None = None  # why a watchdog stopped the command, if it did
    overflow: bool = False  # stdout exceeded the cap (only the tail was kept)


async def _read_tail(stream: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    buf = bytearray()
    overflow = False
    while chunk := await stream.read(1 << 16):
        buf += chunk
        if len(buf) > limit:
            del buf[: len(buf) - limit]
            overflow = True
    return bytes(buf), overflow


async def _write(stdin: asyncio.StreamWriter | None, data: bytes | None) -> None:
    if stdin is None:
        return
    try:
        if data:
            stdin.write(data)
            await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        try:
            stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _kill(proc: asyncio.subprocess.Process) -> None:
    for fn in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            fn()
        except (ProcessLookupError, PermissionError):
            pass


# Fixed places only: the harness's PATH has no say in what runs as root.
_SETPRIV_PATHS = ("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv")


@lru_cache(maxsize=1)
def setpriv_path() -> str | None:
    """util-linux ``setpriv`` if installed (used to start bwrap as an unprivileged uid)."""
    for p in _SETPRIV_PATHS:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def _as_uid(argv: list[str], uid: int | None) -> tuple[list[str], dict[str, object]]:
    """``argv`` and spawn options that run it with real, effective and saved uid/gid ``uid``.

    ``setpriv --reuid/--regid`` sets the saved ids too and ``--clear-groups`` drops root's
    supplementary groups, like ``user=``/``group=``/``extra_groups=[]`` would; once no uid is 0
    the kernel clears the capabilities. If ``setpriv`` cannot switch, it exits (127) without
    running bwrap.
    """
    if uid is None:
        return argv, {}
    setpriv = setpriv_path()
    if setpriv is None:
        return argv, {"user": uid, "group": uid, "extra_groups": []}
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", *argv], {}


async def run_process(
    argv: list[str],
    *,
    input: bytes | None = None,
    timeout: float | None = None,
    output_limit: int = 10 * 1024**2,
    uid: int | None = None,
    watchdog: Callable[[], str | None] | None = None,
    watchdog_interval: float = 0.25,
    umask: int = 0o022,
) -> RunResult:
    """Run ``argv``; kill it on timeout, cancellation, or when ``watchdog`` returns a reason.

    ``uid``: run as this host uid (needs root). ``umask`` is set before the exec, so bwrap and
    the sandboxed command inherit it.
    """
    argv, drop = _as_uid(argv, uid)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=PIPE if input is not None else DEVNULL,
        stdout=PIPE,
        stderr=PIPE,
        start_new_session=True,
        umask=umask,
        **drop,  # type: ignore[arg-type]
    )
    assert proc.stdout is not None and proc.stderr is not None
    stopped: str | None = None

    async def watch() -> None:
        nonlocal stopped
        assert watchdog is not None
        while True:
            await asyncio.sleep(watchdog_interval)
            reason = await asyncio.to_thread(watchdog)
            if reason:
                stopped = reason
                _kill(proc)
                return

    async def communicate() -> tuple[tuple[bytes, bool], tuple[bytes, bool], None]:
        assert proc.stdout is not None and proc.stderr is not None
        return await asyncio.gather(
            _read_tail(proc.stdout, output_limit),
            _read_tail(proc.stderr, output_limit),
            _write(proc.stdin, input),
        )

    watcher = asyncio.create_task(watch()) if watchdog else None
    try:
        (out, overflow), (err, _), _ = await asyncio.wait_for(communicate(), timeout)
        code = await proc.wait()
    except asyncio.TimeoutError:
        _kill(proc)
        await proc.wait()
        return RunResult(-9, b"", b"", timed_out=True)
    except BaseException:
        _kill(proc)
        raise
    finally:
        if watcher:
            watcher.cancel()
    return RunResult(code, out, err, stopped=stopped, overflow=overflow)
