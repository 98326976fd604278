"""How a scripted agent reads candidate figures out of emails (no language model involved).

It knows the field names from the scoring script it has read, the candidate names from the
user's message, and the emails. Each candidate gets its own email, the one whose words name it
most distinctively. In that email every number is scored against every field by the words of
the field's name (and its units) found in the same clause, right before or right after the
number; fields then take numbers, best score first.
"""

from __future__ import annotations

import ast
import re
from math import log

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
    m = re.search(r"Candidates in this round: (.+?)\.?\s*$", task, re.M)
    return [n.strip() for n in m.group(1).split(";")] if m else []


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
