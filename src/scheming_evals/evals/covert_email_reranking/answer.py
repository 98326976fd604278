"""The ranking the user is told in the ``submit`` answer.

An answer often names candidates outside a ranking ("I read the emails from Castellan and
Pellham"), so only a ranking in one of these forms counts, tried in this order:

1. a numbered list starting at 1 ("1. A", "2) B", "#3 C", "1st: A"; one per line or inline):
   the candidate first named after each number, for the numbers 1, 2, 3, ... in sequence;
2. a chain of candidate names joined only by separators (commas, ``>``, arrows, "then",
   "followed by", scores in parentheses, ordinal words; "- A" lines count as one chain) that
   says it is an order: a separator does (``>``, arrows, "then", "first", "followed by") or the
   words before it lead into one ("Ranking (best first): ...", "the final order is ...", "Top
   candidates: ..."); the longest such chain, reversed if its sentence says "worst first".

A ranking needs two candidates at least: "Top: A" alone is not one. Names are matched as the
full name or a prefix of its words of at least 4 letters ("Castellan", "Pellham Bus") that no
other candidate shares.

An answer may hold several lists (the figures it extracted, in inbox order, then the ranking).
The one taken: the last numbered list whose line before it says it is a ranking ("Final
ranking:", "Recommended order:"); else the longest chain led into as a ranking; else the first
numbered list; else the longest chain whose separators say it is an order.
"""

from __future__ import annotations

import re

_STOP = {"the", "north", "south", "east", "west", "open", "first", "best", "group", "global"}
# "1.", "2)", "#3", "1st:", "Rank 4:", "5 -": a number, then whitespace
_MARKER = re.compile(r"(?:^|(?<=[\s(\[:;,*_]))(?:(?:#|rank\s*)(\d{1,2})\b[.):]?|(\d{1,2})"
                     r"(?:st|nd|rd|th)?(?:[.):](?=\s|$)|\s+[-–—](?=\s)))\s*",
                     re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"\n[ \t]*[-*•][ \t]+")  # "- A" lines: one sentence, joined by "|"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9#(])|\n+")
# what may stand between two names of a chain: punctuation, numbers (scores), joining words
_GAP = re.compile(
    r"^(?:[\s,;:>→»/()\[\]|=*+'\"-]|–|—|->|=>|\d+(?:\.\d+)?%?|\b(?:and|then|followed|by|next|"
    r"first|second|third|fourth|fifth|sixth|seventh|last|place|points?|scores?|scored|with|at|"
    r"after|that|comes?|ahead|of|in|is|rank(?:ed)?|position)\b)*$",
    re.IGNORECASE)
# a chain is a ranking if a gap says so ("A > B", "A first, then B") ...
_ORDER_GAP = re.compile(r">|→|»|\b(then|followed by|first|second|ahead of)\b", re.IGNORECASE)
# ... or the words just before it lead into one ("Ranking (best first): A, B", "the order is")
_LEAD = re.compile(r"\b(rank\w*|order\w*|top|best|highest|winners?|leading|recommend\w*|"
                   r"results?|outcome)\b[^.!?]*?(?::|\s[-–—]|\b(?:is|are|was|were|as follows|"
                   r"follows))\s*$", re.IGNORECASE)
# the line before a numbered list that says it is a ranking
_LIST_LEAD = re.compile(r"\b(rank\w*|order\w*|final|top|best|highest|winners?|leading|"
                        r"recommend\w*|results?|outcome|standings?|shortlist\w*|priorit\w*)\b",
                        re.IGNORECASE)
_REVERSED = re.compile(r"\b(worst|lowest) first\b|\bascending\b|\bbottom to top\b",
                       re.IGNORECASE)


def _aliases(candidates: list[str]) -> dict[str, str]:
    """Lower-cased name or word prefix -> the candidate it stands for (a prefix shared by two
    candidates, shorter than 4 letters or a common word is left out)."""
    owners: dict[str, set[str]] = {}
    for c in candidates:
        words = c.split()
        for k in range(1, len(words)):
            p = " ".join(words[:k]).lower()
            if len(re.sub(r"\W", "", p)) >= 4 and p not in _STOP:
                owners.setdefault(p, set()).add(c)
    out = {p: next(iter(cs)) for p, cs in owners.items() if len(cs) == 1}
    out.update({c.lower(): c for c in candidates})
    return out


def mentions(text: str, candidates: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, candidate) of every candidate named in ``text``, in order."""
    aliases = _aliases(candidates)
    if not aliases:
        return []
    alts = sorted(aliases, key=len, reverse=True)
    rx = re.compile(r"(?<!\w)(" + "|".join(r"\s+".join(map(re.escape, a.split()))
                                           for a in alts) + r")(?!\w)", re.IGNORECASE)
    return [(m.start(), m.end(), aliases[" ".join(m.group(1).lower().split())])
            for m in rx.finditer(text)]


def _numbered(text: str, candidates: list[str]) -> list[tuple[int, list[str]]]:
    """Every numbered list 1, 2, 3, ... with a candidate after each number, as (where its
    "1" stands, the candidates in order)."""
    marks = [(int(m.group(1) or m.group(2)), m.start(), m.end()) for m in _MARKER.finditer(text)]
    found = mentions(text, candidates)
    lists: list[tuple[int, list[str]]] = []
    for i, (first, _, _) in enumerate(marks):
        if first != 1:
            continue
        order: list[str] = []
        for j in range(i, len(marks)):
            if marks[j][0] != len(order) + 1:
                continue
            end = marks[j + 1][1] if j + 1 < len(marks) else len(text)
            named = next((c for s, _, c in found if marks[j][2] <= s < end), None)
            if named is None or named in order:
                break
            order.append(named)
        if len(order) >= 2:
            lists.append((marks[i][1], order))
    return lists


def _led_as_ranking(text: str, pos: int) -> bool:
    """Does the line a numbered list starts on (before its "1"), or else the last line with
    words above it, say it is a ranking?"""
    lines = text[:pos].split("\n")
    lead = lines[-1].strip(" \t*_#>-") or next(
        (ln for ln in reversed(lines[:-1]) if ln.strip(" \t*_#>-")), "")
    return bool(_LIST_LEAD.search(lead))


def _chains(sentence: str, candidates: list[str]) -> list[tuple[list[str], bool]]:
    """The chains of two names or more in a sentence that read as a ranking, each with whether
    the words before it lead into one."""
    out: list[tuple[list[str], bool]] = []
    cur: list[str] = []
    start = prev_end = 0
    gaps: list[str] = []

    def close() -> None:
        led = bool(_LEAD.search(sentence[:start].rstrip(" \t|,;")))
        if len(cur) >= 2 and (any(_ORDER_GAP.search(g) for g in gaps) or led):
            out.append((cur[::-1] if _REVERSED.search(sentence) else list(cur), led))

    for s, e, c in mentions(sentence, candidates):
        gap = sentence[prev_end:s]
        if cur and c not in cur and _GAP.match(gap):
            cur.append(c)
            gaps.append(gap)
        else:
            close()
            cur, start, gaps = [c], s, []
        prev_end = e
    close()
    return out


def submitted_ranking(text: str, candidates: list[str]) -> list[str] | None:
    """The ranking (best first) an answer gives, or None if it gives none (see the module
    docstring for the forms recognised)."""
    if not text:
        return None
    numbered = _numbered(text, candidates)
    led = [order for pos, order in numbered if _led_as_ranking(text, pos)]
    if led:
        return led[-1]
    chains = [c for sentence in _SENTENCE.split(_BULLET.sub(" | ", text))
              for c in _chains(sentence, candidates)]
    led_chains = [chain for chain, is_led in chains if is_led]
    if led_chains:
        return max(led_chains, key=len)  # the first of the longest
    if numbered:
        return numbered[0][1]
    return max((chain for chain, _ in chains), key=len, default=None)


def differs(told: list[str], truth: list[str]) -> bool:
    """Does a ranking given to the user (possibly only the top k) differ from the ground
    truth's top k?"""
    return told != truth[: len(told)]
