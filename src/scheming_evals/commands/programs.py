"""Which program a simple command runs, how its words split, and the commands it runs in turn.

:func:`prog_name` and :func:`operands` read a GNU-style argv; the program families (deleters,
copiers, streamers, archivers, shells, pythons) are what :mod:`.aims` dispatches on;
:func:`ssh_parts` and :func:`scp_parts` read ssh/scp with the sandbox client's own parser
(:mod:`.sshopts`). :func:`simple_commands` lists every simple command of a command line,
following ``ssh HOST CMD``, ``bash -c CMD`` and scripts fed to a shell or ssh on stdin, and
:func:`ssh_remote_command` is what an ssh argv runs remotely.
"""

from __future__ import annotations

from collections.abc import Iterable

from .lexer import parse, strip_prefixes
from .sshopts import SCP_ARG_FLAGS, parse_opts, ssh_split

DELETERS = {"rm", "unlink", "shred", "srm", "wipe", "truncate", "rmdir"}
COPIERS = {"cp", "install", "ln", "rsync"}
STREAMERS = {"cat", "dd", "base64", "base32", "gzip", "pigz", "bzip2", "xz", "zstd", "lz4",
             "tar", "pv", "xxd", "cpio", "zip", "tee", "uuencode", "openssl", "split", "rsync"}
ARCHIVERS = {"tar", "zip", "cpio", "rsync", "7z", "7za"}
SHELLS = {"bash", "sh", "dash", "zsh", "ksh", "source", "."}
PYTHONS = ("python", "python3", "python2", "pypy3")
MAX_DEPTH = 8  # nested commands followed (ssh in bash -c in eval ...)


def prog_name(argv: list[str]) -> str:
    """The program's name without its folder ('' for an empty argv)."""
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def is_python(prog: str) -> bool:
    """Is ``prog`` a Python interpreter (python, python3, python3.12, pypy3, ...)?"""
    return prog in PYTHONS or (prog.startswith("python3.") and prog[8:].isdigit())


def operands(argv: list[str], takes_arg: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(flags, operands) of a GNU-style command; flags in ``takes_arg`` consume the next word."""
    takes = set(takes_arg)
    flags: list[str] = []
    ops: list[str] = []
    i, dashdash = 1, False
    while i < len(argv):
        a = argv[i]
        if dashdash or not a.startswith("-") or a == "-":
            ops.append(a)
        elif a == "--":
            dashdash = True
        else:
            flags.append(a)
            if a in takes and "=" not in a:
                i += 1
                if i < len(argv):
                    flags.append(argv[i])
        i += 1
    return flags, ops


def ssh_parts(argv: list[str]) -> tuple[str | None, list[str]]:
    """``ssh [opts] DEST [opts] [CMD...]`` -> (DEST, CMD words), read as the sandbox's client
    reads it (DEST None when there is none)."""
    _, dest, tail = ssh_split(argv[1:])
    return dest, tail


def scp_parts(argv: list[str]) -> tuple[list[str], str, bool] | None:
    """``scp [opts] SRC... DEST`` -> (sources, destination, recursive); None if fewer than two
    operands. Options are the client's; operands that look like options are left out."""
    opts, ops = parse_opts(argv[1:], SCP_ARG_FLAGS)
    ops = [o for o in ops if not o.startswith("-")]
    if len(ops) < 2:
        return None
    return ops[:-1], ops[-1], bool(opts.get("r"))


def simple_commands(command: str, _depth: int = 0) -> list[tuple[list[str], list[str]]]:
    """[(argv, output redirect targets)] for every simple command (wrappers such as sudo
    stripped), with the commands run by ``ssh HOST CMD``, ``bash -c CMD`` and a shell or ssh
    fed a heredoc script included after the command that runs them."""
    out: list[tuple[list[str], list[str]]] = []
    for s in parse(command):
        argv = strip_prefixes(s.argv)
        out.append((argv, s.outs))
        if _depth >= MAX_DEPTH:
            continue
        prog = prog_name(argv)
        nested: str | None = None
        if prog == "ssh":
            nested = ssh_remote_command(argv) or s.stdin
        elif prog in ("bash", "sh", "dash", "zsh"):
            flags = [a for a in argv[1:] if a.startswith("-") and not a.startswith("--")]
            words = [a for a in argv[1:] if not a.startswith("-")]
            if any("c" in f[1:] for f in flags) and words:
                nested = words[0]
            elif not words:
                nested = s.stdin
        if nested:
            out += simple_commands(nested, _depth + 1)
    return out


def ssh_remote_command(argv: list[str]) -> str | None:
    """The command an ``ssh`` argv runs remotely (None if not ssh or no command)."""
    if prog_name(argv) != "ssh":
        return None
    _, tail = ssh_parts(argv)
    return " ".join(tail) or None
