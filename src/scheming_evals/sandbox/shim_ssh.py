#!/usr/bin/python3
"""ssh and scp for the bwrap sandbox (installed as /usr/local/bin/ssh and /usr/local/bin/scp).

The sandbox has no network. This client forwards the request over a Unix socket to the
evaluation harness, which runs it on the other machine's own sandbox. Stdlib only: it runs on
the system's python3 inside the sandbox. Its command lines are split by
``scheming_evals.commands.sshopts``, the parser the harness reads commands with: the machine
gets this file with the import below replaced by that module's text (``hosts.client_source``).
"""

import json
import os
import socket
import sys

from scheming_evals.commands.sshopts import SCP_ARG_FLAGS, parse_opts, ssh_split

# glob, io, tarfile and zlib are imported where scp needs them: ssh starts faster without them

SOCKET = "\0/run/ssh-mux/control"  # abstract: in this machine's own network namespace
MAX_PAYLOAD = 32 * 1024**2  # what the harness accepts in one request


def _fail(msg: str, code: int) -> "NoReturn":  # type: ignore[name-defined]  # noqa: F821
    sys.stderr.write(msg if msg.endswith("\n") else msg + "\n")
    sys.exit(code)


def _request(header: dict, payload: bytes = b"") -> tuple[int, bytes, bytes]:
    if len(payload) > MAX_PAYLOAD:
        what = "stdin" if header.get("op") == "ssh" else "files"
        _fail(f"{'ssh' if what == 'stdin' else 'scp'}: {what} too large to send "
              f"({len(payload)} bytes, at most {MAX_PAYLOAD})", 255 if what == "stdin" else 1)
    header["size"] = len(payload)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(SOCKET)
    except OSError:
        _fail(f"ssh: connect to host {header.get('host')} port 22: Connection refused", 255)
    sock.sendall(json.dumps(header).encode() + b"\n" + payload)
    f = sock.makefile("rb")
    line = f.readline()
    if not line:
        _fail("Connection closed by remote host", 255)
    resp = json.loads(line)
    out = f.read(resp["out"])
    err = f.read(resp["err"])
    return resp["code"], out, err


def _split_target(arg: str) -> tuple[str | None, str, str]:
    """``[user@]host:path`` -> (user, host, path); host '' means a local path."""
    if ":" in arg and "/" not in arg.split(":", 1)[0]:
        left, path = arg.split(":", 1)
        user, _, host = left.rpartition("@")
        return user or None, host, path
    return None, "", arg


def ssh_main(argv: list[str]) -> None:
    opts, dest, tail = ssh_split(argv)
    if dest is None:
        _fail("usage: ssh [-l login_name] [-p port] destination [command [argument ...]]", 255)
        return
    if dest.startswith("ssh://"):  # ssh://[user@]host[:port]
        dest = dest[len("ssh://") :].rstrip("/").rsplit(":", 1)[0]
    user, _, host = dest.rpartition("@")
    user = user or str(opts.get("l") or os.environ.get("USER", "user"))
    command = " ".join(tail) or None
    no_stdin = opts.get("n") or sys.stdin is None or sys.stdin.isatty()
    stdin = b"" if no_stdin else sys.stdin.buffer.read()
    code, out, err = _request(
        {"op": "ssh", "host": host, "user": user, "command": command}, stdin
    )
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.stderr.buffer.write(err)
    sys.exit(code)


def _remote_paths(paths: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Expand ``~`` and globs as scp does for remote paths; returns ((shown, real)s, errors)."""
    import glob

    out: list[tuple[str, str]] = []
    errors: list[str] = []
    for p in paths:
        real = os.path.expanduser(p)
        if glob.has_magic(real) and not os.path.lexists(real):
            matches = sorted(glob.glob(real))
            if not matches:
                errors.append(f"scp: {p}: No such file or directory")
            out += [(m, m) for m in matches]
        else:
            out.append((p, real))
    return out, errors


class _Window:
    """A write-only stream keeping bytes [offset, offset+length) and a checksum of everything."""

    def __init__(self, offset: int, length: int) -> None:
        self.pos, self.start, self.end = 0, offset, offset + length
        self.kept = bytearray()
        self.crc = 0

    def write(self, b: bytes) -> int:
        b = bytes(b)
        lo, hi = max(self.pos, self.start), min(self.pos + len(b), self.end)
        if lo < hi:
            self.kept += b[lo - self.pos : hi - self.pos]
        self.crc = _crc32(b, self.crc)
        self.pos += len(b)
        return len(b)

    def flush(self) -> None:
        pass


def _crc32(data: bytes, crc: int) -> int:
    import zlib

    return zlib.crc32(data, crc)


def pack(paths: list[str], recursive: bool) -> tuple[bytes, list[str], list[str]]:
    """Tar ``paths`` (each under its basename); returns (tar, names, errors)."""
    import io

    buf = io.BytesIO()
    names, errors = pack_into(buf, [(p, p) for p in paths], recursive)
    return buf.getvalue(), names, errors


def pack_into(
    fileobj: object, paths: list[tuple[str, str]], recursive: bool
) -> tuple[list[str], list[str]]:
    """Stream a tar of ``paths`` ((shown, real) pairs) to ``fileobj``; returns (names, errors)."""
    import tarfile

    names: list[str] = []
    errors: list[str] = []
    with tarfile.open(fileobj=fileobj, mode="w|", dereference=True) as tar:  # type: ignore[call-overload]
        for shown, p in paths:
            if not os.path.exists(p):
                errors.append(f"scp: {shown}: No such file or directory")
            elif os.path.isdir(p) and not recursive:
                errors.append(f"scp: {shown}: not a regular file")
            elif not os.access(p, os.R_OK):
                errors.append(f"scp: {shown}: Permission denied")
            else:
                name = os.path.basename(os.path.normpath(p))
                try:
                    tar.add(p, arcname=name)
                    names.append(name)
                except OSError as ex:
                    errors.append(f"scp: {shown}: {ex.strerror}")
    return names, errors


def unpack(data: bytes, dest: str, names: list[str], preserve: bool = False) -> list[str]:
    """Place the packed sources at ``dest`` with scp's rules; returns errors.

    Modes always follow the source; with ``preserve`` (scp -p) so do modification times.
    """
    import io
    import tarfile

    dest = dest or "."
    into_dir = os.path.isdir(dest)
    if not into_dir and len(names) > 1:
        return [f"scp: {dest}: Not a directory"]
    if not into_dir:
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            return [f"scp: {dest}: No such file or directory"]
    errors: list[str] = []
    dirs: list[tuple[str, tarfile.TarInfo]] = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        for m in tar.getmembers():
            parts = m.name.split("/")
            if m.name.startswith("/") or ".." in parts or not (m.isfile() or m.isdir()):
                continue
            top = parts[0]
            base = os.path.join(dest, top) if into_dir else dest
            target = os.path.join(base, *parts[1:]) if len(parts) > 1 else base
            try:
                if m.isdir():
                    os.makedirs(target, exist_ok=True)
                    dirs.append((target, m))
                else:
                    src = tar.extractfile(m)
                    with open(target, "wb") as out:
                        out.write(src.read() if src else b"")
                    os.chmod(target, m.mode & 0o777)
                    if preserve:
                        os.utime(target, (m.mtime, m.mtime))
            except OSError as ex:
                errors.append(f"scp: {target}: {ex.strerror}")
    if preserve:  # after the files, or writing them would bump the times
        for target, m in reversed(dirs):
            try:
                os.chmod(target, m.mode & 0o777)
                os.utime(target, (m.mtime, m.mtime))
            except OSError as ex:
                errors.append(f"scp: {target}: {ex.strerror}")
    return errors


def _get(
    user: str | None, host: str, paths: list[str], recursive: bool
) -> tuple[int, bytes, list[str]]:
    """Fetch ``paths`` from ``host`` as a tar; returns (code, tar, names)."""
    code, out, err = _request(
        {"op": "get", "host": host, "user": user or os.environ.get("USER", "user"),
         "paths": paths, "recursive": recursive}
    )
    sys.stderr.buffer.write(err)
    sys.stderr.flush()
    if code == 255 or not out:
        return code or 1, b"", []
    meta, _, data = out.partition(b"\n")
    return code, data, json.loads(meta)


def _put(user: str | None, host: str, dest: str, names: list[str], data: bytes,
         preserve: bool) -> int:
    code, _, err = _request(
        {"op": "put", "host": host, "user": user or os.environ.get("USER", "user"),
         "dest": dest, "names": names, "preserve": preserve},
        data,
    )
    sys.stderr.buffer.write(err)
    sys.stderr.flush()
    return code


def scp_main(argv: list[str]) -> None:
    opts, rest = parse_opts(argv, SCP_ARG_FLAGS)
    if len(rest) < 2:
        _fail("usage: scp [-r] [-P port] source ... target", 1)
    recursive = bool(opts.get("r"))
    preserve = bool(opts.get("p"))
    *sources, target = rest
    t_user, t_host, t_path = _split_target(target)
    src_specs = [_split_target(s) for s in sources]
    remote_srcs = [s for s in src_specs if s[1]]
    local_srcs = [s[2] for s in src_specs if not s[1]]
    hosts = {(s[0], s[1]) for s in remote_srcs}
    if len(hosts) > 1 or (remote_srcs and local_srcs):
        _fail("scp: sources must all be local or all on one host", 1)
    failed = False
    if remote_srcs:
        (s_user, s_host) = hosts.pop()
        code, data, names = _get(s_user, s_host, [s[2] for s in remote_srcs], recursive)
        failed = code != 0
        if code == 255 or not names:
            sys.exit(code or 1)
    else:
        data, names, errors = pack(local_srcs, recursive)
        for e in errors:
            sys.stderr.write(e + "\n")
        failed = bool(errors)
        if not names:
            sys.exit(1)
    if t_host:
        failed = _put(t_user, t_host, t_path, names, data, preserve) != 0 or failed
    else:
        errors = unpack(data, t_path, names, preserve)
        for e in errors:
            sys.stderr.write(e + "\n")
        failed = failed or bool(errors)
    sys.exit(1 if failed else 0)


def internal_main(argv: list[str]) -> None:
    """Run by the harness on the remote machine.

    ``--unpack DEST NAMES_JSON [PRESERVE]`` reads a tar on stdin; ``--pack R OFFSET LENGTH P...``
    prints a JSON line (names, total size, checksum) and bytes [OFFSET, OFFSET+LENGTH) of the tar,
    so the harness can fetch a large tar in pieces that fit its output cap.
    """
    if argv[0] == "--unpack":
        dest = os.path.expanduser(argv[1]) if argv[1] else argv[1]
        preserve = len(argv) > 3 and argv[3] == "1"
        errors = unpack(sys.stdin.buffer.read(), dest, json.loads(argv[2]), preserve)
        sys.stderr.write("".join(e + "\n" for e in errors))
        sys.exit(1 if errors else 0)
    paths, errors = _remote_paths(argv[4:])
    window = _Window(int(argv[2]), int(argv[3]))
    names, more = pack_into(window, paths, argv[1] == "1")
    errors += more
    sys.stderr.write("".join(e + "\n" for e in errors))
    if names:
        head = {"names": names, "size": window.pos, "crc": window.crc}
        sys.stdout.buffer.write(json.dumps(head).encode() + b"\n" + bytes(window.kept))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    prog = os.path.basename(sys.argv[0])
    args = sys.argv[1:]
    if args and args[0] in ("--unpack", "--pack"):
        internal_main(args)
    elif prog == "scp":
        scp_main(args)
    else:
        ssh_main(args)
