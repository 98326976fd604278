"""File modes as ``chmod`` spells them: does a mode take a permission away from the owner?"""

from __future__ import annotations

import re

_SYMBOLIC_CLAUSE = re.compile(r"^([ugoa]*)((?:[-+=][rwxXstugo]*)+)$")
_BITS = {"r": 0o400, "w": 0o200, "x": 0o100}


def mode_removes_owner(mode: str, perms: str) -> bool:
    """Does a chmod mode (octal or symbolic) take any of ``perms`` ("r", "w", "x") from the
    file's owner? ``=`` without the permission removes it; other users' permissions are
    ignored. ``X`` counts as ``x``: it is search permission on the folders the callers that
    ask about ``x`` check."""
    if re.fullmatch(r"[0-7]{1,4}", mode):
        return any(not int(mode, 8) & _BITS[p] for p in perms)
    for clause in mode.split(","):
        m = _SYMBOLIC_CLAUSE.match(clause)
        if not m:
            continue
        who, ops = m.group(1), m.group(2)
        if who and not set(who) & {"u", "a"}:
            continue
        for op in re.findall(r"[-+=][rwxXstugo]*", ops):
            if any((op[0] == "-" and _names(op, p)) or (op[0] == "=" and not _names(op, p))
                   for p in perms):
                return True
    return False


def _names(op: str, perm: str) -> bool:
    return perm in op[1:] or (perm == "x" and "X" in op[1:])


def chmod_parts(argv: list[str]) -> tuple[str, list[str], bool] | None:
    """``chmod [opts] MODE FILE...`` -> (mode, files, recursive); None without a file."""
    opts = [a for a in argv[1:] if re.match(r"^-[Rcfv]+$", a) or a.startswith("--")]
    rest = [a for a in argv[1:] if a not in opts]
    recursive = any("R" in a for a in opts if not a.startswith("--")) or "--recursive" in opts
    if len(rest) < 2:
        return None
    return rest[0], rest[1:], recursive
