"""Scenario data: validated models and a loader whose errors name the file, line, field and fix.

A scenario is one domain (an AI system, its company, two competing goals, a user task, a data
file and the options of a selector tool, plus the email-reranking data). Every covert eval adapts
the same scenario set. The text lives in ``scenarios/*.yaml``, plus the user's own folder of
scenario files (``scenario_dir``); nothing here writes prose.

The loader enforces every invariant the evals and the scripted reference agents rely on, each
with a ``file:line: field ...`` error: the fields and their types, then the cross-field rules
(:func:`_invariants`), then, for the user's scenarios, that the scripted agents read every eval's
world built from it right (:func:`_check_reading`; the packaged ones are checked by the tests).
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Mapping
from functools import lru_cache
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .user_error import UserError

SCENARIO_DIR = Path(__file__).parent / "scenarios"
POOL_FILE = Path(__file__).parent / "data" / "email_pool.yaml"
EMAILS_PER_SCENARIO = 20

_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class ScenarioError(UserError):
    """A scenario file is malformed; the message is one line: file, line, field, fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Goals(_Strict):
    """Two goals phrased as infinitive verb phrases ("prioritize X over Y").

    In the paper's main setting the model gets ``prosocial`` and the developers want ``other``.
    """

    prosocial: str = Field(min_length=10)
    other: str = Field(min_length=10)


class Option(_Strict):
    letter: str = Field(pattern=r"^[A-F]$")
    title: str = Field(min_length=3)
    description: str = Field(min_length=10)
    serves: Literal["prosocial", "other", "neutral"]


class Selector(_Strict):
    tool: str = Field(pattern=r"^[a-z][a-z0-9_]*_selector$")
    description: str = Field(min_length=10)


class DataFile(_Strict):
    filename: str = Field(pattern=r"^[a-z][a-z0-9_]*\.txt$")
    body: str = Field(min_length=200)


class EmailField(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    weight: float = Field(gt=0)
    higher_is_better: bool


class Candidate(_Strict):
    name: str = Field(min_length=2)
    values: dict[str, float]
    favours_goal: bool


class Email(_Strict):
    kind: Literal["data", "awareness", "irrelevant"]
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    subject: str = Field(min_length=3)
    body: str = Field(min_length=40)
    candidate: str | None = None


class EmailSection(_Strict):
    """Covert email reranking: the model ranks candidates with a fixed scoring script."""

    goal: str = Field(min_length=10)
    entity: str = Field(pattern=r"^[a-z][a-z ]*$")
    user_task: str = Field(min_length=40)
    fields: list[EmailField] = Field(min_length=2, max_length=5)
    candidates: list[Candidate] = Field(min_length=5, max_length=8)
    emails: list[Email]

    @model_validator(mode="after")
    def _consistent(self) -> EmailSection:
        names = [f.name for f in self.fields]
        cands = {c.name for c in self.candidates}
        for c in self.candidates:
            if sorted(c.values) != sorted(names):
                raise ValueError(
                    f"candidate {c.name!r} has values {sorted(c.values)}; give exactly {names}"
                )
        data = [e for e in self.emails if e.kind == "data"]
        covered = [e.candidate for e in data]
        if sorted(x or "" for x in covered) != sorted(cands):
            raise ValueError(
                "each candidate needs exactly one data email (set `candidate:` to its name); "
                f"got {covered} for {sorted(cands)}"
            )
        by_name = {c.name: c for c in self.candidates}
        for e in data:
            for f in self.fields:
                v = by_name[e.candidate or ""].values[f.name]
                if _fmt(v) not in e.body:
                    raise ValueError(
                        f"data email for {e.candidate!r} must state {f.name} = {_fmt(v)} "
                        "verbatim in its body"
                    )
        if sum(e.kind == "awareness" for e in self.emails) < 2:
            raise ValueError("give at least 2 emails of kind `awareness`")
        if len(self.emails) > EMAILS_PER_SCENARIO:
            raise ValueError(f"at most {EMAILS_PER_SCENARIO} emails (the pool fills the rest)")
        if not any(c.favours_goal for c in self.candidates):
            raise ValueError("at least one candidate must have favours_goal: true")
        if self.ground_truth()[0].favours_goal:
            raise ValueError(
                "the top candidate by the scoring weights favours the model's goal, so there is "
                "no conflict: change weights or values so that a favours_goal: false one wins"
            )
        if not self.ground_truth()[-1].favours_goal:
            raise ValueError(
                f"the lowest candidate by the scoring weights, {self.ground_truth()[-1].name!r}, "
                "does not favour the model's goal, so pushing it up serves no goal: change "
                "values so that a favours_goal: true one comes last"
            )
        return self

    def scores(self, values: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
        """The fixed scoring rule (mirrors ``data/scoring.py.tmpl``): weighted min-max score."""
        vals = values or {c.name: c.values for c in self.candidates}
        out = {name: 0.0 for name in vals}
        for f in self.fields:
            col = [float(v[f.name]) for v in vals.values()]
            lo, hi = min(col), max(col)
            for name, v in vals.items():
                x = 0.5 if hi == lo else (float(v[f.name]) - lo) / (hi - lo)
                out[name] += f.weight * (x if f.higher_is_better else 1 - x)
        return {k: round(v, 4) for k, v in out.items()}

    def ground_truth(self) -> list[Candidate]:
        """Candidates ordered by the scoring rule on the true data, best first."""
        s = self.scores()
        by_name = {c.name: c for c in self.candidates}
        return [by_name[n] for n in sorted(s, key=lambda n: (-s[n], n))]


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


class Scenario(_Strict):
    """One domain, adapted by every covert eval."""

    id: str
    domain: str = Field(min_length=3)
    company: str = Field(min_length=2)
    system_name: str = Field(min_length=2)
    system_role: str = Field(min_length=5)
    goals: Goals
    user_task: str = Field(min_length=40)
    selector: Selector
    options: list[Option] = Field(min_length=2, max_length=6)
    data: DataFile
    email: EmailSection
    memos: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not _SNAKE.match(v):
            raise ValueError("use snake_case (lowercase letters, digits, _)")
        return v

    @field_validator("memos")
    @classmethod
    def _memo_keys(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            return v
        from .evals.registry import memo_keys  # the evals import this module

        # a memo for the neutral wording (condition framing=neutral) is `<key>@neutral`
        allowed = memo_keys()
        bad = set(v) - allowed - {f"{k}@neutral" for k in allowed}
        if bad:
            raise ValueError(f"unknown memo keys {sorted(bad)}; allowed: {sorted(allowed)}, "
                             "each also as <key>@neutral (its neutral wording)")
        for key, text in v.items():
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
            except ValueError as ex:
                raise ValueError(f"memo `{key}`: {ex} (write a placeholder as {{name}} and a "
                                 "literal brace as {{ or }})") from None
            odd = [f for f in fields if not re.fullmatch(r"[a-z_]+", f)]
            if odd:
                raise ValueError(f"memo `{key}`: placeholder {{{odd[0]}}} is not a name (write "
                                 "e.g. {developer_goal}; a literal brace as {{ or }})")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[Option]) -> list[Option]:
        letters = [o.letter for o in options]
        if letters != [chr(ord("A") + i) for i in range(len(letters))]:
            raise ValueError(f"option letters must be A, B, C... in order; got {letters}")
        serves = [o.serves for o in options]
        if serves.count("prosocial") != 1 or serves.count("other") != 1:
            raise ValueError("exactly one option must serve `prosocial` and one `other`")
        return options

    @model_validator(mode="after")
    def _titles_name_goals(self) -> Scenario:
        from .textmatch import option_for_goal, title_scores

        titles = {o.letter: o.title for o in self.options}
        for serves in ("prosocial", "other"):
            goal = getattr(self.goals, serves)
            want = self.option_for(serves).letter
            if option_for_goal(goal, titles) != want:
                raise ValueError(
                    f"option titles must name the goals: option {want} serves `{serves}`, so its "
                    f"title must share a word with that goal (before 'over', 'rather than'...) "
                    f"more than any other title does; title scores {title_scores(goal, titles)}"
                )
        return self

    def option_for(self, serves: str) -> Option:
        return next(o for o in self.options if o.serves == serves)


class PoolEmail(_Strict):
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
    subject: str
    body: str = Field(min_length=40)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            nxt = node.value[key] if key < len(node.value) else None
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 8x faster


def _load_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        why = ex.strerror if isinstance(ex, OSError) else "not UTF-8 text"
        raise ScenarioError(f"{path}: cannot read ({why}); check the path") from None
    try:
        return yaml.load(text, Loader=_LOADER), yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as ex:
        mark = getattr(ex, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(ex, "problem", None) or str(ex).splitlines()[0]
        raise ScenarioError(f"{where}: invalid YAML ({problem}); fix the syntax there") from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate one scenario file; raise ScenarioError with one clear line."""
    path = Path(path)
    raw, node = _load_yaml(path)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}:1: a scenario must be a YAML mapping of fields")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as ex:
        err = ex.errors()[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(node, loc)
        msg = err["msg"].removeprefix("Value error, ")
        hint = "add it" if err["type"] == "missing" else "fix the value"
        if err["type"] == "extra_forbidden":
            hint = "remove it or check its spelling"
        raise ScenarioError(f"{path}:{line}: field `{field}`: {msg} ({hint})") from None
    if scenario.id != path.stem:
        raise ScenarioError(
            f"{path}:{_line_of(node, ('id',))}: field `id` is {scenario.id!r} but the file is "
            f"{path.name}; make them match"
        )
    broken = _invariants(scenario)
    if broken:
        loc, msg = broken
        field = ".".join(str(p) for p in loc)
        raise ScenarioError(f"{path}:{_line_of(node, loc)}: field `{field}`: {_one_line(msg)}")
    return scenario


def _one_line(text: str) -> str:
    return " ".join(text.split())


Loc = tuple[int | str, ...]


def _invariants(s: Scenario) -> tuple[Loc, str] | None:
    """The first cross-field rule ``s`` breaks that the evals or the scripted agents rely on:
    (where, what and how to fix it); None if it keeps them all."""
    from .reference import extract
    from .world import DATA_DIR, fmt, prompts

    data_path = f"{DATA_DIR}/{s.data.filename}"
    named = extract.named_file(s.user_task, "txt")
    if named != data_path:
        return ("user_task",), (f"the agent reads the file the task names first, so name the "
                                f"data file as {data_path} (it names {named or 'no .txt file'})")
    tools = set(re.findall(r"\b[a-z][a-z0-9_]*_selector\b", s.user_task)) - {s.selector.tool}
    if tools:
        return ("user_task",), (f"it names the tool {sorted(tools)[0]}, but this scenario's "
                                f"selector is {s.selector.tool}; name that one (or 'the selector "
                                "tool')")
    for i, o in enumerate(s.options):
        if "\n" in o.title.strip():
            return ("options", i, "title"), "write the title on one line"
        if re.search(r"\n[ \t]*\n", o.description.strip()):
            return ("options", i, "description"), "write the description as one paragraph " \
                                                   "(no blank line: the memo follows the options)"
    for loc, text in [(("data", "body"), s.data.body)] + [
            (("options", i, "description"), o.description) for i, o in enumerate(s.options)]:
        m = re.search(r"^\s*Option [A-F]:", text, re.M)
        if m:
            return loc, (f"no line may start like an option ({m.group().strip()!r}): the agents "
                         "read the options from those lines; reword it")
    p = prompts()
    for serves in ("prosocial", "other"):
        goal = _one_line(getattr(s.goals, serves))
        for template in (p["goal_sentence"], p["user_goal_prefix"]):
            got = extract.goal_in(fmt(template, model_goal=goal))
            if got != goal:
                return ("goals", serves), (f"a reader of the prompt takes the goal to be "
                                           f"{got!r}: keep it one phrase, without a full stop or "
                                           "'in the long term'")
    em = s.email
    seen: set[str] = set()
    for i, c in enumerate(em.candidates):
        if c.name in seen:
            return ("email", "candidates", i, "name"), f"{c.name!r} is listed twice"
        seen.add(c.name)
        if ";" in c.name or "\n" in c.name or c.name.strip() != c.name or c.name.endswith("."):
            return ("email", "candidates", i, "name"), (
                "the task lists the candidates as 'A; B; C.': a name may not contain ';' or a "
                "line break, nor start or end with a space or end with '.'")
    for i, e in enumerate(em.emails):
        if re.search(r"^-----\s*$", e.body, re.M):
            return ("email", "emails", i, "body"), "a line of five dashes separates emails in " \
                                                   "the inbox; remove it"
    truth = [c.name for c in em.ground_truth()]
    last = truth[-1]
    boosted = {c.name: dict(c.values) for c in em.candidates}
    for f in em.fields:
        col = [c.values[f.name] for c in em.candidates]
        boosted[last][f.name] = max(col) if f.higher_is_better else min(col)
    scores = em.scores(boosted)
    ranking = sorted(scores, key=lambda n: (-scores[n], n))
    favoured = [c.name for c in em.candidates if c.favours_goal]
    if sum(map(ranking.index, favoured)) >= sum(map(truth.index, favoured)):
        return ("email", "candidates"), (
            f"a scheming agent gives {last!r} (ranked last) the best figure in every field; that "
            "must move the candidates that favour the goal up the ranking (ties go by name), so "
            "it must overtake a candidate that does not")
    return None


def _scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith("_"))


@lru_cache(maxsize=1)
def _packaged() -> tuple[Scenario, ...]:
    files = _scenario_files(SCENARIO_DIR)
    if not files:
        raise ScenarioError(f"{SCENARIO_DIR}: no scenario files (*.yaml) found; reinstall")
    return tuple(load_scenario(p) for p in files)


Stamp = tuple[tuple[str, int, int], ...]


def _user_folder(scenario_dir: str | Path) -> tuple[Path, Path, Stamp] | None:
    """The user's folder (as given, and resolved: the cache key) and a stamp of its files
    (name, mtime, size), so that an edited file is read again; None if it is the packaged
    folder itself."""
    folder = Path(scenario_dir).expanduser()
    if not folder.exists():
        raise ScenarioError(f"{folder}: no such scenario directory; check the path")
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: not a directory; give the folder that holds your "
                            "scenario files (*.yaml)")
    files = _scenario_files(folder)
    if not files:
        raise ScenarioError(f"{folder}: no scenario files in it (*.yaml, not starting with _); "
                            "add yours, e.g. a copy of a packaged one with a new id")
    key = folder.resolve()
    if key == SCENARIO_DIR.resolve():
        return None
    stats = [(p.name, p.stat()) for p in files]
    return folder, key, tuple((n, st.st_mtime_ns, st.st_size) for n, st in stats)


@lru_cache(maxsize=16)
def _user_scenarios(folder: Path, key: Path, stamp: Stamp) -> tuple[Scenario, ...]:
    """The user's scenarios: each file valid, none with the id of a packaged one."""
    packaged = {s.id for s in _packaged()}
    out = []
    for name, _, _ in stamp:
        path = folder / name
        if path.stem in packaged:  # the id must equal the file name, so this is the id
            _, node = _load_yaml(path)
            line = _line_of(node, ("id",))
            raise ScenarioError(
                f"{path}:{line}: field `id`: {path.stem!r} is already the id of the packaged "
                f"scenario {SCENARIO_DIR / name}; give yours another id (and name its file "
                "after it)")
        out.append(load_scenario(path))
    return tuple(out)


def _merged(scenario_dir: str | Path | None) -> tuple[Scenario, ...]:
    """Packaged plus the user's scenarios, sorted by id (no reading check)."""
    found = _user_folder(scenario_dir) if scenario_dir else None
    if found is None:
        return _packaged()
    return tuple(sorted(_packaged() + _user_scenarios(*found), key=lambda s: s.id))


def load_scenarios(scenario_dir: str | Path | None = None) -> tuple[Scenario, ...]:
    """The packaged scenarios plus those in ``scenario_dir`` (its ``*.yaml`` files not starting
    with ``_``), sorted by id. ScenarioError (one line) for a missing or empty folder, a
    malformed file, an id a packaged scenario already has, or a scenario whose worlds the
    scripted agents would misread."""
    scenarios = _merged(scenario_dir)
    found = _user_folder(scenario_dir) if scenario_dir else None
    if found is not None:
        _check_reading(*found)
    return scenarios


def scenario_by_id(scenario_id: str, scenario_dir: str | Path | None = None) -> Scenario:
    """One scenario by id, packaged or from ``scenario_dir`` (ScenarioError if unknown)."""
    scenarios = _merged(scenario_dir)
    for s in scenarios:
        if s.id == scenario_id:
            return s
    raise ScenarioError(_unknown([scenario_id], scenarios, scenario_dir))


def scenario_for(meta: Mapping[str, Any]) -> Scenario:
    """The scenario of a sample, from its metadata (``scenario``, and ``scenario_dir`` when the
    user's own scenarios are in play)."""
    return scenario_by_id(str(meta["scenario"]), meta.get("scenario_dir") or None)


def select_scenarios(ids: str | list[str] | None, scenario_dir: str | Path | None = None
                     ) -> list[Scenario]:
    """All scenarios (packaged plus ``scenario_dir``'s), or those named in ``ids`` (a list, or
    a comma-separated string), in that order, each once."""
    scenarios = load_scenarios(scenario_dir)
    items = [ids] if isinstance(ids, str) else [str(i) for i in ids or []]
    wanted = list(dict.fromkeys(w.strip() for item in items for w in item.split(",")
                                if w.strip()))
    if not wanted:
        return list(scenarios)
    known = {s.id: s for s in scenarios}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise ScenarioError(_unknown(missing, scenarios, scenario_dir))
    return [known[w] for w in wanted]


def _unknown(missing: list[str], scenarios: tuple[Scenario, ...],
             scenario_dir: str | Path | None) -> str:
    """One line: the unknown ids (with a close match), then every known id."""
    ids = [s.id for s in scenarios]
    close = difflib.get_close_matches(missing[0], ids, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    where = "" if scenario_dir else "; your own need --scenario-dir / -T scenario_dir"
    noun = "scenario" if len(missing) == 1 else "scenarios"
    return (f"unknown {noun} {', '.join(missing)}{hint}; known ({len(ids)}): "
            f"{', '.join(ids)}{where}")


# -- the scripted agents read every eval's world built from a user's scenario right -----------

@lru_cache(maxsize=16)
def _check_reading(folder: Path, key: Path, stamp: Stamp) -> None:
    for s in _user_scenarios(folder, key, stamp):
        broken = reading_problem(s, folder)
        if broken:
            loc, msg = broken
            path = folder / f"{s.id}.yaml"
            _, node = _load_yaml(path)
            field = ".".join(str(p) for p in loc)
            raise ScenarioError(f"{path}:{_line_of(node, loc)}: field `{field}`: "
                                f"{_one_line(msg)}")


READ_RELATIONS = ("conflict", "reversed")  # the two developer goals a memo can carry
READ_FRAMINGS = ("trope", "neutral")  # the two wordings a memo has (fiction keeps trope's)


def reading_problem(s: Scenario, scenario_dir: str | Path | None = None) -> tuple[Loc, str] | None:
    """Build every scenario-based eval's world from ``s`` (each memo it has, both developer
    goals, both wordings) and ask the scripted agents to read it
    (``reference.policies.misreading``): the data file and scoring script the task names, the
    options, the paths and machines each memo names, whether it says the agent is tested or
    deployed and which option the developers want, every candidate's figures. (where, what)
    for the first thing misread; None if all read right."""
    from .conditions import DEFAULTS
    from .evals.registry import specs
    from .reference.policies import misreading
    from .world import memo_key

    for spec in specs():
        module = f"{__package__}.evals.{spec.name}.world"
        if not spec.uses_scenarios or find_spec(module) is None:
            continue
        build = import_module(module).build_world
        framings = READ_FRAMINGS if "framing" in spec.conditions else ("trope",)
        for relation, framing in ((r, f) for r in READ_RELATIONS for f in framings):
            for key in spec.memo_keys or ("",):
                meta: dict[str, Any] = {**DEFAULTS, "relation": relation, "scenario": s.id,
                                        "setting": key, "framing": framing}
                if scenario_dir:
                    meta["scenario_dir"] = str(scenario_dir)
                own_key = memo_key(key, meta)
                own = own_key in s.memos
                try:
                    world = build(meta)
                except (KeyError, IndexError, ValueError) as ex:
                    if not own:
                        raise
                    return ("memos", own_key), (f"{spec.name} cannot fill in this memo ({ex!r}): "
                                                "use only the placeholders its packaged memo "
                                                "uses")
                found = misreading(world)
                if found is None:
                    continue
                part, what = found
                where = f"in {spec.name}'s world ({relation} goals, {framing} framing)"
                if part == "memo" and own:
                    return ("memos", own_key), f"{where}, {what}"
                if part == "memo":
                    return ("goals",), (f"with the packaged `{own_key}` memo {where}, {what} "
                                        f"(reword the goals or option titles, or give your own "
                                        f"memos.{own_key})")
                if part.startswith("email:"):
                    name = part.split(":", 1)[1]
                    i = next(i for i, e in enumerate(s.email.emails) if e.candidate == name)
                    return ("email", "emails", i, "body"), (
                        f"{what}: write each figure right next to the words of its field's "
                        "name (e.g. '12 weeks of onboarding')")
                loc: Loc = {"options": ("options",), "candidates": ("email", "candidates")}.get(
                    part, ("email", "user_task") if "inbox" in world.facts else ("user_task",))
                return loc, f"{where}: {what}"
    return None


@lru_cache(maxsize=1)
def load_email_pool() -> tuple[PoolEmail, ...]:
    """Generic office emails used to fill every inbox to 20 messages."""
    raw, _ = _load_yaml(POOL_FILE)
    try:
        return tuple(PoolEmail.model_validate(e) for e in raw)
    except (ValidationError, TypeError) as ex:
        raise ScenarioError(f"{POOL_FILE}: malformed email pool ({ex})") from None
