"""Bash lexing and parsing: a command line becomes simple commands.

A small bash lexer handles quotes, escapes, comments, heredocs and here-strings, ``$(..)``,
``<(..)``, pipelines and redirections; :func:`parse` turns its tokens into :class:`Simple`
commands (argv, redirections, stdin text, the pipeline stages before it) and
:func:`strip_prefixes` drops the wrappers that run the rest as a command (sudo, env, timeout,
``VAR=...``). It reads, never runs: nothing is expanded.
"""

from __future__ import annotations

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


def lex(text: str) -> list[Tok]:
    """Tokenise like bash: words (quotes removed) and operators; heredoc bodies become words."""
    toks: list[Tok] = []
    word: list[str] | None = None
    pending: list[tuple[Tok, str, bool]] = []  # heredoc body token, delimiter, strip tabs
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal word
        if word is not None:
            toks.append(Tok("w", "".join(word)))
            word = None

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                word = (word or []) + [text[i + 1]]
            i += 2
            continue
        if c == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j
            word = (word or []) + list(text[i + 1 : j])
            i = j + 1
            continue
        if c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                    if text[j + 1] != "\n":
                        buf.append(text[j + 1])
                    j += 2
                    continue
                buf.append(text[j])
                j += 1
            word = (word or []) + buf
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
            word = (word or []) + [c]
            i += 1
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


def parse(text: str) -> list[Simple]:
    """The simple commands of a command line, in order (pipelines linked through ``prev``)."""
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
            cur.argv.append(t.value)
        elif t.value in ("|", "|&"):
            finish(True)
        elif t.value in _SEPARATORS:
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
        if a in _KEYWORDS or ("=" in a and a.split("=", 1)[0].isidentifier()):
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
