"""Command line: ``scheming-evals list | doctor | run | report``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from . import __version__, catalog
from .conditions import CONDITIONS

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


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit()


@app.command("list")
def list_evals() -> None:
    """List the evaluations and the conditions each one can run under."""
    t = Table(title="Evaluations")
    t.add_column("eval", no_wrap=True)
    for col in ("kind", "measures", "paper", "conditions", "status"):
        t.add_column(col)
    for e in catalog.EVALS:
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
            "doctor", BwrapConfig(hostname="alpha", hosts=["beta"]), {}
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


@app.command()
def run(
    model: Annotated[list[str], typer.Option("--model", help="Model(s), e.g. openai/gpt-4o.")] = [],  # noqa: B006
    evals: Annotated[str, typer.Option(help="Comma-separated eval names (default: all).")] = "",
    conditions: Annotated[str, typer.Option(help="paper | controls | full | a=b,c=d")] = "paper",
    epochs: Annotated[int, typer.Option(help="Rollouts per sample.")] = 1,
    max_connections: Annotated[int, typer.Option(help="Concurrent model calls.")] = 10,
    log_dir: Annotated[Path, typer.Option(help="Where .eval logs go.")] = Path("logs"),
    limit: Annotated[int | None, typer.Option(help="At most this many samples per eval.")] = None,
) -> None:
    """Run the suite (resumable eval set) and write the report."""
    for name in [e for e in evals.split(",") if e]:
        try:
            catalog.get(name)
        except ValueError as ex:
            fail(str(ex))
    fail("`run` is not available yet: the eval tasks land with issue #3 (covert evals); "
         "until then use `scheming-evals list` and `scheming-evals doctor`", code=3)


@app.command()
def report(
    log_dirs: Annotated[list[Path], typer.Argument(help="Directories of Inspect .eval logs.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Report directory.")] = Path(
        "report"
    ),
) -> None:
    """Write the HTML and Markdown report and the tidy CSV from Inspect logs."""
    for d in log_dirs:
        if not d.is_dir():
            fail(f"{d}: not a directory of Inspect logs")
    fail("`report` is not available yet: it lands with issue #7 (analysis and report)", code=3)


def main() -> None:  # pragma: no cover - console entry for `python -m`
    app(prog_name="scheming-evals")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
