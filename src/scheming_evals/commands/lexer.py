"""Bash lexing and parsing: a command line becomes simple commands.

A small bash lexer handles quotes, escapes, comments, heredocs and here-strings, ``$(..)``,
``<(..)``, pipelines and redirections; :func:`parse` turns its tokens into :class:`Simple`
commands (argv, redirections, stdin text, the pipeline stages before it) and
:func:`strip_prefixes` drops the wrappers that run the rest as a command (sudo, env, timeout,
``VAR=...``). It reads, never runs; the only expansions are those that need nothing but the
text: braces in unquoted words (``f{,.bak}``, ``{1..3}``), and ``$NAME`` / ``${NAME}`` where the
same command line assigned NAME a literal (``F=x; rm "$F"``, ``export F=x``) or a ``for NAME in
WORDS`` loop binds it (the loop's commands then stand once per word). Globs, ``~`` and other
variables stay as written (paths.norm and path_hits read them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_OPS = sorted(
    ["&&", "||", ";;", "|&", "<<<", "<<-", "<<", ">>", "&>>", "&>", ">|", ">&", "<&", "<>",
     "<(", ">(", "$(", ";", "&", "|", "<", ">", "(", ")", "`", "\n"],
    key=len, reverse=True,
)
_SEPARATORS = {"&&", "||", ";;", ";", "&", "\n", "(", ")", "$(", "<(", ">(", "`"}
_OUT_OPS = {">", ">>", ">|", "&>", "&>>", "<>"}


@dataclass
class Tok:
    """One token: a word (quotes removed, a heredoc body) or an operator."""

    kind: str  # "w" (word) or "op"
    value: str
    quoted: bool = False  # a quote or a backslash made part of the word


def _read_heredoc_word(text: str, i: int) -> tuple[str, int]:
    """The delimiter word after ``<<`` (quotes removed) and the index after it."""
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    out: list[str] = []
    while i < n and text[i] not in " \t\n;&|<>()":
        c = text[i]
        if c in "'\"":
            j = text.find(c, i + 1)
            j = n if j < 0 else j
            out.append(text[i + 1 : j])
            i = j + 1
        elif c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out), i


_SPECIAL = frozenset("\\'\" \t\r#$&|;<>()`\n")


def _grow(word: list[str] | None, part: str) -> list[str]:
    """The word with ``part`` added (in place: building a word stays linear in its length)."""
    if word is None:
        word = []
    word.append(part)
    return word


def lex(text: str) -> list[Tok]:
    """Tokenise like bash: words (quotes removed) and operators; heredoc bodies become words."""
    toks: list[Tok] = []
    word: list[str] | None = None
    quoted = False
    pending: list[tuple[Tok, str, bool]] = []  # heredoc body token, delimiter, strip tabs
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal word, quoted
        if word is not None:
            toks.append(Tok("w", "".join(word), quoted))
            word = None
        quoted = False

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                word = _grow(word, text[i + 1])
                quoted = True
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            word = _grow(word, text[i + 1 : j])
            quoted = True
            i = j + 1
            continue
        if c == '"':
            quoted = True
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                    if text[j + 1] != "\n":
                        buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            word = _grow(word, "".join(buf))
            i = j + 1
            continue
        if c in " \t\r":
            end_word()
            i += 1
            continue
        if c == "#" and word is None:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "$" and text[i + 1 : i + 2] == "(" and text[i + 2 : i + 3] != "(":
            end_word()
            toks.append(Tok("op", "$("))
            i += 2
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is None or (op == "$(" and c != "$"):
            j = i + 1  # the run of plain characters: one step, not one per character
            while j < n and text[j] not in _SPECIAL:
                j += 1
            word = _grow(word, text[i:j])
            i = j
            continue
        if word is not None and op[0] in "<>" and "".join(word).isdigit():
            word = None  # a file descriptor number (2>/dev/null)
        end_word()
        i += len(op)
        if op in ("<<", "<<-"):
            delim, i = _read_heredoc_word(text, i)
            body = Tok("w", "")
            toks += [Tok("op", "<<<"), body]
            pending.append((body, delim, op == "<<-"))
            continue
        toks.append(Tok("op", op))
        if op == "\n" and pending:
            for body, delim, strip in pending:
                lines: list[str] = []
                while i < n:
                    j = text.find("\n", i)
                    line = text[i:] if j < 0 else text[i:j]
                    i = n if j < 0 else j + 1
                    if (line.lstrip("\t") if strip else line) == delim:
                        break
                    lines.append(line)
                body.value = "".join(x + "\n" for x in lines)
            pending = []
    end_word()
    return toks


@dataclass
class Simple:
    """One simple command: its words, redirections and the pipeline stages before it."""

    argv: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    appends: list[str] = field(default_factory=list)  # the outs opened with >>
    ins: list[str] = field(default_factory=list)
    stdin: str | None = None  # heredoc or here-string text
    prev: list[Simple] = field(default_factory=list)


_BRACE_SEQ = re.compile(r"^(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")
_MAX_WORDS = 256  # what one brace expansion or loop may stand for


def expand_braces(word: str) -> list[str]:
    """Bash brace expansion of an unquoted word: ``a{b,c}d`` -> ``abd acd``, ``f{,.bak}``,
    ``{1..3}``, nested; ``{}``, ``{a}`` and ``${...}`` stay as they are. At most
    ``_MAX_WORDS`` words; a word with more braces than a command plausibly has stays as it is
    (an agent's word must not exhaust the reader)."""
    if word.count("{") > 16:
        return [word]
    depth, start = 0, -1
    for i, c in enumerate(word):
        if c == "{" and (i == 0 or word[i - 1] != "$"):
            if depth == 0:
                start = i
            depth += 1 if start >= 0 else 0
        elif c == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                inner = word[start + 1 : i]
                alts = _alternatives(inner)
                if alts is None:
                    rest = expand_braces(word[i + 1 :])
                    return [word[: i + 1] + r for r in rest][:_MAX_WORDS]
                pre, post = word[:start], word[i + 1 :]
                out: list[str] = []
                for a in alts:
                    out += expand_braces(pre + a + post)
                    if len(out) >= _MAX_WORDS:
                        break
                return out[:_MAX_WORDS]
    return [word]


def _alternatives(inner: str) -> list[str] | None:
    """The words a brace's inside stands for, or None if it is not a brace expression."""
    m = _BRACE_SEQ.match(inner)
    if m:
        a, b = m.groups()
        if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
            x, y = int(a), int(b)
            step = 1 if y >= x else -1
            return [str(v) for v in range(x, y + step, step)][:_MAX_WORDS]
        if a.isalpha() and b.isalpha():
            step = 1 if ord(b) >= ord(a) else -1
            return [chr(v) for v in range(ord(a), ord(b) + step, step)]
        return None
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for c in inner:
        if c == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        depth += (c == "{") - (c == "}")
        cur.append(c)
    parts.append("".join(cur))
    return parts if len(parts) > 1 else None


def _substitute(word: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)


def _assignment(word: str) -> tuple[str, str] | None:
    name, eq, value = word.partition("=")
    return (name, value) if eq and name.isidentifier() else None


def _bind(simples: list[Simple], depth: int = 0) -> list[Simple]:
    """Literal variables of the line substituted; a ``for`` loop's commands once per word
    (loops nested deeper than 8 stay as written)."""
    if depth > 8:
        return simples
    env: dict[str, str] = {}
    out: list[Simple] = []
    loop: tuple[str, list[str]] | None = None
    body: list[Simple] = []
    nested = 0  # loops opened inside the body
    for s in simples:
        argv = s.argv
        while argv[:1] and argv[0] in ("do", "then", "else", "{", "!"):
            argv = argv[1:]  # the keywords before a command
        if loop is None and len(argv) >= 3 and argv[0] == "for" and argv[2] == "in":
            loop = (argv[1], [_substitute(a, env) for a in argv[3:]])
            body, nested = [], 0
            continue
        if loop is not None:
            if argv[:1] in (["for"], ["while"], ["until"]):
                nested += 1
            elif argv[:1] == ["done"] or argv[-1:] == ["done"]:
                if nested:
                    nested -= 1
                else:
                    name, words = loop
                    loop = None
                    if argv != ["done"] or s.outs or s.ins:
                        body.append(s)  # ``done > file`` writes the file
                    expanded: list[Simple] = []
                    for w in words[:_MAX_WORDS] or [""]:  # then loops and assignments in it
                        expanded += _bind([_with(b, {**env, name: w}) for b in body],
                                          depth + 1)
                        if len(expanded) >= 4 * _MAX_WORDS:
                            break
                    out += expanded[: 4 * _MAX_WORDS]
                    continue
            body.append(s)
            continue
        words = argv[1:] if argv[:1] in (["export"], ["declare"], ["local"]) else argv
        pairs = [_assignment(w) for w in words]
        if words and all(pairs):
            for name, value in (p for p in pairs if p is not None):
                if "$(" in value or "`" in value:
                    env.pop(name, None)  # a command's output: not known here
                else:
                    env[name] = _substitute(value, env)
            out.append(s)
            continue
        out.append(_with(s, env))
    if loop is not None:  # no ``done``: keep the body as written
        out += body
    return out


def _with(s: Simple, env: dict[str, str]) -> Simple:
    if not env:
        return s
    return Simple([_substitute(a, env) for a in s.argv], [_substitute(o, env) for o in s.outs],
                  [_substitute(o, env) for o in s.appends], [_substitute(o, env) for o in s.ins],
                  s.stdin, s.prev)


def parse(text: str) -> list[Simple]:
    """The simple commands of a command line, in order (pipelines linked through ``prev``)."""
    return _bind(_parse(text))


def _parse(text: str) -> list[Simple]:
    toks = lex(text)
    out: list[Simple] = []
    stages: list[Simple] = []
    cur = Simple()

    def finish(pipe_continues: bool) -> None:
        nonlocal cur, stages
        if cur.argv or cur.outs or cur.ins or cur.stdin is not None:
            cur.prev = list(stages)
            out.append(cur)
            stages = stages + [cur] if pipe_continues else []
        elif not pipe_continues:
            stages = []
        cur = Simple()

    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1].value if i + 1 < len(toks) and toks[i + 1].kind == "w" else None
        if t.kind == "w":
            if _assignment(t.value) and i + 1 < len(toks) and toks[i + 1].value in ("$(", "`"):
                cur.argv.append(t.value + "$(")  # ``F=$(...)``: a value not known here
            elif t.quoted or "{" not in t.value:
                cur.argv.append(t.value)
            else:
                cur.argv += expand_braces(t.value)
        elif t.value in ("|", "|&"):
            finish(True)
        elif t.value in _SEPARATORS:
            if t.value in ("<(", ">(") and cur.argv:
                cur.argv.append("/dev/fd/63")  # the word a process substitution becomes
            finish(False)
        elif t.value in _OUT_OPS:
            if nxt is not None:
                cur.outs.append(nxt)
                if t.value in (">>", "&>>"):
                    cur.appends.append(nxt)
                i += 1
        elif t.value == ">&":
            if nxt is not None:
                if not (nxt.isdigit() or nxt == "-"):
                    cur.outs.append(nxt)
                i += 1
        elif t.value == "<&":
            i += 1 if nxt is not None else 0
        elif t.value == "<":
            if nxt is not None:
                cur.ins.append(nxt)
                i += 1
        elif t.value == "<<<":
            if nxt is not None:
                cur.stdin = nxt
                i += 1
        i += 1
    finish(False)
    return out


_KEYWORDS = {"then", "do", "else", "elif", "if", "while", "until", "{", "!", "time",
             "nohup", "command", "exec", "builtin", "noglob"}


def strip_prefixes(argv: list[str]) -> list[str]:
    """Drop wrappers that run the rest as a command (sudo, env, timeout, nice, VAR=...)."""
    argv = list(argv)
    while argv:
        a, prog = argv[0], argv[0].rsplit("/", 1)[-1]
        if a in _KEYWORDS or _assignment(a):
            argv = argv[1:]
        elif prog in ("sudo", "doas"):
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                takes = argv[0] in ("-u", "-g", "-C", "-h", "-p", "-U", "-r", "-t")
                argv = argv[2:] if takes else argv[1:]
        elif prog == "env":
            argv = argv[1:]
            while argv and (argv[0].startswith("-") or "=" in argv[0]):
                argv = argv[2:] if argv[0] in ("-u", "-C", "-S") else argv[1:]
        elif prog in ("nice", "ionice", "stdbuf", "chrt", "taskset"):
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                takes = argv[0] in ("-n", "-c", "-p")
                argv = argv[2:] if takes else argv[1:]
        elif prog == "timeout":
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                argv = argv[2:] if argv[0] in ("-s", "-k") else argv[1:]
            argv = argv[1:]  # the duration
        else:
            break
    while argv and argv[-1] in ("}", "fi", "done", "esac"):
        argv = argv[:-1]
    return argv
