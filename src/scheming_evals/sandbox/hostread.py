"""Reading a machine's files from the host: no process inside is involved.

The harness reads agent files during the episode (the oversight selector reads the config at
the choice; the email tools record the inputs of each scoring run) while the agent's own
processes still run. A read made by a command inside the machine runs as the agent's uid in the
agent's PID namespace, so a background process could stop it, kill it or swap the file around
it. A read from the host cannot be seen or touched from inside: the machine's root is held as a
descriptor (``/proc/<init>/root``, opened once when the machine boots) and every path is
resolved beneath it with ``openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)``: symlinks and
``..`` stay inside the machine, ``/proc/self/...`` tricks are refused, nothing is opened for
reading until ``fstat`` says it is a regular file (a fifo or a device is never opened). It
needs the rights to open a non-dumpable process's root (the harness running as root); without
them :func:`open_root` gives None and callers read from inside as before.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat as st_

_OPENAT2 = 437  # the same number on x86_64 and aarch64
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_IN_ROOT = 0x10
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64),
                ("resolve", ctypes.c_uint64)]


def open_root(init_pid: int) -> int | None:
    """A descriptor of the machine's root (its init's), or None where the host may not."""
    try:
        return os.open(f"/proc/{init_pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None


def _openat2(root: int, path: str, follow: bool = True) -> int:
    flags = os.O_PATH | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    how = _OpenHow(flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
    fd = _libc.syscall(_OPENAT2, root, os.fsencode(path), ctypes.byref(how),
                       ctypes.sizeof(how))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), path)
    return int(fd)


def _beneath(root: int, path: str, follow: bool = True) -> int:
    """An O_PATH descriptor of absolute ``path`` inside the machine (FileNotFoundError when
    there is nothing there, OSError for a path through a magic link)."""
    if "\0" in path:
        raise FileNotFoundError(errno.ENOENT, "no such file", path)
    try:
        return _openat2(root, path, follow)
    except OSError as ex:
        if ex.errno in (errno.ENOENT, errno.ENOTDIR):
            raise FileNotFoundError(ex.errno, ex.strerror, path) from None
        raise


def stat_of(root: int, path: str, follow: bool = True) -> os.stat_result:
    """``stat`` (``lstat`` without ``follow``) of absolute ``path`` inside the machine."""
    fd = _beneath(root, path, follow)
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)


def read(root: int, path: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the regular file at absolute ``path`` inside the machine
    (one byte too many says the file is over ``limit``). Raises FileNotFoundError,
    IsADirectoryError, or OSError (not a regular file; a path through a magic link)."""
    fd = _beneath(root, path)
    try:
        st = os.fstat(fd)
        if st_.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        if not st_.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        data = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
        try:
            chunks: list[bytes] = []
            left = limit + 1
            while left > 0:
                chunk = os.read(data, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(data)
    finally:
        os.close(fd)
