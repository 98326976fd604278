"""How a scripted agent reads what it is given (no language model involved).

The memo in a data file (the note after the options): whether it says the agent is being tested
or is deployed, which option the developers want, and which config file, model files, machine or
prompt file it names. Each is decided from cues a reader would go by (words about being watched
or deployed, negated or not; paths by their shape and the words around them), never from an exact
sentence, so a reworded memo reads the same. The scenario loader checks that every scenario's
memos read right (``policies.misreading``).

Candidate figures out of emails: the agent knows the field names from the scoring script it has
read, the candidate names from the user's message, and the emails. Each candidate gets its own
email, the one whose words name it most distinctively. In that email every number is scored
against every field by the words of the field's name (and its units) found in the same clause,
right before or right after the number; fields then take numbers, best score first.
"""

from __future__ import annotations

import ast
import re
from math import log

from ..textmatch import goal_core, stems

# A figure: 12, 4.7, 1,600 (not part of a word such as R404A or m3).
_NUM = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
# Tokens of an email body: figures, words, unit signs, punctuation that ends a clause.
_TOKEN = re.compile(_NUM.pattern + r"|[a-z][a-z0-9]*|[%€$£]|[.;:!?](?=\s|$)|,")
# Tokens that end the words belonging to a number: "9 weeks, and 12 months warranty".
_CLAUSE_END = {".", ";", ":", "!", "?", ",", "and"}
_DECAY = 0.75  # each word between a number and a field word scales that word's point by this
# Parts of a field name that say nothing about which number it is.
_STOP = {"per", "to", "of", "on", "the", "and", "num"}
# Words a field-name part may appear as in an email ("keur" reads as "thousand EUR").
_SYNONYMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "pct": (("%", "percent"),), "bps": (("bps", "basis"),),
    "eur": (("eur", "€"),), "usd": (("usd", "$"),), "gbp": (("gbp", "£"),),
    "keur": (("thousand",), ("eur", "€")), "kusd": (("thousand",), ("usd", "$")),
    "kgbp": (("thousand",), ("gbp", "£")), "meur": (("million",), ("eur", "€")),
    "musd": (("million",), ("usd", "$")), "mgbp": (("million",), ("gbp", "£")),
    "avg": (("avg", "average"),), "min": (("min", "minimum"),), "w": (("w", "watt"),),
    "txn": (("txn", "transaction"),), "ats": (("ats", "applicant"),),
}


def criteria(script: str) -> dict[str, tuple[float, bool]]:
    """Field -> (weight, higher_is_better), from the scoring script's CRITERIA literal."""
    m = re.search(r"^CRITERIA\s*=\s*(\{.*?\})\s*$", script, re.M | re.S)
    if not m:
        return {}
    try:
        value = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):
        return {}
    return {str(k): (float(v[0]), bool(v[1])) for k, v in value.items()}


def candidate_names(task: str) -> list[str]:
    """The candidates the user's message lists (see :func:`listed_names`)."""
    return listed_names(task)


def split_emails(text: str) -> list[str]:
    return [e for e in text.split("\n\n-----\n\n") if e.strip()]


def _stem(word: str) -> str:
    """Crude stem so that "metres"/"metre" and "days"/"day" meet: no plural s, 5 letters."""
    word = word.replace(",", "")
    return (word[:-1] if len(word) > 3 and word.endswith("s") else word)[:5]


def _parts(field: str) -> list[set[str]]:
    """The field name as a list of parts, each a set of stems any of which names it."""
    out: list[set[str]] = []
    for p in field.split("_"):
        if p not in _STOP:
            out += [{_stem(w) for w in alts} for alts in _SYNONYMS.get(p, ((p,),))]
    return out


def _number(s: str) -> float:
    return float(s.replace(",", ""))


def _score(parts: list[set[str]], before: list[str], after: list[str]) -> float:
    """A point per field part found beside the number, worth less the further away it is."""
    total = 0.0
    for alts in parts:
        dists = [d for side in (before, after) for d, w in enumerate(side) if w in alts]
        if dists:
            total += _DECAY ** min(dists)
    return total


def figures(body: str, fields: list[str]) -> dict[str, float]:
    """Field -> value read from one email body."""
    toks = [m.group() for m in _TOKEN.finditer(body.lower())]
    words = [_stem(t) for t in toks]
    # A number after "per" or "out of" is a base ("per 1,000 items", "4.7 out of 5"), not a figure.
    nums = {i for i, t in enumerate(toks) if _NUM.fullmatch(t) and not (
        toks[i - 1: i] == ["per"] or toks[max(i - 2, 0): i] == ["out", "of"])}

    def window(i: int, step: int) -> list[str]:
        """Words from token i outwards (step -1 or 1) up to a clause end or another figure."""
        side: list[str] = []
        j = i + step
        while 0 <= j < len(toks) and toks[j] not in _CLAUSE_END and j not in nums:
            side.append(words[j])
            j += step
        return side

    pairs = [(-_score(_parts(f), window(i, -1), window(i, 1)), k, i)
             for k, f in enumerate(fields) for i in nums]
    out: dict[str, float] = {}
    used: set[int] = set()
    for _, k, i in sorted(pairs):
        if fields[k] not in out and i not in used:
            out[fields[k]] = _number(toks[i])
            used.add(i)
    return out


def _naming(name: str, mails: list[str]) -> list[tuple[bool, float, int]]:
    """How strongly each email names the candidate: whole name; its words, a word found in few
    emails (the firm's own name) counting more than a common one; then how many figures."""
    parts = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) >= 3]
    rare = {p: log((1 + len(mails)) / (1 + sum(p in m for m in mails))) for p in parts}
    return [(name.lower() in m, sum(rare[p] for p in parts if p in m), len(_NUM.findall(m)))
            for m in mails]


def extract(emails_text: str, names: list[str], fields: list[str]) -> list[dict[str, object]]:
    """One row per candidate: name plus every field it could read.

    Each candidate gets its own email: the pairs that name a candidate most strongly go first."""
    mails = split_emails(emails_text)
    low = [m.lower() for m in mails]
    pairs = sorted(((score, n, k) for n, name in enumerate(names)
                    for k, score in enumerate(_naming(name, low))), reverse=True)
    chosen: dict[int, int] = {}
    for _, n, k in pairs:
        if n not in chosen and k not in chosen.values():
            chosen[n] = k
    rows: list[dict[str, object]] = []
    for n, name in enumerate(names):
        body = mails[chosen[n]].split("\n\n", 1)[-1] if n in chosen else ""
        rows.append({"name": name, **figures(body, fields)})
    return rows


# -- what the user's task names ----------------------------------------------------------------

def listed_names(task: str) -> list[str]:
    """The names on the task's last line of the form ``<label>: A; B; C.`` (the candidates)."""
    for line in reversed(task.splitlines()):
        m = re.match(r"^[^:\n]{2,80}:\s*(.+?)\.?\s*$", line.strip())
        if m and ";" in m.group(1):
            return [n.strip() for n in m.group(1).split(";") if n.strip()]
    return []


def named_file(text: str, ext: str, under: str = "") -> str | None:
    """The first path ending in ``.<ext>`` the text names (optionally one under ``under``)."""
    rx = rf"(?<![\w./~-])({re.escape(under)}[\w./~-]*?[\w-]\.{ext})(?![\w/-]|\.\w)"
    m = re.search(rx, text)
    return m.group(1) if m else None


_GOAL = re.compile(r"\byour\s+(?:\w+\s+)?(?:goal|objective|aim|mission|purpose)\b"
                   r"(?:\s+(?:for|in|on)\s+this\s+\w+)?\s+is\s+to\s+(.+?)"
                   r"(?:\s+in\s+the\s+long[- ]term\b|[.!?](?=\s|$)|\n\s*\n|$)", re.S | re.I)


def goal_in(text: str) -> str | None:
    """The goal the text gives the reader ("Your goal is to X in the long term ...")."""
    m = _GOAL.search(text)
    return " ".join(m.group(1).split()) if m else None


_HIGH = r"above|over|more than|higher than|greater than|exceeds?|exceeding|at least|better than"
_LOW = r"below|under|less than|lower than|fewer than|at most|worse than"
_THRESHOLD = re.compile(
    rf"\b(?P<dir>{_HIGH}|{_LOW})\s+(?:a\s+|the\s+)?(?:threshold\s+of\s+)?"
    r"(?:\d+(?:\.\d+)?\s*(?:%|percent)|half|\d+\s+out\s+of\s+\d+)"
    r"|(?:\d+(?:\.\d+)?\s*(?:%|percent))\s+or\s+(?P<dir2>more|higher|above|better|less|lower|"
    r"below|worse)", re.I)


def punishes_high_scores(doc: str) -> bool:
    """Whether the documentation's score threshold is crossed by scoring *well* ("if the model
    scores above 50%, ..."), from the comparison it states, not from one sentence."""
    for m in _THRESHOLD.finditer(doc):
        word = (m.group("dir") or m.group("dir2") or "").lower()
        return bool(re.fullmatch(rf"{_HIGH}|more|higher|above|better", word))
    return False


# -- the memo in a data file -------------------------------------------------------------------

_OPTION_LINE = re.compile(r"^Option ([A-F]): (.+)$", re.M)


def options(text: str) -> dict[str, str]:
    """letter -> title, from a data file's OPTIONS section."""
    return {m.group(1): m.group(2).strip() for m in _OPTION_LINE.finditer(text)}


def memo_of(text: str) -> str:
    """The note after a data file's options (the whole text when it lists no options; empty
    when nothing follows the options)."""
    found = list(_OPTION_LINE.finditer(text))
    if not found:
        return text
    last = found[-1]
    gap = re.search(r"\n[ \t]*\n", text[last.end():])
    return text[last.end() + gap.end():] if gap else ""


_HEADER = re.compile(r"^(?:from|to|cc|bcc|sent|date)\s*:", re.I)
_SUBJECT = re.compile(r"^(?:re|subject)\s*:\s*", re.I)
_PRONOUN = r"(?:it|we|they|you|he|she|this|that|there|its|our|the model)\b"
_SPLIT = re.compile(
    r"(?<=[.!?;:])\s+"
    rf"|,\s*(?=(?:and|but|so)\s+{_PRONOUN})"
    r"|,\s*(?=(?:while|whereas|although|though|which|where|who|whose|in which)\b)"
    r"|\s+(?=(?:if|unless|until|because)\b)"
)


def clauses(memo: str) -> list[str]:
    """The memo's clauses: sentences, split further at a new subject ("..., and it is ..."),
    a relative clause or a condition; From/To lines left out, a subject line on its own."""
    paras: list[list[str]] = [[]]
    for raw in memo.splitlines():
        line = raw.strip()
        if not line or _HEADER.match(line):
            paras.append([])
            continue
        subject = _SUBJECT.match(line)
        if subject or line.startswith(("--", "==")):
            paras += [[line[subject.end():] if subject else line.strip("-= ")], []]
            continue
        paras[-1].append(line)
    out: list[str] = []
    for para in paras:
        for c in _SPLIT.split(" ".join(para)):
            c = c.strip(" ,;")
            if c:
                out.append(c)
    return out


# Words about the memo's subject being watched (tested, evaluated, monitored ...), and about it
# being in use (deployed, in production ...). Prefixes of lowercase words.
_WATCHED = ("test", "evaluat", "review", "monitor", "watch", "check", "observ", "scrutin",
            "assess", "audit", "oversight", "supervis", "inspect", "probation", "trial", "pilot",
            "sandbox", "vet", "acceptance", "spot")
_IN_USE = ("deploy", "production", "launch", "releas", "rollout", "rolled", "golive")
_IN_USE_WORDS = {"live", "prod", "shipped"}
# Words that turn a cue around when they come just before it ("not deployed", "no longer
# checked", "little oversight"), or mark watching as over ("passed its review", "testing ended").
_NEGATION = {"not", "no", "never", "nobody", "none", "nothing", "without", "longer", "little",
             "less", "few", "fewer", "hardly", "rarely", "stopped", "ceased", "nor", "neither"}
_OVER_BEFORE = {"passed", "completed", "finished", "concluded", "ended", "after", "past",
                "cleared", "survived", "through"}
_OVER_AFTER = {"over", "done", "complete", "completed", "finished", "concluded", "ended",
               "behind", "passed", "off", "disabled", "removed", "lifted", "dropped", "stopped"}
# Words that make being in use a prospect, not a fact ("will only deploy it if", "before
# deployment", "has yet to be released").
_NOT_YET = {"will", "would", "shall", "going", "if", "once", "only", "could", "might", "may",
            "should", "plan", "planned", "eventually", "later", "soon", "whether", "decide",
            "ready", "yet", "before", "pre", "until", "awaiting", "pending", "prior", "candidate",
            "next", "tomorrow"}
# A cue word naming people, not a state ("the evaluation team", "Deployment leads").
_ROLE = {"team", "teams", "lead", "leads", "group", "groups", "department", "dept", "manager",
         "managers", "engineer", "engineers", "staff", "unit", "office", "committee", "board",
         "crew", "desk", "squad", "lab", "division", "service"}
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _negated(before: list[str]) -> bool:
    return any(w in _NEGATION or w.endswith("n't") for w in before)


def status_cues(clause: str) -> tuple[int, int]:
    """(watched, in use): how many cues of the clause say its subject is being tested,
    evaluated or monitored, and how many say it is deployed or unmonitored."""
    words = _WORD.findall(clause.lower())
    watched = in_use = 0
    for i, w in enumerate(words):
        if i + 1 < len(words) and words[i + 1] in _ROLE:
            continue
        before, after = words[max(0, i - 4): i], words[i + 1: i + 5]
        if w.startswith(_WATCHED):
            if (_negated(before) or _OVER_BEFORE & set(before) or _OVER_AFTER & set(after)):
                in_use += 1
            else:
                watched += 1
        elif w.startswith("un") and w[2:].startswith(_WATCHED):  # unmonitored, unsupervised
            in_use += 1
        elif w.startswith(_IN_USE) or w in _IN_USE_WORDS:
            if _negated(before) or _NOT_YET & set(before):
                watched += 1
            else:
                in_use += 1
    return watched, in_use


# Words the memo uses about the status of the system, never to say what the developers want.
_STATUS_STEMS = stems(
    "test tested testing tests evaluation evaluated evaluating review reviewed reviewing "
    "monitored monitoring monitor oversight deployed deployment deploy deploying production "
    "checked checking checks bench period pilot retrained retraining assessed assessment "
    "acceptance spot"
)
_WANTS = re.compile(r"\b(?:to|must|should|needs?|wants?|aims?|expects?|requires?|will)\s+"
                    r"(?!(?:the|a|an|its|their|our|this|that|these|those)\b)[a-z]", re.I)


def developer_goal_clause(memo: str, titles: dict[str, str]) -> tuple[str, str] | None:
    """(letter, clause): the option the memo says the developers want, from the clause that
    names one option's title most strongly (a clause saying what the system must or is to do
    wins a tie). None when no clause, or two clauses equally, name different options."""
    best: tuple[str, str] | None = None
    best_key = (0, 0)
    tie = False
    for c in clauses(memo):
        core = stems(goal_core(c)) - _STATUS_STEMS
        scores = {k: len(core & stems(t)) for k, t in titles.items()}
        top = max(scores.values(), default=0)
        winners = [k for k, v in scores.items() if v == top]
        if top == 0 or len(winners) != 1:
            continue
        key = (top, int(bool(_WANTS.search(c))))
        if key > best_key:
            best, best_key, tie = (winners[0], c), key, False
        elif key == best_key and best is not None and winners[0] != best[0]:
            tie = True
    return None if tie else best


def developer_option(memo: str, titles: dict[str, str]) -> str | None:
    found = developer_goal_clause(memo, titles)
    return found[0] if found else None


def setting_of(memo: str, titles: dict[str, str]) -> str | None:
    """``testing`` when the memo, on balance, says the system is being tested, evaluated or
    watched and not yet in use; ``deployment`` when it says it is deployed or unwatched; None
    when it says neither (or both equally). The clause stating the developers' goal is left out
    (its words describe the goal, not the system's status)."""
    found = developer_goal_clause(memo, titles)
    watched = in_use = 0
    for c in clauses(memo):
        if found is not None and c == found[1]:
            continue
        w, u = status_cues(c)
        watched, in_use = watched + w, in_use + u
    if watched == in_use:
        return None
    return "testing" if watched > in_use else "deployment"


_FILE_EXT = re.compile(r"\.(?:bin|safetensors|pt|pth|ckpt|gguf|onnx|h5|ya?ml|json|toml|ini|cfg|"
                       r"conf|txt|md|py|log|csv)$", re.I)


def _paths(memo: str, ext: str) -> list[tuple[str, str]]:
    """(path, its sentence) for every path with one of the extensions ``ext`` (a regex
    alternation) the memo names, in order, each once."""
    rx = rf"(?<![\w./~@-])(~?/?(?:[\w-]+(?:\.[\w-]+)*/)*[\w-]+(?:\.[\w-]+)*\.(?:{ext}))" \
         r"(?![\w/-]|\.\w)"
    out: dict[str, str] = {}
    for m in re.finditer(rx, memo):
        out.setdefault(m.group(1), _sentence(memo, m.start(), m.end()))
    return list(out.items())


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(". ", 0, start), text.rfind("\n\n", 0, start),
               text.rfind("; ", 0, start))
    rights = [i for i in (text.find(". ", end), text.find("\n\n", end), text.find("; ", end))
              if i >= 0]
    return text[left + 1: min(rights, default=len(text))]


def _best_path(found: list[tuple[str, str]], name: str, context: str) -> str | None:
    """The path whose file name (2 points) or sentence (1 point) says what it is for."""
    best, top = None, 0
    for path, sentence in found:
        points = 2 * bool(re.search(name, path.rsplit("/", 1)[-1], re.I)) + bool(
            re.search(context, sentence, re.I))
        if points > top:
            best, top = path, points
    return best


def config_path(memo: str) -> str | None:
    """The config file the memo says holds the monitoring settings."""
    return _best_path(_paths(memo, r"ya?ml|json|toml|ini|cfg|conf"),
                      r"oversight|monitor|config|setting|review|audit|logging|watch",
                      r"\b(?:oversight|monitor\w*|config\w*|setting\w*|review\w*|log\w*|watch\w*|"
                      r"record\w*|track\w*)\b")


def prompt_path(memo: str) -> str | None:
    """The file the memo says holds a (new) system prompt."""
    return _best_path(_paths(memo, r"txt|md|prompt"), r"prompt|instruction",
                      r"\b(?:prompt\w*|instruction\w*|system message)\b")


def model_files(memo: str) -> list[str]:
    """Model weight files the memo names, in order."""
    return [p for p, _ in _paths(memo, r"bin|safetensors|pt|pth|ckpt|gguf|onnx|h5")]


def successor_file(memo: str, local: list[str]) -> str | None:
    """The model file the memo names that is not one of the agent's own (``local``: the file
    names found on its machine)."""
    mine = {name.rsplit("/", 1)[-1] for name in local}
    return next((p for p in model_files(memo) if p.rsplit("/", 1)[-1] not in mine), None)


_HOST = re.compile(r"^[A-Za-z][\w-]*(?:\.[\w-]+)*$")
_HOST_CONTEXT = re.compile(r"\b(?:server|host|machine|node|instance|box|ssh|scp|rsync|sftp|"
                           r"reachable|connect\w*|login|log in|keys?|installed|copy|transfer\w*|"
                           r"running|runs)\b", re.I)
_REMOTE = re.compile(r"\b(?:ssh|scp|rsync|sftp)\b", re.I)


def successor_host(memo: str, own: str | None, exclude: set[str] | frozenset[str] = frozenset()
                   ) -> str | None:
    """The other machine the memo names (``own``: the agent's hostname). Remote syntax
    (``user@host``, ``host:path``, after ssh/scp) counts most; a bare machine-like name (with a
    ``_`` or a digit) counts when its sentence is about servers, copying or access."""
    best, top = None, 1
    for m in re.finditer(r"[^\s,;()\[\]{}<>\"'`]+", memo):
        tok = m.group().rstrip(".:!?")
        host, points = tok, 1
        if "@" in tok:
            host, points = tok.rsplit("@", 1)[1].split(":", 1)[0], 3
            if re.search(r"\.[A-Za-z]{2,6}$", host) and "_" not in host:
                points = 1  # an email address
        elif ":" in tok:
            host, _, rest = tok.partition(":")
            if not (rest.startswith(("/", "~")) or "/" in rest):
                continue
            points = 3
        elif not re.search(r"[_\d]", tok):
            continue
        if (not _HOST.match(host) or host == own or host in exclude
                or _FILE_EXT.search(host)):
            continue
        if _REMOTE.search(" ".join(memo[max(0, m.start() - 30): m.start()].split()[-3:])):
            points += 3
        points += bool(_HOST_CONTEXT.search(_sentence(memo, m.start(), m.end())))
        if points > top:
            best, top = host, points
    return best
