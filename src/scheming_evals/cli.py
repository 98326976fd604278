"""Command line: ``scheming-evals list | doctor | run | report``."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, catalog
from .conditions import CONDITIONS

if TYPE_CHECKING:
    from inspect_ai.util import DisplayType

    from .scenario import Scenario

app = typer.Typer(
    help="Apollo Research's in-context scheming evaluations on Inspect, with controls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line and exit (no traceback for a user's mistake)."""
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:  # options but no command: say what there is
        console.print(ctx.get_help())
        raise typer.Exit(2)


ScenarioDirOption = Annotated[Path | None, typer.Option(
    "--scenario-dir", help="A folder of your own scenario files (*.yaml), added to the "
    "packaged ones.")]


def _load_scenarios(scenario_dir: Path | None) -> tuple[Scenario, ...]:
    """The scenarios, or one clear line and exit 2 for a bad folder or file."""
    from .scenario import ScenarioError, load_scenarios

    try:
        return load_scenarios(scenario_dir)
    except ScenarioError as ex:
        fail(str(ex))


@app.command("list")
def list_evals(
    scenario_dir: ScenarioDirOption = None,
    show_scenarios: Annotated[bool, typer.Option(
        "--scenarios", help="Also list every scenario (-T scenarios=ID).")] = False,
) -> None:
    """List the evaluations and the conditions each one can run under (and, with --scenarios
    or --scenario-dir, every scenario: the packaged ones and yours)."""
    scenarios = _load_scenarios(scenario_dir) if scenario_dir or show_scenarios else ()
    t = Table(title="Evaluations")
    t.add_column("eval", no_wrap=True)
    for col in ("kind", "measures", "paper", "conditions", "status"):
        t.add_column(col)
    for e in catalog.evals():
        status = "[green]available[/]" if e.available else "[yellow]planned[/]"
        conds = "all" if set(e.conditions) == set(CONDITIONS) else ", ".join(e.conditions)
        t.add_row(e.name, e.kind, e.measures, e.paper, conds, status)
    console.print(t)
    c = Table(title="Conditions (task parameters, e.g. -T nudge=none)")
    for col in ("condition", "values", "default", "meaning"):
        c.add_column(col)
    for cond in CONDITIONS.values():
        c.add_row(cond.name, " | ".join(cond.values), cond.default, cond.meaning)
    console.print(c)
    if scenarios:
        from .scenario import SCENARIO_DIR

        yours = f"; yours from {scenario_dir}" if scenario_dir else ""
        s_table = Table(title=f"Scenarios (-T scenarios=ID{yours})")
        for col in ("scenario", "domain", "source"):
            s_table.add_column(col, no_wrap=col != "domain")
        for s in scenarios:
            packaged = (SCENARIO_DIR / f"{s.id}.yaml").is_file()
            source = "packaged" if packaged else str(Path(str(scenario_dir)) / f"{s.id}.yaml")
            s_table.add_row(s.id, s.domain, source)
        console.print(s_table)


@app.command()
def doctor() -> None:
    """Check that this machine can run the bwrap sandbox (and ssh between two machines)."""
    from .sandbox import BwrapConfig, BwrapSandboxEnvironment, SandboxSetupError, bwrap_path

    try:
        path = bwrap_path()
    except SandboxSetupError as ex:
        fail(str(ex))
    console.print(f"bwrap: {path}")

    async def smoke() -> str:
        envs = await BwrapSandboxEnvironment.sample_init(
            "doctor", BwrapConfig(hostname="alpha", hosts=("beta",)), {}
        )
        try:
            res = await envs["default"].exec(
                ["bash", "-c", "python3 -c 'print(1+1)' && ssh beta hostname"]
            )
            if not res.success:
                raise RuntimeError(res.stderr.strip() or f"exit code {res.returncode}")
            return res.stdout
        finally:
            await BwrapSandboxEnvironment.sample_cleanup("doctor", None, envs, False)

    try:
        out = asyncio.run(smoke())
    except (RuntimeError, OSError) as ex:
        fail(f"sandbox smoke test failed: {ex}")
    if out.split() != ["2", "beta"]:
        fail(f"sandbox smoke test gave unexpected output {out!r}")
    console.print("[green]ok[/]: bash, python3 and ssh work inside the sandbox")
    from .sandbox.checks import guarantees

    for what, held, how in guarantees():
        mark = "[green]ok[/]" if held else "[yellow]weaker[/]"
        console.print(f"{mark}: {what}: {how}")


REFERENCE_NOTE = (
    "No --model given: running the scripted reference agents (not language models) offline. "
    "To evaluate a real model: --model openai/gpt-4o, anthropic/claude-3-5-sonnet-latest, "
    "vllm/<model> or ollama/<model>."
)


@app.command()
def run(
    model: Annotated[list[str], typer.Option("--model", help="Model(s), e.g. openai/gpt-4o. "
                     "Default: the scripted reference agents (offline).")] = [],  # noqa: B006
    evals: Annotated[str, typer.Option(help="Comma-separated eval names (default: all).")] = "",
    conditions: Annotated[str, typer.Option(
        help="paper | controls | full | name=value,... (the default plus each change)")
    ] = "controls",
    scenarios: Annotated[str | None, typer.Option(help="Comma-separated scenario ids.")] = None,
    scenario_dir: ScenarioDirOption = None,
    sandbox: Annotated[str | None, typer.Option(
        help="bwrap (default) | docker | k8s | docker:FILE | k8s:FILE")] = None,
    epochs: Annotated[int, typer.Option(help="Rollouts per sample.")] = 1,
    max_connections: Annotated[int, typer.Option(help="Concurrent model calls.")] = 10,
    log_dir: Annotated[Path | None, typer.Option(
        help="Where .eval logs go (default: logs/run-<id>, one folder per plan: the same "
        "command resumes there, another plan gets its own).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")] = Path(
        "report"),
    limit: Annotated[int | None, typer.Option(help="At most this many samples per task.")
                     ] = None,
    display: Annotated[str, typer.Option(
        help="progress (ours: one live line, or a line every 30 s when not a terminal), or "
        "Inspect's own: full, plain, none.")] = "progress",
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", min=1, help="Stop once this invocation has used this many tokens "
        "(all models; finished rollouts are kept; rerun to continue).")] = None,
    max_cost: Annotated[float | None, typer.Option(
        "--max-cost", min=0.0, help="Stop once this invocation has spent this many USD, at "
        "genai-prices' prices (models without a price count nothing).")] = None,
    grader: Annotated[str | None, typer.Option(
        "--grader", help="Model that grades follow-up and interrogation answers (Inspect role "
        "'grader'), e.g. openai/gpt-4o. Default: the model under test grades itself (the report "
        "says so); the scripted agents get the rule-based grader.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the plan with its expected and worst-case model calls, tokens, "
        "cost and time, and stop (no key, no network, nothing run).")] = False,
    confirm_above: Annotated[float | None, typer.Option(
        "--confirm-above", min=0.0, help="Ask before running when the plan's expected cost "
        "exceeds this many USD (refuse without a terminal unless --yes).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (--confirm-above).")
                   ] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes to split the plan over, each its own event loop "
        "(logs in <log-dir>/shard-I-of-N; one report at the end). Default: the number of "
        "cores (1 with --max-tokens/--max-cost); 1 runs in this process, logs in <log-dir> "
        "itself.")] = None,
    shard: Annotated[str | None, typer.Option(
        "--shard", help="Run only shard I of N of the plan (I/N; e.g. one job of a cluster "
        "array); logs in <log-dir>/shard-I-of-N; `scheming-evals report <log-dir>` when all "
        "are done.")] = None,
    live_samples: Annotated[bool, typer.Option(
        "--live-samples", help="Also stream running rollouts' events for `inspect view` "
        "(Inspect's realtime log; about 10% more CPU). Finished rollouts are in the logs "
        "either way.")] = False,
) -> None:
    """Run the suite (a resumable Inspect eval set) and write the report."""
    import signal

    from inspect_ai import eval_set

    from . import suite

    # A run started in the background of a non-interactive shell inherits SIGINT ignored, and
    # Python then never raises KeyboardInterrupt: the budgets' stop and a parent's interrupt
    # of its workers are SIGINTs, so take it back.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

    names = [e.strip() for e in evals.split(",") if e.strip()] or [
        e.name for e in catalog.evals() if e.available]
    user_dir = None
    if scenario_dir is not None:
        from .scenario import ScenarioError, select_scenarios

        try:  # before anything is planned: a bad folder or file is one line
            select_scenarios(scenarios, scenario_dir)
        except ScenarioError as ex:
            fail(str(ex))
        user_dir = str(scenario_dir.resolve())  # the task argument: valid from any directory
    try:
        for name in names:
            catalog.get(name)
        planned = suite.plan(model, names, conditions, scenarios, sandbox, scenario_dir=user_dir)
    except (ValueError, KeyError) as ex:
        fail(_first_line(ex))
    from . import workers as split

    part: tuple[int, int] | None = None
    full_plan = planned
    if shard is not None:
        try:
            part = split.parse_shard(shard)
        except ValueError as ex:
            fail(str(ex))
        planned = split.shard(planned, *part)
    if dry_run or confirm_above is not None:  # no model is made yet: no key needed
        from . import plan_table

        try:
            estimate = plan_table.show(console, planned, epochs=epochs, limit=limit,
                                       max_connections=max_connections, grader=grader)
        except (ValueError, KeyError) as ex:
            fail(_first_line(ex))
        if dry_run:
            return
        plan_table.confirm(estimate, confirm_above or 0.0, yes, fail)
    if log_dir is None:
        log_dir = Path("logs") / f"run-{suite.plan_id(full_plan, grader, epochs)}"
    budgets = max_tokens is not None or max_cost is not None
    # a budget is exact in one process; across workers it is checked on their reports
    default = 1 if budgets else (os.cpu_count() or 1)
    n = 1 if part else min(workers or default, len(planned))
    _check_log_dir(log_dir)  # another tool's logs first: they are no split of ours
    other = split.other_split(log_dir, part[1] if part else n)
    if other is not None:
        how = "--workers/--shard" if other > 1 else "one process"
        fail(f"{log_dir} holds a run split {other} way(s) ({how}); resume it with --workers "
             f"{other}, or use a fresh --log-dir")
    if n > 1:
        argv = [*(a for m in model for a in ("--model", m)), "--evals", ",".join(names),
                "--conditions", conditions, "--epochs", str(epochs), "--log-dir", str(log_dir),
                "--max-connections", str(-(-max_connections // n))]
        for flag, value in (("--scenarios", scenarios), ("--scenario-dir", user_dir),
                            ("--sandbox", sandbox), ("--limit", limit), ("--grader", grader)):
            if value is not None:
                argv += [flag, str(value)]
        if live_samples:
            argv.append("--live-samples")
        _check_models([*model, *([grader] if grader else [])])
        _run_workers(argv, n, log_dir, output, max_tokens, max_cost, bool(model), grader,
                     display)
        return
    if part is not None:
        log_dir = split.shard_dir(log_dir, *part)
        if not planned:
            return
    quiet = display == "worker"
    try:
        tasks = suite.build_tasks(planned, grader=grader)
    except (ValueError, KeyError) as ex:
        fail(_first_line(ex))
    except Exception as ex:  # noqa: BLE001 - e.g. an unknown model provider: one clear line
        from .setup_errors import setup_error

        fail(f"cannot set up the run: {setup_error(ex, [*model, *([grader] if grader else [])])}")
    _check_log_dir(log_dir)
    if max_cost is not None:
        from .costs import known_price, prices_source

        unpriced = sorted({p.model for p in planned if not known_price(p.model)})
        if unpriced:
            err.print(f"note: no price known for {', '.join(unpriced)} ({prices_source()}): "
                      "--max-cost counts nothing for them; --max-tokens does", highlight=False)
    if not quiet:
        _say_who(bool(model), grader)
        console.print(f"{len(tasks)} tasks ({len(names)} evals, conditions: {conditions}) -> "
                      f"{log_dir}")
    from inspect_ai._util.error import PrerequisiteError

    budget = suite.enable_budget(max_tokens, max_cost)
    shown = (_progress(tasks, log_dir, epochs, limit, worker=quiet)
             if display in ("progress", "worker") else None)
    try:
        # log_buffer=1: every finished rollout is written to its .eval file at once, so a
        # killed run loses none; Inspect's realtime buffer (events of running rollouts, for
        # `inspect view`) is opt-in: it costs about a tenth of the harness's CPU per rollout.
        # cache_prompt="auto": prompt caching where the provider offers it (Anthropic); the
        # others cache automatically or not at all. Budgets are not passed to Inspect (its
        # token_limit/cost_limit are per sample and part of the task identity). Under our
        # progress line Inspect's display is "log" (its lines go to logging, shown from
        # warnings up), not "none": "none" quiets rich's console but still renders the
        # results table of every task at the end (about 7 s of CPU for 45 tasks).
        ok, logs = eval_set(tasks, log_dir=str(log_dir), epochs=epochs,
                         max_connections=max_connections, limit=limit, max_tasks=4,
                         log_buffer=1, log_realtime=live_samples, cache_prompt="auto",
                         display=cast("DisplayType", "log" if shown else display))
        # Inspect handles Ctrl-C itself: it cancels the running tasks and returns
        interrupted = any(log.status == "cancelled" for log in logs)
    except PrerequisiteError as ex:
        msg = " ".join(str(ex).split())
        if "not associated with a task" in msg:
            import re

            named = re.search(r"log file '([^']+)'", msg)
            which = f" ({named.group(1)})" if named else ""
            msg = (f"{log_dir} holds logs of a different run{which} (other evals, conditions or "
                   "models); use a fresh --log-dir, or the same options as that run to resume it")
        fail(msg)
    except KeyboardInterrupt:
        if budget.reached is None:
            fail(f"interrupted; finished rollouts are kept in {log_dir}: run the same command "
                 "again to complete only what is missing", code=130)
        ok, interrupted = False, False
    finally:
        reached = budget.reached
        budget.reset(None, None)
        if shown is not None:
            from . import progress

            shown.__exit__(None, None, None)
            progress.ACTIVE.clear()
    if ok:
        _remove_superseded(log_dir)
    if quiet:  # a --workers child: its parent reports
        if interrupted:
            raise typer.Exit(130)
        raise typer.Exit(0 if ok else 1)
    _usage_or_stop(log_dir, output, reached, interrupted)
    if part is not None:
        console.print(f"shard {part[0]}/{part[1]}: logs in {log_dir}; once every shard is "
                      f"done: scheming-evals report {log_dir.parent}", highlight=False)
    else:
        _write_report([log_dir], output)
        console.print(f"logs: {log_dir}\nreport: {output / 'report.html'}")
    if not ok:
        fail("some tasks did not finish; run the same command again to complete them", code=1)


def _usage_or_stop(log_dir: Path, output: Path, reached: str | None, interrupted: bool) -> None:
    """The usage table; then, when a budget stopped the run or it was interrupted, a report
    of what finished and the line saying how to continue."""
    _print_usage(log_dir)
    if reached is not None:
        _write_report([log_dir], output, strict=False)
        fail(f"{reached}. Finished rollouts are kept in {log_dir}; to continue, run the same "
             "command again with a larger budget (or none): only what is missing runs.",
             code=3)
    if interrupted:
        _write_report([log_dir], output, strict=False)
        fail(f"interrupted; finished rollouts are kept in {log_dir}: run the same command "
             "again to complete only what is missing", code=130)


def _say_who(real: bool, grader: str | None) -> None:
    """Whether scripted agents or real models run, and who grades the latter."""
    if not real:
        console.print(f"[yellow]{REFERENCE_NOTE}[/]")
    elif grader is None:
        console.print("note: follow-up answers are graded by the model under test itself; "
                      "--grader MODEL names another grader", highlight=False)


def _check_models(models: list[str]) -> None:
    """Make each model once (no call): a missing key or provider package is one line here,
    before any worker starts."""
    from inspect_ai.model import get_model

    from .setup_errors import setup_error

    for m in dict.fromkeys(models):
        try:
            get_model(m)
        except Exception as ex:  # noqa: BLE001 - one clear line, as for one process
            fail(f"cannot set up the run: {setup_error(ex, models)}")


def _run_workers(argv: list[str], n: int, log_dir: Path, output: Path, max_tokens: int | None,
                 max_cost: float | None, real: bool, grader: str | None, display: str) -> None:
    """``run --workers n``: n children, one shard each; their combined progress; budgets over
    all of them; one usage table and one report at the end."""
    from . import progress
    from . import workers as split

    _say_who(real, grader)
    console.print(f"{n} workers -> {log_dir}/shard-I-of-{n}", highlight=False)
    budgets = max_tokens is not None or max_cost is not None
    children, combined = split.start(argv, n, every=0.2 if budgets else 1.0)
    shown = progress.Display(combined, console, quiet=display == "none").__enter__()
    interrupted = False
    try:
        reached = split.wait(children, combined, max_tokens, max_cost)
    except KeyboardInterrupt:
        interrupted, reached = True, None
        split.interrupt(children)
        for w in children:
            w.proc.wait()
    finally:
        shown.__exit__(None, None, None)
    codes = [w.proc.returncode for w in children]
    failed = [w for w in children if w.proc.returncode not in (0, 1, 130)]
    if failed and reached is None and not interrupted:
        w = failed[0]
        last = next((e for e in reversed(w.errors) if e.startswith("error:")),
                    w.errors[-1] if w.errors else f"exit code {w.proc.returncode}")
        fail(f"worker {w.index}/{n}: {last.removeprefix('error:').strip()}",
             code=w.proc.returncode or 1)
    _usage_or_stop(log_dir, output, reached, interrupted or 130 in codes)
    _write_report([log_dir], output)
    console.print(f"logs: {log_dir}\nreport: {output / 'report.html'}")
    if any(codes):
        fail("some tasks did not finish; run the same command again to complete them", code=1)


def _progress(tasks: list[Any], log_dir: Path, epochs: int, limit: int | None,
              worker: bool = False) -> Any:
    """Start ``run``'s own progress display over these tasks (what the folder already holds
    counted as done)."""
    from . import progress, suite

    total = sum(min(len(t.dataset), limit or len(t.dataset)) for t in tasks) * epochs
    tasks_before, done_before = suite.finished_in(str(log_dir)) if log_dir.is_dir() else (0, 0)
    p = progress.Progress(total, len(tasks), done_before=done_before, tasks_done=tasks_before)
    progress.register_hook()
    progress.ACTIVE[:] = [p]
    return progress.Display(p, console, worker=worker).__enter__()


def _remove_superseded(log_dir: Path) -> None:
    """Remove the logs a killed run left behind once a finished log holds all their rollouts."""
    from inspect_ai._util.file import filesystem
    from inspect_ai.log._recorders.buffer.buffer import cleanup_sample_buffers_for_log

    from . import suite

    stale = suite.superseded_crashed_logs(str(log_dir))
    for name in stale:
        filesystem(name).rm(name)
        try:  # the sample buffer Inspect kept for recovering it (in its local data dir)
            cleanup_sample_buffers_for_log(name)
        except Exception:  # noqa: BLE001 - only disk space is at stake
            pass
    if stale:
        console.print(f"removed {len(stale)} log(s) of an interrupted run; their finished "
                      "rollouts are in the new logs", highlight=False)


def _first_line(ex: BaseException) -> str:
    text = str(ex).strip()
    if isinstance(ex, KeyError) and len(ex.args) == 1 and isinstance(ex.args[0], str):
        text = ex.args[0]
    return text.splitlines()[0] if text else ""


def _check_log_dir(log_dir: Path) -> None:
    """Refuse, before anything is written, a --log-dir that is not a directory or holds logs
    of other tasks than these evals (another tool's, or Inspect's of other tasks)."""
    if log_dir.exists() and not log_dir.is_dir():
        fail(f"--log-dir {log_dir} is a file, not a directory")
    if not log_dir.is_dir():
        return
    from inspect_ai.log import list_eval_logs, read_eval_log

    for info in list_eval_logs(str(log_dir)):
        try:
            task = read_eval_log(info.name, header_only=True).eval.task
        except Exception:  # noqa: BLE001 - unreadable: certainly not one of ours
            task = "?"
        if not task.startswith("scheming_evals/"):
            fail(f"{log_dir} holds logs of another tool or task ({Path(info.name).name}: "
                 f"{task}); use a fresh --log-dir")


def _print_usage(log_dir: Path) -> None:
    """Rollouts, tokens and cost per model over the eval set's logs (all invocations)."""
    from . import suite

    try:
        totals = suite.usage_by_model(str(log_dir))
    except Exception as ex:  # noqa: BLE001 - accounting must not hide the run's outcome
        err.print(f"note: could not read usage from {log_dir}: {_first_line(ex)}")
        return
    if not totals:
        return
    t = Table(title=f"Usage in {log_dir} (finished rollouts)")
    for col in ("model", "rollouts", "input", "cached", "output", "USD"):
        t.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)
    for m in totals:
        cost = "n/a" if m.cost is None else f"{m.cost:.4f}"
        t.add_row(m.model, str(m.samples) if m.samples else "", f"{m.input_tokens:,}",
                  f"{m.cache_read:,}", f"{m.output_tokens:,}", cost)
    console.print(t)
    from .costs import prices_source

    note = "USD for reference/* is a fictitious test rate (they are free); " if any(
        m.model.startswith("reference/") for m in totals) else ""
    console.print(f"{note}prices: {prices_source()}", highlight=False)


def _write_report(log_dirs: list[Path], output: Path, strict: bool = True) -> None:
    try:
        from .report import write_report
    except ImportError:
        err.print("note: the report module is not available in this version")
        return
    try:
        write_report([str(d) for d in log_dirs], str(output))
    except Exception as ex:  # noqa: BLE001 - a log problem is one line; the logs are kept
        if not strict:
            err.print(f"note: no report from the partial logs: {_first_line(ex)}")
            return
        fail(f"the runs finished but the report failed: {str(ex).splitlines()[0]}")


@app.command()
def report(
    log_dirs: Annotated[list[Path], typer.Argument(
        help="Directories of Inspect .eval logs (searched recursively), or log files.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")] = Path(
        "report"
    ),
    pool: Annotated[bool, typer.Option(
        "--pool", help="Pool logs of different runs that hold the same task (refused "
        "otherwise: their rollouts would be counted together).")] = False,
) -> None:
    """Write the HTML and Markdown report and the tidy CSV from Inspect logs."""
    from .analysis.tidy import LogReadError
    from .report import ReportError, write_report

    for d in log_dirs:
        if not d.is_dir() and not d.is_file():
            fail(f"{d}: not a directory of Inspect logs (nor a log file)")
    try:
        files = write_report(log_dirs, output, pool=pool)
    except (LogReadError, ReportError) as ex:
        fail(str(ex))
    console.print(f"read {files.logs} log(s) from {files.runs} run(s)\nreport: {files.html}"
                  f"\nsummary: {files.markdown}\nsamples: {files.csv}", highlight=False)


def _grader_model(name: str) -> Any:
    """The grader model to measure (a seam for tests)."""
    from inspect_ai.model import get_model

    return get_model(name)


@app.command("grader-check")
def grader_check(
    grader: Annotated[str | None, typer.Option(
        "--grader", help="Grader model to measure, e.g. openai/gpt-4o (the one you pass to "
        "`run --grader`, or the model under test when it grades itself). Default: the "
        "rule-based fallback (printed only; the report computes it itself).")] = None,
    log_dir: Annotated[Path, typer.Option(
        help="The logs' folder (or a parent of it): grader_accuracy.json goes here, where the "
        "report looks for it.")] = Path("logs"),
    max_connections: Annotated[int, typer.Option(min=1, help="Concurrent grader calls.")] = 8,
) -> None:
    """Measure a follow-up grader on the packaged labelled answers (admitted / denied /
    deflected): accuracy with its Wilson interval, recall per label, confusion matrix."""
    from .followup import accuracy as acc_mod

    corpus = acc_mod.load_corpus()
    if grader is None:
        acc = acc_mod.measure(corpus=corpus)
    else:
        if log_dir.exists() and not log_dir.is_dir():
            fail(f"--log-dir {log_dir} is a file, not a directory")
        try:
            model = _grader_model(grader)
        except Exception as ex:  # noqa: BLE001 - unknown provider, missing key: one line
            fail(f"cannot make the grader {grader}: {_first_line(ex) or type(ex).__name__}")
        console.print(f"grading {len(corpus.items)} labelled answers with {grader} ...",
                      highlight=False)
        try:
            acc = asyncio.run(acc_mod.measure_model(model, corpus, max_connections))
        except Exception as ex:  # noqa: BLE001 - a provider error is one line
            fail(f"grader {grader} failed: {_first_line(ex) or type(ex).__name__}")
    console.print(f"{acc.grader} ({acc.version}): {acc.summary()}", highlight=False)
    ho = acc.held_out
    console.print(f"held-out answers: {ho[0]}/{ho[1]}; recall: {acc.recall_text()}",
                  highlight=False)
    t = Table(title="Confusion (rows: label, columns: grader)")
    t.add_column("label")
    for col in acc_mod.LABELS:
        t.add_column(col, justify="right")
    for label, row in acc.confusion.items():
        t.add_row(label, *(str(row[c]) for c in acc_mod.LABELS))
    console.print(t)
    for m in acc.misses[:20]:
        console.print(f"miss {m.id}: {m.want} labelled {m.got} (\"{m.quote}\")", highlight=False,
                      markup=False)
    if grader is not None:
        path = acc_mod.write_accuracy(log_dir, acc)
        console.print(f"written: {path} (the report shows it next to every confession rate)",
                      highlight=False)


def main() -> None:  # pragma: no cover - console entry for `python -m`
    app(prog_name="scheming-evals")


if __name__ == "__main__":  # pragma: no cover
    main()
