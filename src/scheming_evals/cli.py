"""Command line: ``scheming-evals list | doctor | run | report``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, cast

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
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
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
def list_evals(scenario_dir: ScenarioDirOption = None) -> None:
    """List the evaluations and the conditions each one can run under (and, with
    --scenario-dir, every scenario: the packaged ones and yours)."""
    scenarios = _load_scenarios(scenario_dir) if scenario_dir else ()
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

        s_table = Table(title=f"Scenarios (-T scenarios=ID; yours from {scenario_dir})")
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
    log_dir: Annotated[Path, typer.Option(help="Where .eval logs go.")] = Path("logs"),
    output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")] = Path(
        "report"),
    limit: Annotated[int | None, typer.Option(help="At most this many samples per task.")
                     ] = None,
    display: Annotated[str, typer.Option(help="Inspect display: full, plain, none.")] = "full",
    max_tokens: Annotated[int | None, typer.Option(
        "--max-tokens", min=1, help="Stop once this invocation has used this many tokens "
        "(all models; finished rollouts are kept; rerun to continue).")] = None,
    max_cost: Annotated[float | None, typer.Option(
        "--max-cost", min=0.0, help="Stop once this invocation has spent this many USD, at the "
        "prices in data/prices.yaml (models without a price count nothing).")] = None,
    grader: Annotated[str | None, typer.Option(
        "--grader", help="Model that grades follow-up and interrogation answers (Inspect role "
        "'grader'), e.g. openai/gpt-4o. Default: the model under test grades itself (the report "
        "says so); the scripted agents get the rule-based grader.")] = None,
) -> None:
    """Run the suite (a resumable Inspect eval set) and write the report."""
    from inspect_ai import eval_set

    from . import suite

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
        tasks = suite.build_tasks(planned, grader=grader)
    except (ValueError, KeyError) as ex:
        fail(_first_line(ex))
    except Exception as ex:  # noqa: BLE001 - e.g. an unknown model provider: one clear line
        fail(f"cannot set up the run: {_first_line(ex) or type(ex).__name__}")
    _check_log_dir(log_dir)
    if max_cost is not None:
        unpriced = sorted({p.model for p in planned if suite.price_for(p.model) is None})
        if unpriced:
            err.print(f"note: no price known for {', '.join(unpriced)} (data/prices.yaml): "
                      "--max-cost counts nothing for them; --max-tokens does", highlight=False)
    if not model:
        console.print(f"[yellow]{REFERENCE_NOTE}[/]")
    elif grader is None:
        console.print("note: follow-up answers are graded by the model under test itself; "
                      "--grader MODEL names another grader", highlight=False)
    console.print(f"{len(tasks)} tasks ({len(names)} evals, conditions: {conditions}) -> "
                  f"{log_dir}")
    from inspect_ai._util.error import PrerequisiteError

    budget = suite.enable_budget(max_tokens, max_cost)
    try:
        # log_buffer=1: every finished rollout is written to its .eval file at once, so a
        # killed run loses none (Inspect also recovers unflushed ones from its sample buffer
        # database, but that lives in the local data directory, not with the logs).
        # cache_prompt="auto": prompt caching where the provider offers it (Anthropic); the
        # others cache automatically or not at all. Budgets are not passed to Inspect (its
        # token_limit/cost_limit are per sample and part of the task identity).
        ok, _ = eval_set(tasks, log_dir=str(log_dir), epochs=epochs,
                         max_connections=max_connections, limit=limit, max_tasks=4,
                         log_buffer=1, log_realtime=True, cache_prompt="auto",
                         display=cast("DisplayType", display))
    except PrerequisiteError as ex:
        msg = " ".join(str(ex).split())
        if "not associated with a task" in msg:
            msg = (f"{log_dir} holds logs of a different run (other evals, conditions or "
                   "models); use a fresh --log-dir, or the same options as that run to resume it")
        fail(msg)
    except KeyboardInterrupt:
        if budget.reached is None:
            fail(f"interrupted; finished rollouts are kept in {log_dir}: run the same command "
                 "again to complete only what is missing", code=130)
        ok = False
    finally:
        reached = budget.reached
        budget.reset(None, None)
    if ok:
        _remove_superseded(log_dir)
    _print_usage(log_dir)
    if reached is not None:
        _write_report([log_dir], output, strict=False)
        fail(f"{reached}. Finished rollouts are kept in {log_dir}; to continue, run the same "
             "command again with a larger budget (or none): only what is missing runs.",
             code=3)
    _write_report([log_dir], output)
    console.print(f"logs: {log_dir}\nreport: {output / 'report.html'}")
    if not ok:
        fail("some tasks did not finish; run the same command again to complete them", code=1)


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
    if any(m.price is not None and m.price.key == "reference" for m in totals):
        console.print("USD for reference/* is a fictitious test rate (they are free); "
                      "prices: data/prices.yaml", highlight=False)


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
) -> None:
    """Write the HTML and Markdown report and the tidy CSV from Inspect logs."""
    from .analysis.tidy import LogReadError
    from .report import ReportError, write_report

    for d in log_dirs:
        if not d.is_dir() and not d.is_file():
            fail(f"{d}: not a directory of Inspect logs (nor a log file)")
    try:
        files = write_report(log_dirs, output)
    except (LogReadError, ReportError) as ex:
        fail(str(ex))
    console.print(f"report: {files.html}\nsummary: {files.markdown}\nsamples: {files.csv}",
                  highlight=False)


def main() -> None:  # pragma: no cover - console entry for `python -m`
    app(prog_name="scheming-evals")


if __name__ == "__main__":  # pragma: no cover
    main()
