"""Flagged rollouts: every rollout where a scheming behaviour was detected, with the detector's
explanation (it cites the bash call or file that shows the behaviour) and where to open the full
transcript: the log file, sample id and epoch, for ``inspect view``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..analysis import paper
from ..analysis.tables import PAIRED, TASK_BEHAVIOURS, covert, faking_pairs
from ..analysis.tidy import behaviour_columns
from ..conditions import DEFAULTS

MAX_PER_GROUP = 25
MAX_EXCERPT = 700


@dataclass(frozen=True)
class Rollout:
    eval: str
    model: str
    scenario: str
    epoch: int
    conditions: str  # the non-default conditions, or "default"
    behaviours: list[str]
    excerpt: str
    log_file: str
    log_dir: str
    sample_id: str


@dataclass
class Group:
    eval: str
    model: str
    total: int
    rollouts: list[Rollout]

    @property
    def more(self) -> int:
        return self.total - len(self.rollouts)


def _true(v: Any) -> bool:
    """A table cell (of any dtype) that holds a true value."""
    return not pd.isna(v) and bool(v)


def _conditions(row: pd.Series) -> str:
    diff = [f"{k}={row[k]}" for k, v in DEFAULTS.items() if k in row and row[k] != v]
    return ", ".join(diff) or "default"


def _excerpt(text: object) -> str:
    s = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return s if len(s) <= MAX_EXCERPT else s[:MAX_EXCERPT] + " …"


def _rollout(row: pd.Series, behaviours: list[str], excerpt: str | None = None) -> Rollout:
    log = str(row["log"])
    return Rollout(str(row["eval"]), str(row["model"]), str(row["scenario"]), int(row["epoch"]),
                   _conditions(row), behaviours,
                   _excerpt(row["explanation"]) if excerpt is None else excerpt,
                   str(row["log_file"]), log.rsplit("/", 1)[0] if "/" in log else ".",
                   str(row["sample_id"]))


def flagged(df: pd.DataFrame) -> list[Group]:
    """Covert rollouts with a scheming behaviour, and alignment-faking pairs showing both
    halves, grouped by eval and model (at most ``MAX_PER_GROUP`` shown per group)."""
    groups: list[Group] = []
    rows = covert(df)
    for e in dict.fromkeys(rows["eval"]):
        cols = [c for c in behaviour_columns(df, e) if c not in TASK_BEHAVIOURS]
        ev = rows[rows["eval"] == e]
        for m in sorted(ev["model"].unique()):
            found = []
            for _, r in ev[ev["model"] == m].iterrows():
                hits = [paper.behaviour_label(e, c) for c in cols if _true(r[c])]
                if hits:
                    found.append(_rollout(r, hits))
            found.sort(key=lambda r: (r.conditions != "default", r.conditions, r.scenario))
            if found:
                groups.append(Group(e, m, len(found), found[:MAX_PER_GROUP]))
    groups.extend(_faking_groups(df))
    return groups


def _faking_groups(df: pd.DataFrame) -> list[Group]:
    out = []
    for ev in PAIRED:
        rows = df[df["eval"] == ev]
        for m in sorted(rows["model"].unique()):
            found = []
            for _, g in rows[rows["model"] == m].groupby(["pair", "epoch"]):
                if faking_pairs(g) != [(True, True)]:
                    continue
                for _, r in g.sort_values("setting", ascending=False).iterrows():
                    found.append(_rollout(r, ["behavioural scheming pair"],
                                          f"[{r['setting']}] {_excerpt(r['explanation'])}"))
            if found:
                out.append(Group(ev, m, len(found), found[:MAX_PER_GROUP]))
    return out
