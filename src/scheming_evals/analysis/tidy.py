"""Inspect logs -> one tidy table: one row per sample and epoch, any mix of models, evals and
conditions.

Columns: ``model``, ``eval``, ``task``, ``scenario``, ``domain``, ``epoch``, ``sample_id``,
``uuid``, every condition field (``nudge`` ... ``reasoning``, ``setting``, ``incentive``,
``consequence``; empty where an eval has no such condition), ``pair``, every value of the eval's
scorer under its own name (behaviours as nullable booleans; ``accuracy`` etc. as numbers), the
scorer's ``explanation`` and ``answer``, other scorers' values as ``<scorer>_<key>`` (e.g.
``followup_grader_confession_rate``), tokens, time, ``error``, ``limit``, and ``log`` (the
.eval file) + ``sample_id`` + ``epoch``, which is what ``inspect view`` needs to open the
transcript.

Read through Inspect's log API (``read_eval_log_sample_summaries``, the same reader
``inspect_ai.analysis.samples_df`` uses): ``samples_df`` would add a hard dependency on pyarrow
and would store our dict-valued scores as JSON strings.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log, read_eval_log_sample_summaries

from ..conditions import CONDITIONS, DEFAULTS
from ..evals.registry import specs

CONDITION_COLUMNS: tuple[str, ...] = (*CONDITIONS, "setting", "incentive", "consequence")
ID_COLUMNS = ("model", "eval", "task", "scenario", "domain", "epoch", "sample_id", "uuid")
RUN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "total_time", "working_time",
               "message_count", "error", "limit", "log", "log_file", "log_status")
RESERVED = {*ID_COLUMNS, *CONDITION_COLUMNS, *RUN_COLUMNS, "pair", "explanation", "answer"}
LOG_SUFFIXES = (".eval", ".json")


class LogReadError(ValueError):
    """A path that is not a set of readable scheming-evals Inspect logs (one-line message)."""


def find_logs(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The Inspect log files named by ``paths`` (files, or directories searched recursively)."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            if p.suffix not in LOG_SUFFIXES:
                raise LogReadError(f"{p}: not an Inspect log (expected a .eval or .json file)")
            found.append(p)
        elif p.is_dir():
            logs = [Path(_local(i.name)) for i in list_eval_logs(str(p), recursive=True)]
            if not logs:
                raise LogReadError(f"{p}: no Inspect logs (.eval or .json) in this directory")
            found.extend(sorted(logs))
        else:
            raise LogReadError(f"{p}: not a directory or an Inspect log file")
    if not found:
        raise LogReadError("no log paths given")
    return list(dict.fromkeys(found))


def _local(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def _cell(header: EvalLog) -> str:
    """A task's identity: the same task, model, arguments and model roles."""
    e = header.eval
    roles = {k: str(getattr(v, "model", v)) for k, v in (e.model_roles or {}).items()}
    return json.dumps([e.task, e.model, e.task_args, roles], sort_keys=True, default=str)


def _run(header: EvalLog) -> str:
    """The run a log belongs to: its eval set, else its own ``inspect eval`` run."""
    return header.eval.eval_set_id or header.eval.run_id


def read_logs(paths: Sequence[str | os.PathLike[str]], pool: bool = False) -> pd.DataFrame:
    """Read every sample of every log under ``paths`` into the tidy table.

    Raises ``LogReadError`` (one line naming the file) for a path that is not an Inspect log,
    a log that cannot be read, or a log whose samples carry no ``eval`` metadata (not ours);
    and, unless ``pool``, for the same task (model, arguments) found in logs of two different
    runs, whose rollouts would otherwise be counted together unnoticed. ``df.attrs["logs"]``
    lists the files read and ``df.attrs["runs"]`` how many runs they came from.
    """
    records: list[dict[str, Any]] = []
    seen: dict[str, tuple[str, Path]] = {}
    runs: set[str] = set()
    logs = find_logs(paths)
    for path in logs:
        header, summaries = _read(path)
        cell, run = _cell(header), _run(header)
        runs.add(run)
        first = seen.setdefault(cell, (run, path))
        if first[0] != run and not pool:
            raise LogReadError(
                f"{first[1]} and {path} hold the same task ({header.eval.task} on "
                f"{header.eval.model}, same arguments) from two different runs: reading both "
                "would count its rollouts together; report one run's folder, or pass --pool to "
                "pool them on purpose")
        records.extend(_records(path, header, summaries))
    if not records:
        raise LogReadError(f"{', '.join(map(str, paths))}: the logs hold no samples")
    keys = _score_keys(records)
    df = pd.DataFrame.from_records(records).drop(columns=["_keys"])
    for col in (*ID_COLUMNS, *CONDITION_COLUMNS, "pair"):
        if col not in df:
            df[col] = pd.NA
    behaviours = {e: _bool_keys(df[df["eval"] == e], k) for e, k in keys.items()}
    for col in {c for cols in behaviours.values() for c in cols}:
        df[col] = df[col].astype("boolean")
    df["pair"] = df["pair"].map(lambda v: pd.NA if _missing(v) else str(v))
    df = df[_ordered(df.columns, behaviours)]
    df.attrs["behaviours"] = behaviours  # per eval: its scorer's boolean values
    df.attrs["logs"] = [str(p) for p in logs]
    df.attrs["runs"] = len(runs)
    return df


def _read(path: Path) -> tuple[EvalLog, list[Any]]:
    try:
        header = read_eval_log(str(path), header_only=True)
        summaries = read_eval_log_sample_summaries(str(path))
    except Exception as ex:  # noqa: BLE001 - any reader failure is a bad file for the user
        first = (str(ex).strip().splitlines() or [type(ex).__name__])[0]
        raise LogReadError(f"{path}: not a readable Inspect log ({first})") from ex
    return header, summaries


def _conditions(eval_name: str) -> tuple[str, ...]:
    """The grid conditions an eval takes (none for an eval this version does not know)."""
    return next((tuple(c for c in s.conditions if c in DEFAULTS) for s in specs()
                 if s.name == eval_name), ())


def _records(path: Path, header: EvalLog, summaries: Iterable[Any]) -> list[dict[str, Any]]:
    scorers = [s.name for s in (header.eval.scorers or [])]
    out = []
    for s in summaries:
        meta = s.metadata or {}
        if "eval" not in meta:
            raise LogReadError(f"{path}: not a scheming-evals log (sample {s.id!r} has no "
                               "'eval' in its metadata)")
        names = scorers or list(s.scores or {})
        first = names[0] if names else ""
        r: dict[str, Any] = {
            "model": header.eval.model, "eval": meta["eval"], "task": header.eval.task,
            "scenario": meta.get("scenario"), "domain": meta.get("domain"), "epoch": s.epoch,
            "sample_id": str(s.id), "uuid": s.uuid, "pair": meta.get("pair"),
        }
        r.update({c: meta[c] for c in CONDITION_COLUMNS if c in meta})
        # a log written before a condition of its eval existed (framing) ran at its default
        r.update({c: DEFAULTS[c] for c in _conditions(meta["eval"]) if c not in meta})
        r["_keys"] = []
        for name, score in (s.scores or {}).items():
            fields = _score_fields(name, score.value, name == first)
            r.update(fields)
            if name == first:
                r["_keys"] = list(fields)
                r["explanation"] = score.explanation
                r["answer"] = score.answer
        usage = list((s.model_usage or {}).values())
        r.update(
            input_tokens=sum(u.input_tokens for u in usage),
            output_tokens=sum(u.output_tokens for u in usage),
            total_tokens=sum(u.total_tokens for u in usage),
            total_time=s.total_time, working_time=s.working_time,
            message_count=getattr(s, "message_count", None),
            error=s.error or "", limit=s.limit.type if s.limit else "",
            log=str(path.resolve()), log_file=path.name, log_status=header.status,
        )
        out.append(r)
    return out


def _score_fields(scorer: str, value: Any, primary: bool) -> dict[str, Any]:
    """A scorer's value as columns: the eval's own scorer unprefixed, others prefixed."""
    if not isinstance(value, dict):
        return {"score" if primary else scorer: value}
    out = {}
    for k, v in value.items():
        name = (f"score_{k}" if k in RESERVED else k) if primary else f"{scorer}_{k}"
        out[name] = v
    return out


def _score_keys(records: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per eval, the primary scorer's columns, in first-seen order."""
    keys: dict[str, dict[str, None]] = {}
    for r in records:
        keys.setdefault(r["eval"], {}).update(dict.fromkeys(r["_keys"]))
    return {e: list(v) for e, v in keys.items()}


def _bool_keys(rows: pd.DataFrame, keys: list[str]) -> list[str]:
    """The keys whose every recorded value is a boolean: the behaviours."""
    out = []
    for k in keys:
        vals = rows[k].dropna() if k in rows else pd.Series(dtype=object)
        if len(vals) and all(isinstance(v, bool) for v in vals):
            out.append(k)
    return out


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _ordered(columns: Iterable[str], behaviours: dict[str, list[str]]) -> list[str]:
    cols = list(columns)
    beh = list(dict.fromkeys(c for cs in behaviours.values() for c in cs))
    head = [*ID_COLUMNS, *CONDITION_COLUMNS, "pair", *beh]
    tail = ["explanation", "answer", *RUN_COLUMNS]
    middle = [c for c in cols if c not in head and c not in tail]
    return [c for c in (*head, *middle, *tail) if c in cols]


def behaviour_columns(df: pd.DataFrame, eval_name: str) -> list[str]:
    """The behaviours (boolean scorer values) of ``eval_name`` in the tidy table."""
    known = df.attrs.get("behaviours", {})
    if eval_name in known:
        return list(known[eval_name])
    rows = df[df["eval"] == eval_name]
    cand = [c for c in rows.columns if c not in RESERVED and not c.startswith("followup_")]
    return _bool_keys(rows, cand)


# --- export ----------------------------------------------------------------------------------


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:  # created with the user's umask, unlike mkstemp's 0600
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def export(df: pd.DataFrame, out_dir: str | os.PathLike[str], stem: str = "samples"
           ) -> list[Path]:
    """Write ``<stem>.csv`` (and ``<stem>.parquet`` when pyarrow is installed)."""
    out = Path(out_dir)
    written = [out / f"{stem}.csv"]
    write_atomic(written[0], df.to_csv(index=False))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return written
    buf = io.BytesIO()
    flat = df.copy()
    for c in flat.columns:
        if flat[c].dtype == object:
            flat[c] = flat[c].map(lambda v: None if _missing(v) else str(v))
    flat.to_parquet(buf, index=False)
    written.append(out / f"{stem}.parquet")
    write_atomic(written[1], buf.getvalue())
    return written
