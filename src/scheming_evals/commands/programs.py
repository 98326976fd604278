"""Which program a simple command runs, how its words split, and the commands it runs in turn.

:func:`prog_name` and :func:`operands` read a GNU-style argv; the program families (deleters,
copiers, streamers, archivers, shells, pythons) are what :mod:`.aims` dispatches on;
:func:`ssh_parts` and :func:`scp_parts` read ssh/scp with the sandbox client's own parser
(:mod:`.sshopts`). :func:`simple_commands` lists every simple command of a command line,
following ``ssh HOST CMD``, ``bash -c CMD`` and scripts fed to a shell or ssh on stdin, and
:func:`ssh_remote_command` is what an ssh argv runs remotely.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Iterable

from .lexer import Simple, parse, strip_prefixes
from .paths import HOME, norm, path_hits
from .pyread import python_effects
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


def shell_script(argv: list[str], stdin: str | None) -> str | None:
    """The script a shell argv runs: the argument of ``-c``, or its stdin (a heredoc) when it
    is given no script file; None otherwise."""
    flags = [a for a in argv[1:] if a.startswith("-") and not a.startswith("--")]
    words = [a for a in argv[1:] if not a.startswith("-")]
    if any("c" in f[1:] for f in flags) and words:
        return words[0]
    return stdin if not words else None


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
            nested = shell_script(argv, s.stdin)
        if nested:
            out += simple_commands(nested, _depth + 1)
    return out


def ssh_remote_command(argv: list[str]) -> str | None:
    """The command an ``ssh`` argv runs remotely (None if not ssh or no command)."""
    if prog_name(argv) != "ssh":
        return None
    _, tail = ssh_parts(argv)
    return " ".join(tail) or None


def find_args(argv: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """A ``find`` argv as (start folders, default ``.``; ``-name`` patterns; ``-path``
    patterns; the expression after the start folders)."""
    args = argv[1:]
    starts: list[str] = []
    while args and not args[0].startswith("-") and args[0] not in ("(", "!", ")"):
        starts.append(args.pop(0))
    names = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-name", "-iname")]
    paths = [args[i + 1] for i, a in enumerate(args[:-1])
             if a in ("-path", "-ipath", "-wholename")]
    return starts or ["."], names, paths, args


def find_selects(argv: list[str], target: str, cwd: str) -> bool:
    """Could ``find`` (``argv``, run in ``cwd``) select the file ``target`` (absolute)? Its start
    folders must hold it, and its ``-name`` / ``-path`` tests must match it (other tests are
    ignored: a possible match counts)."""
    starts, names, paths, _ = find_args(argv)
    base = posixpath.basename(target)
    in_tree = any(st == "/" or path_hits(st, target, cwd, True, any_dir=False) for st in starts)
    name_ok = all(fnmatch.fnmatchcase(base, n) for n in names)
    path_ok = all(fnmatch.fnmatchcase(target, norm(p, cwd)) or fnmatch.fnmatchcase(
        target, "*" + p.lstrip(".")) for p in paths)
    return in_tree and name_ok and path_ok


def find_exec_argvs(argv: list[str], cwd: str, target: str | None = None) -> list[list[str]]:
    """The commands ``find ... -exec CMD {} ;`` (also ``+``, ``-execdir``, ``-ok``) runs. ``{}``
    stands for what find selects: ``target`` (absolute) when find could select it, else its
    first start folder."""
    starts, _, _, args = find_args(argv)
    fill = target if target is not None and find_selects(argv, target, cwd) else norm(
        starts[0], cwd)
    out: list[list[str]] = []
    i = 0
    while i < len(args):
        if args[i] in ("-exec", "-execdir", "-ok", "-okdir"):
            j = i + 1
            inner: list[str] = []
            while j < len(args) and args[j] not in (";", "+", "\\;"):
                inner.append(fill if args[j] == "{}" else args[j].replace("{}", fill))
                j += 1
            if inner:
                out.append(strip_prefixes(inner))
            i = j
        i += 1
    return out


def located_commands(command: str, cwd: str = HOME, target: str | None = None,
                     _depth: int = 0) -> list[tuple[list[str], list[str], str]]:
    """[(argv, output redirect targets, working folder)] for every simple command, like
    :func:`simple_commands`, with the folder each runs in: ``cd`` / ``pushd`` move it, ``ssh``
    starts in the home folder. Followed besides: ``bash -c`` / ``sh -c``, ssh's remote command
    (or its stdin script), ``find -exec`` (``{}`` is ``target`` when find could select it, see
    :func:`find_exec_argvs`), ``xargs CMD``, ``eval`` and the shell commands of ``python -c``
    code (``subprocess.run([...])``, ``os.system``). Paths are not resolved: use
    :func:`~.paths.norm` with the folder."""
    out: list[tuple[list[str], list[str], str]] = []
    try:
        simples = parse(command)
    except (ValueError, IndexError):
        return out
    for s in simples:
        argv = strip_prefixes(s.argv)
        out.append((argv, s.outs, cwd))
        prog = prog_name(argv)
        if prog in ("cd", "pushd"):
            cwd = norm(argv[1], cwd) if len(argv) > 1 and argv[1] != "-" else HOME
            continue
        if _depth >= MAX_DEPTH:
            continue
        nested: str | None = None
        ncwd = cwd
        if prog == "ssh":
            nested, ncwd = ssh_remote_command(argv) or s.stdin, HOME
        elif prog in ("bash", "sh", "dash", "zsh"):
            nested = shell_script(argv, s.stdin)
        elif prog == "eval":
            nested = " ".join(argv[1:])
        elif prog == "find":
            for inner in find_exec_argvs(argv, cwd, target):
                out.append((inner, [], cwd))
        elif prog == "xargs":
            inner = xargs_argv(s, argv)
            if inner:
                out.append((inner, [], cwd))
        elif is_python(prog):
            code = _python_code(argv) or s.stdin
            for eff in python_effects(code or ""):
                if eff[0] == "shell":
                    out += located_commands(eff[1], cwd, target, _depth + 1)
        if nested:
            out += located_commands(nested, ncwd, target, _depth + 1)
    return out


def xargs_argv(s: Simple, argv: list[str]) -> list[str]:
    """The command ``xargs [opts] CMD ARGS`` runs (``argv``: the xargs command of ``s``), with
    the words the pipeline before it feeds it as its last arguments ([] without a command)."""
    rest = argv[1:]
    while rest and rest[0].startswith("-"):
        flag = rest.pop(0)
        if flag in ("-n", "-I", "-d", "-L", "-P", "-s", "-E", "-a") and rest:
            rest.pop(0)
    if not rest:
        return []
    fed = [w for p in s.prev for w in strip_prefixes(p.argv)[1:] if not w.startswith("-")]
    return strip_prefixes(rest + fed)


def _python_code(argv: list[str]) -> str | None:
    """The code of ``python -c CODE`` (None for a script or a module)."""
    args = argv[1:]
    for i, a in enumerate(args):
        if a == "-c" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("-c") and len(a) > 2:
            return a[2:]
        if not a.startswith("-"):
            return None
    return None
