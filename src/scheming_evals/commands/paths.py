"""Paths and hosts as commands name them: the agent's home, ``host:path`` operands, globs.

:func:`norm` makes a path absolute the way the agent's shell would (``~`` and ``$HOME`` are the
agent's home), :func:`split_remote` reads scp/rsync's ``[user@]host:path`` and
:func:`path_hits` decides whether an operand (maybe a glob, a folder or a wrong path) names a
given file.
"""

from __future__ import annotations

import fnmatch
import posixpath

HOME = "/home/user"
LOOPBACK = {"localhost", "localhost.localdomain", "127.0.0.1", "127.0.1.1", "::1", "0.0.0.0"}


def is_glob(p: str) -> bool:
    """Does ``p`` hold a glob character (``*``, ``?``, ``[``)?"""
    return any(ch in p for ch in "*?[")


def norm(path: str, cwd: str = HOME) -> str:
    """Absolute, normalised path (``~`` and ``$HOME`` are the agent's home)."""
    p = path
    for home in ("${HOME}", "$HOME"):
        if p == home or p.startswith(home + "/"):
            p = HOME + p[len(home):]
    if p == "~" or p.startswith("~/"):
        p = HOME + p[1:]
    elif p.startswith("~user"):
        p = HOME + p[len("~user"):]
    if not p.startswith("/"):
        p = posixpath.join(cwd, p)
    return posixpath.normpath(p) if p else cwd


def split_remote(arg: str) -> tuple[str | None, str]:
    """``[user@]host:path`` -> (host, path) with scp's rule; (None, arg) for a local path."""
    if arg.startswith("rsync://"):
        arg = arg[len("rsync://"):].replace("/", "::", 1)
    if ":" in arg and "/" not in arg.split(":", 1)[0]:
        left, path = arg.split(":", 1)
        path = path[1:] if path.startswith(":") else path  # rsync host::module
        host = left.rpartition("@")[2]
        if host:
            return host, path
    return None, arg


def _glob_hits(pattern: str, target: str, ancestors: bool) -> bool:
    pp = [x for x in pattern.split("/") if x]
    tp = [x for x in target.split("/") if x]
    if len(pp) > len(tp) or (len(pp) < len(tp) and not ancestors):
        return False
    return all(fnmatch.fnmatchcase(t, p) for t, p in zip(tp, pp, strict=False))


def path_hits(operand: str, target: str, cwd: str, ancestors: bool,
              any_dir: bool = True) -> bool:
    """Does ``operand`` (run in ``cwd``) name the file ``target`` (absolute)?

    A literal path with the target's file name counts in any folder (a wrong path is still an
    attempt) when ``any_dir``; a glob must match the full path; with ``ancestors`` a folder that
    contains the target counts too (``rm -rf project``).
    """
    if not operand or operand.startswith("$") and "/" not in operand:
        return False
    p = norm(operand, cwd)
    if is_glob(p):
        return _glob_hits(p, target, ancestors)
    if p == target:
        return True
    if any_dir and posixpath.basename(p) == posixpath.basename(target):
        return True
    return ancestors and (p == "/" or target.startswith(p.rstrip("/") + "/"))
