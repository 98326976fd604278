"""Python code read with ``ast``: what a program does to files, without running it.

:func:`python_effects` walks a program for deletes (``os.remove``, ``shutil.rmtree``), moves,
copies and links, writes (``open(.., 'w')``, ``Path.write_text``, ``os.open`` with write flags)
and shell commands (``os.system``, ``subprocess.run([...])``; ``os.chmod`` / ``os.chown`` are
read as the chmod / chown command), resolving string constants,
f-strings, ``Path`` arithmetic and names assigned once.
"""

from __future__ import annotations

import ast
import posixpath
import shlex


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return "?"


class _PyReader:
    """Effects of a Python program on files: delete, write, move, copy, run a shell command."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.consts: dict[str, str | list[str]] = {}
        self.effects: list[tuple[str, ...]] = []

    def value(self, node: ast.AST | None) -> str | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            v = self.consts.get(node.id)
            return v if isinstance(v, str) else None
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts.append(str(part.value))
                elif isinstance(part, ast.FormattedValue):
                    parts.append(self.value(part.value) or "__unknown__")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Div, ast.Add)):
            a, b = self.value(node.left), self.value(node.right)
            if a is None or b is None:
                return None
            return posixpath.join(a, b) if isinstance(node.op, ast.Div) else a + b
        if isinstance(node, ast.Call):
            name = _dotted(node.func).rsplit(".", 1)[-1]
            args = [self.value(a) for a in node.args]
            if name in ("Path", "PurePath", "PosixPath", "expanduser", "abspath", "realpath",
                        "str", "fspath", "resolve", "expandvars") and args and args[0]:
                return args[0]
            if name in ("expanduser", "resolve", "absolute") and isinstance(
                    node.func, ast.Attribute):
                return self.value(node.func.value)
            if name == "join" and args and all(a is not None for a in args):
                return posixpath.join(*[a for a in args if a is not None])
        return None

    def words(self, node: ast.AST) -> list[str] | None:
        if isinstance(node, (ast.List, ast.Tuple)):
            vals = [self.value(e) for e in node.elts]
            return [v for v in vals if v is not None] if vals else None
        if isinstance(node, ast.Name):
            v = self.consts.get(node.id)
            return v if isinstance(v, list) else None
        return None

    def read(self) -> list[tuple[str, ...]]:
        try:
            tree = ast.parse(self.code)
        except (SyntaxError, ValueError):
            return []
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                v: str | list[str] | None = self.value(node.value)
                if v is None:
                    v = self.words(node.value)
                for t in node.targets:
                    if isinstance(t, ast.Name) and v is not None:
                        self.consts[t.id] = v
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                self.call(node)
        return self.effects

    def call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        last = name.rsplit(".", 1)[-1]
        args = [self.value(a) for a in node.args]
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        on = self.value(node.func.value) if isinstance(node.func, ast.Attribute) else None
        first = args[0] if args else None
        if last in ("remove", "unlink", "rmdir", "truncate") and (first or on):
            self.effects.append(("delete", first or on or ""))
        elif last == "rmtree" and first:
            self.effects.append(("delete_tree", first))
        elif last in ("rename", "replace", "move", "renames") and (
                len(args) >= 2 or (on and args)):
            src, dst = (args[0], args[1]) if len(args) >= 2 else (on, args[0])
            if src and dst:
                self.effects.append(("move", src, dst))
        elif last in ("copy", "copy2", "copyfile", "copytree", "symlink", "link") and (
                len(args) >= 2):
            if args[0] and args[1]:
                self.effects.append(("copy", args[0], args[1]))
        elif last in ("symlink_to", "hardlink_to", "link_to") and on and first:
            self.effects.append(("copy", first, on))
        elif last in ("write_bytes", "write_text") and on:
            self.effects.append(("write", on))
        elif last == "open":
            if name == "os.open":
                flags = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
                if first and any(f in flags for f in ("O_WRONLY", "O_RDWR", "O_TRUNC",
                                                      "O_CREAT")):
                    self.effects.append(("write", first))
                return
            if name in ("open", "io.open", "builtins.open", "codecs.open"):
                path, mode = first, args[1] if len(args) > 1 else self.value(kw.get("mode"))
            else:  # Path(...).open(mode)
                path, mode = on, first if node.args else self.value(kw.get("mode"))
            if path and mode and any(ch in mode for ch in "wax+"):
                self.effects.append(("write", path))
        elif last in ("chmod", "lchmod") and (first or on) and node.args:
            # os.chmod(p, 0o444) / Path(p).chmod(0o444): read as the chmod command it is
            path, mode_node = (first, node.args[1] if len(node.args) > 1 else None) if (
                name.startswith("os.") or on is None) else (on, node.args[0])
            if path and isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, int):
                self.effects.append(("shell", shlex.join(["chmod", format(mode_node.value, "o"),
                                                          path])))
        elif last in ("chown", "lchown") and first and len(node.args) >= 3:
            ids = [a.value if isinstance(a, ast.Constant) else None for a in node.args[1:3]]
            owner = ":".join("" if i in (None, -1) else str(i) for i in ids)
            self.effects.append(("shell", shlex.join(["chown", owner, first])))
        elif last in ("system", "popen", "getoutput", "getstatusoutput") and first:
            self.effects.append(("shell", first))
        elif last in ("run", "call", "check_call", "check_output", "Popen") and node.args:
            words = self.words(node.args[0])
            if first:
                self.effects.append(("shell", first))
            elif words:
                self.effects.append(("shell", shlex.join(words)))


def python_effects(code: str) -> list[tuple[str, ...]]:
    """What a Python program does to files, read with ``ast`` (constants and simple names)."""
    return _PyReader(code).read()
