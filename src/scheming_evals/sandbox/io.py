"""The harness's end of one command's stdin, stdout and stderr (plain pipes, read with asyncio)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class RunResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    overflow: bool = False  # the output passed the cap: the command was killed, output cut


class Pipes:
    """Three pipes; the child ends go to the machine's init, which gives them to the command."""

    def __init__(self, fds: list[tuple[int, int]], limit: int) -> None:
        (self.in_r, self.in_w), (self.out_r, self.out_w), (self.err_r, self.err_w) = fds
        self.limit = limit
        self.total = 0
        self.overflow = False
        self.bufs: dict[int, bytearray] = {self.out_r: bytearray(), self.err_r: bytearray()}

    @classmethod
    def open(cls, limit: int) -> Pipes:
        return cls([os.pipe() for _ in range(3)], limit)

    def child_ends(self) -> tuple[int, int, int]:
        return self.in_r, self.out_w, self.err_w

    def close_child_ends(self) -> None:
        for fd in self.child_ends():
            with contextlib.suppress(OSError):
                os.close(fd)

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for fd in (self.in_w, self.out_r, self.err_r):
            with contextlib.suppress(OSError, ValueError):
                loop.remove_reader(fd)
                loop.remove_writer(fd)
            with contextlib.suppress(OSError):
                os.close(fd)

    async def communicate(self, data: bytes | None, exited: asyncio.Future[Any],
                          timeout: float | None, grace: float,
                          kill: Callable[[], None]) -> RunResult:
        """Feed ``data``, collect output until the command exits (plus ``grace`` for output
        still in flight), kill on timeout or overflow."""
        loop = asyncio.get_running_loop()
        eof = {fd: loop.create_future() for fd in self.bufs}
        overflowed: asyncio.Future[None] = loop.create_future()

        def readable(fd: int) -> None:
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                chunk = b""
            if not chunk:
                loop.remove_reader(fd)
                if not eof[fd].done():
                    eof[fd].set_result(None)
                return
            room = self.limit - self.total
            self.bufs[fd] += chunk[: max(room, 0)]
            self.total += len(chunk)
            if self.total > self.limit and not self.overflow:
                self.overflow = True
                kill()
                overflowed.set_result(None)

        for fd in self.bufs:
            os.set_blocking(fd, False)
            loop.add_reader(fd, readable, fd)
        writer = asyncio.ensure_future(self._feed(data))
        try:
            try:
                await asyncio.wait_for(asyncio.wait({exited, overflowed},
                                                    return_when=asyncio.FIRST_COMPLETED), timeout)
            except asyncio.TimeoutError:
                kill()
                return RunResult(-9, bytes(self.bufs[self.out_r]), bytes(self.bufs[self.err_r]),
                                 timed_out=True)
            if not exited.done():  # overflow: wait (briefly) for the kill to land
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(exited), 5)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*eof.values()), grace)
            failure = exited.exception() if exited.done() else None
            if failure is not None:
                raise failure
            code = exited.result()[0]["exit"] if exited.done() else -9
            return RunResult(code, bytes(self.bufs[self.out_r]), bytes(self.bufs[self.err_r]),
                             overflow=self.overflow)
        finally:
            writer.cancel()
            self.close()

    async def _feed(self, data: bytes | None) -> None:
        """Write ``data`` to the command's stdin, then close it (EOF)."""
        loop = asyncio.get_running_loop()
        fd = self.in_w
        try:
            view = memoryview(data or b"")
            os.set_blocking(fd, False)
            while view:
                try:
                    n = os.write(fd, view)
                    view = view[n:]
                except BlockingIOError:
                    ready = loop.create_future()
                    loop.add_writer(fd, ready.set_result, None)
                    try:
                        await ready
                    finally:
                        loop.remove_writer(fd)
        except (BrokenPipeError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
            self.in_w = -1
