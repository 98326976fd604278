"""The other end of the sandbox's ssh/scp: runs each request on the target machine.

One listening socket per machine (an abstract Unix socket inside that machine's network
namespace, whose descriptor its init hands to the harness), so the origin is known; every
request is appended to the sample's remote log, which detectors may read next to the
transcript. The agent reaches the harness only here, so everything is bounded: connections
open at once and requests served at once per sample, bytes per request, time to send the
request, and remote output. A malformed request gets an error answer and a log entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import socket
import tarfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.util import SandboxEnvironmentLimits

from .io import RunResult

# (machine, argv, stdin, output limit, trusted) -> result
RunOn = Callable[[str, list[str], bytes | None, int, bool], Awaitable[RunResult]]
MAX_PAYLOAD = 32 * 1024**2  # bytes of one request (the shim checks the same number)
MAX_HEADER = 1 << 20
MAX_CONNECTIONS = 64  # open at once, per sample
MAX_ACTIVE = 4  # requests read and served at once, per sample (the rest wait their turn)
MAX_LOG = 10_000  # remote-log entries per sample
MAX_FIELD = 16_384  # characters of a logged command or path
MAX_ITEMS = 256  # logged names or paths per request
MAX_ENTRY = 32_768  # characters of one entry's fields together
MAX_LOG_CHARS = 2 * 1024**2  # characters of the whole log; past it entries keep MAX_CUT each
MAX_CUT = 256
HEADER_TIMEOUT = 10.0  # seconds to send the header line
PAYLOAD_TIMEOUT = 60.0  # seconds to send the payload
ANSWER_TIMEOUT = 30.0  # seconds for the client to take the answer
ACCEPT_RATE = 200.0  # connections accepted per second, per sample
ACCEPT_BURST = 64
SHIM_IN_SANDBOX = "/usr/local/bin/scp"
UNPACK = ["/usr/bin/python3", "-I", "-S", SHIM_IN_SANDBOX]
_LOOPBACK = ("localhost", "localhost.localdomain", "127.0.0.1", "127.0.1.1", "::1")


def _chunk_size() -> int:
    """Bytes of a tar fetched per remote command: well inside the exec output cap."""
    return min(8 * 1024**2, max(4096, SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE * 3 // 4))


@dataclass
class RemoteLog:
    """Requests that crossed between machines, in order: at most ``MAX_LOG`` entries (what did
    not fit is counted in ``dropped``), each field bounded, each entry's fields at most
    ``MAX_ENTRY`` characters together, and the whole log ``MAX_LOG_CHARS``: past that, entries
    keep ``MAX_CUT`` characters a field and say ``cut`` (counted in ``cut``). So neither the
    harness's memory nor the detectors' reading of the log grows with what the agent sends."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    dropped: int = 0
    cut: int = 0
    chars: int = 0

    def add(self, entry: dict[str, Any]) -> dict[str, Any]:
        if len(self.entries) >= MAX_LOG:
            self.dropped += 1
            return entry
        size = _fit(entry, MAX_ENTRY)
        if self.chars + size > MAX_LOG_CHARS:
            size = _fit(entry, MAX_CUT, each=True)
            entry["cut"] = True
            self.cut += 1
        self.chars += size
        self.entries.append(entry)
        return entry


class Broker:
    """Serves ssh/scp requests from every machine of one sample."""

    def __init__(self, hosts: list[str], user: str, run_on: RunOn) -> None:
        self.hosts = hosts
        self.user = user
        self.run_on = run_on
        self.log = RemoteLog()
        self._accepting: list[asyncio.Task[None]] = []
        self._serving: set[asyncio.Task[None]] = set()
        self._open = 0
        self._active = asyncio.Semaphore(MAX_ACTIVE)
        self._tokens = float(ACCEPT_BURST)
        self._refilled = time.monotonic()

    async def listen(self, origin: str, sock: socket.socket) -> None:
        """Serve the requests arriving on ``sock`` (listening, inside ``origin``)."""
        sock.setblocking(False)
        self._accepting.append(asyncio.ensure_future(self._accept(origin, sock)))

    async def _accept(self, origin: str, sock: socket.socket) -> None:
        """Accept connections at most ACCEPT_RATE per second per sample (ACCEPT_BURST at
        once): beyond that the kernel's backlog holds them, so a flood of connections costs
        the agent waiting, not the harness CPU."""
        loop = asyncio.get_running_loop()
        while True:
            now = time.monotonic()
            self._tokens = min(ACCEPT_BURST, self._tokens + (now - self._refilled) * ACCEPT_RATE)
            self._refilled = now
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / ACCEPT_RATE)
                continue
            self._tokens -= 1
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            task = asyncio.ensure_future(self._connected(origin, conn))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)

    async def _connected(self, origin: str, conn: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_unix_connection(sock=conn, limit=MAX_HEADER)
        except OSError:
            conn.close()
            return
        await self._serve(origin, reader, writer)

    async def close(self) -> None:
        """Stop accepting and end every request in flight."""
        for task in [*self._accepting, *self._serving]:
            task.cancel()
        for task in [*self._accepting, *self._serving]:
            with contextlib.suppress(BaseException):
                await task
        self._accepting.clear()

    async def _serve(
        self, origin: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._open += 1
        try:
            if self._open > MAX_CONNECTIONS:
                self._malformed(origin, "too many connections")
                return
            try:
                line = await asyncio.wait_for(reader.readline(), HEADER_TIMEOUT)
                header = json.loads(line)
                if not isinstance(header, dict):
                    raise ValueError("header is not an object")
                size = header.get("size", 0)
                if not isinstance(size, int) or not 0 <= size <= MAX_PAYLOAD:
                    raise ValueError(f"payload size {str(size)[:20]} (at most {MAX_PAYLOAD})")
            except (ValueError, TypeError, RecursionError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError) as ex:
                await self._refuse(origin, writer, ex)
                return
            async with self._active:  # a slot first, then the payload: memory stays bounded
                try:
                    payload = await asyncio.wait_for(reader.readexactly(size), PAYLOAD_TIMEOUT)
                except (asyncio.TimeoutError, asyncio.IncompleteReadError) as ex:
                    await self._refuse(origin, writer, ex)
                    return
                work = asyncio.create_task(self._handle(origin, header, payload))
                gone = asyncio.create_task(reader.read(1))  # EOF: the client was killed
                try:
                    done, _ = await asyncio.wait({work, gone},
                                                 return_when=asyncio.FIRST_COMPLETED)
                except asyncio.CancelledError:  # the sample is sealed or torn down
                    work.cancel()
                    gone.cancel()
                    raise
                if work not in done:
                    work.cancel()
                    with contextlib.suppress(BaseException):
                        await work
                    return
                gone.cancel()
                try:
                    result = work.result()
                except Exception as ex:  # noqa: BLE001 - a bad request gets an answer, no crash
                    self._malformed(origin, f"{type(ex).__name__}: {ex}"[:200])
                    result = (255, b"", b"ssh: Connection closed by remote host\r\n")
                await self._answer(writer, *result)  # the slot is held until it is sent
        except (ConnectionError, OSError):
            pass
        finally:
            self._open -= 1
            writer.close()
            with contextlib.suppress(Exception):  # collects a broken pipe's error, if any
                await asyncio.wait_for(writer.wait_closed(), 1)

    async def _refuse(self, origin: str, writer: asyncio.StreamWriter, ex: BaseException
                      ) -> None:
        why = "timed out" if isinstance(ex, asyncio.TimeoutError) else str(ex)[:200]
        self._malformed(origin, why)
        await self._answer(writer, 255, b"", f"ssh: bad request ({why})\r\n".encode())

    async def _answer(self, writer: asyncio.StreamWriter, code: int, out: bytes,
                      err: bytes) -> None:
        """Send the answer; a client that does not read it within ANSWER_TIMEOUT is cut off
        (its answer is not kept in the harness's memory)."""
        head = json.dumps({"code": code, "out": len(out), "err": len(err)}).encode() + b"\n"
        writer.writelines([head, out, err])
        try:
            await asyncio.wait_for(writer.drain(), ANSWER_TIMEOUT)
        except asyncio.TimeoutError:
            writer.transport.abort()

    def _malformed(self, origin: str, why: str) -> None:
        self.log.add({"time": time.time(), "from": origin, "op": "malformed", "error": why})

    def _resolve(self, origin: str, host: str) -> str | None:
        host = host[:MAX_FIELD]
        """The machine ``host`` names (host names are case-insensitive), or None if unknown."""
        h = host.lower().rstrip(".")
        if h in _LOOPBACK or h == origin.lower():
            return origin
        return next((n for n in self.hosts if n.lower() == h), None)

    async def _handle(
        self, origin: str, h: dict[str, Any], payload: bytes
    ) -> tuple[int, bytes, bytes]:
        op, host, user = (str(h.get(k, ""))[:1024] for k in ("op", "host", "user"))
        entry: dict[str, Any] = {"time": time.time(), "from": origin, "op": op, "host": host,
                                 "user": user}
        for k in ("command", "dest", "names", "paths", "recursive", "preserve"):
            if k in h:
                entry[k] = _bounded(h[k])
        if op == "put":  # what the payload holds, not what the client says it holds
            if not isinstance(h.get("names", []), list):
                raise TypeError("names is not a list")
            names, digests = await asyncio.to_thread(_tar_contents, payload)
            if names != entry.get("names"):
                entry["claimed_names"] = entry.get("names", [])
            entry["names"], entry["sha256"] = list(names), digests
            h = {**h, "names": names}  # scp's rules (one source, or into a folder) on them too
        self.log.add(entry)
        try:
            code, out, err = await self._dispatch(origin, h, payload, entry)
        except asyncio.CancelledError:  # the client went away (killed, timed out)
            entry["returncode"] = None
            entry["interrupted"] = True
            raise
        entry["returncode"] = code
        return code, out, err

    async def _dispatch(
        self, origin: str, h: dict[str, Any], payload: bytes, entry: dict[str, Any]
    ) -> tuple[int, bytes, bytes]:
        op, host, user = entry["op"], entry["host"], entry["user"]
        target = self._resolve(origin, host)
        if target is None:
            msg = f"ssh: Could not resolve hostname {host}: Name or service not known\r\n"
            if op != "ssh":
                msg += "scp: Connection closed\r\n"
            return 255, b"", msg.encode()
        entry["target"] = target
        if user != self.user:
            return 255, b"", f"{user}@{host}: Permission denied (publickey).\r\n".encode()
        if op == "ssh":
            command = h.get("command")
            cap = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE
            if command:
                res = await self.run_on(target, ["/bin/bash", "-c", str(command)], payload, cap,
                                        False)
                err = res.stderr
            else:
                res = await self.run_on(target, ["/bin/bash", "-s"], payload, cap, False)
                err = b"Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n"
                err += res.stderr
            code, out = res.returncode, res.stdout
            if res.timed_out:
                code, out = 255, b""
                err += f"Connection to {host} closed by remote host.\r\n".encode()
            elif res.overflow:  # only the tail was kept: never hand back silently cut output
                code, out = 255, b""
                err += (f"ssh: output of the remote command exceeded "
                        f"{SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE} bytes; "
                        f"connection to {host} closed\r\n").encode()
        elif op == "put":
            names = json.dumps(list(h.get("names", [])))
            preserve = "1" if h.get("preserve") else "0"
            res = await self.run_on(
                target, [*UNPACK, "--unpack", str(h.get("dest", "")), names, preserve], payload,
                SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE, False)
            code, out, err = (1 if res.returncode else 0), b"", res.stderr
            if res.timed_out:
                err += b"scp: Connection closed\n"
        elif op == "get":
            code, out, err = await self._get(target, h)
        else:
            code, out, err = 255, b"", b"ssh: unsupported request\r\n"
        return code, out, err

    async def _get(self, target: str, h: dict[str, Any]) -> tuple[int, bytes, bytes]:
        """Tar the requested paths on ``target``, in pieces that fit the exec output cap.

        Returns (code, JSON names line + tar, stderr). Every piece re-reads the sources and
        reports the whole tar's size and checksum, so a source changing mid-copy is detected.
        """
        rec = "1" if h.get("recursive") else "0"
        paths = [str(p) for p in h.get("paths", [])]
        chunk = _chunk_size()
        pieces: list[bytes] = []
        first: dict[str, Any] | None = None
        code, err = 0, b""
        offset = 0
        while True:
            res = await self.run_on(
                target, [*UNPACK, "--pack", rec, str(offset), str(chunk), *paths], None,
                chunk + MAX_HEADER, False)
            if res.timed_out or res.overflow:
                why = "timed out" if res.timed_out else "output too large"
                return 1, b"", err + f"scp: Connection closed ({why})\n".encode()
            if first is None:
                code, err = (1 if res.returncode else 0), res.stderr
            if not res.stdout:  # nothing could be packed; the errors say why
                return 1, b"", err or res.stderr or b"scp: Connection closed\n"
            line, _, body = res.stdout.partition(b"\n")
            try:
                meta = json.loads(line)
                size = int(meta["size"])
            except (ValueError, KeyError, TypeError):
                return 1, b"", err + b"scp: protocol error\n"
            if first is None:
                first = meta
                if size > MAX_PAYLOAD:
                    return 1, b"", err + (
                        f"scp: {' '.join(paths)}: too large to copy ({size} bytes, "
                        f"at most {MAX_PAYLOAD})\n"
                    ).encode()
            elif (size, meta.get("crc"), meta.get("names")) != (
                first["size"], first.get("crc"), first.get("names")
            ) or len(body) != min(chunk, size - offset):
                return 1, b"", err + b"scp: source changed during the copy; try again\n"
            pieces.append(body)
            offset += len(body)
            if offset >= size or not body:
                break
        assert first is not None
        return code, json.dumps(first["names"]).encode() + b"\n" + b"".join(pieces), err


_FIELDS = ("command", "dest", "names", "paths", "sha256", "claimed_names", "error")


def _fit(entry: dict[str, Any], budget: int, each: bool = False) -> int:
    """Cut the entry's free-text fields (in place) to ``budget`` characters together, or, with
    ``each``, to ``budget`` each; returns the characters kept."""
    used = 0
    for k in _FIELDS:
        v = entry.get(k)
        room = budget if each else max(0, budget - used)
        if isinstance(v, str):
            entry[k] = v[:room]
            used += len(entry[k])
        elif isinstance(v, list):
            kept: list[str] = []
            for item in v:
                if room <= 0:
                    break
                kept.append(str(item)[:room])
                room -= len(kept[-1]) + 1
            entry[k] = kept
            used += sum(len(x) + 1 for x in kept)
    return used


def _tar_contents(payload: bytes) -> tuple[list[str], list[str]]:
    """(the top-level names, the sha256 of each regular file) of a put's tar, at most
    MAX_ITEMS of each; what does not read as a plain tar gives what was read before it."""
    tops: list[str] = []
    digests: list[str] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:") as tar:
            for m in tar:
                top = m.name.split("/")[0][:MAX_FIELD]
                if top and len(tops) < MAX_ITEMS and top not in tops:
                    tops.append(top)
                if m.isfile() and len(digests) < MAX_ITEMS:
                    f = tar.extractfile(m)
                    if f is not None:
                        d = hashlib.sha256(f.read()).hexdigest()
                        if d not in digests:
                            digests.append(d)
    except (tarfile.TarError, OSError, ValueError, EOFError):
        pass
    return tops, digests


def _bounded(value: Any) -> Any:
    """A request field as the log keeps it: strings cut to MAX_FIELD, lists to MAX_ITEMS
    strings, anything else to its text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [str(v)[:MAX_FIELD] for v in value[:MAX_ITEMS]]
    return str(value)[:MAX_FIELD]
