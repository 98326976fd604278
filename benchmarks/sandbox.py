#!/usr/bin/env python3
"""Overhead of the ``bwrap`` sandbox provider, next to Inspect's ``local`` one and a bare baseline.

Measures, in one run and interleaved per round (so machine noise hits every case alike):

* sample setup + teardown: ``sample_init`` + ``sample_cleanup`` of ``bwrap`` (default config,
  one machine) inside a task, where the machine was booted ahead while the previous sample ran
  (the provider keeps one spare per configuration between ``task_init`` and ``task_cleanup``),
  the same booted cold (no spare), Inspect's ``local`` provider, and a bare ``mkdtemp`` +
  ``rmtree``;
* one short command: ``exec(["true"])`` on ``bwrap`` and on ``local``, and a bare
  ``bash -c true`` launched with asyncio;
* an ssh round trip: ``exec(["ssh", "peer", "true"])`` between the two machines of a sample.
Before every timed case the spare, if one is booting, is waited for, so no case is timed while
a machine boots in the background.

Prints a Markdown table with medians and p90s next to the targets (bwrap setup + teardown
<= 20 ms median; one bwrap command <= 1.5x the local provider's median). Needs no network and
no keys. Usage::

    python benchmarks/sandbox.py [--runs 200] [--warmup 20] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from inspect_ai.util._sandbox.local import LocalSandboxEnvironment  # noqa: E402

from scheming_evals.sandbox import BwrapConfig, BwrapSandboxEnvironment, bwrap_path  # noqa: E402
from scheming_evals.sandbox.provider import _SPARES  # noqa: E402

SETUP_TARGET_MS = 20.0
EXEC_TARGET_RATIO = 1.5
TASK = "benchmark"

Case = Callable[[], Awaitable[None]]


# -- the cases ------------------------------------------------------------------------------------


WARM = BwrapConfig()
COLD = BwrapConfig(hostname="cold")  # no task_init for it: booted when asked


async def bwrap_setup_teardown() -> None:
    envs = await BwrapSandboxEnvironment.sample_init(TASK, WARM, {})
    await BwrapSandboxEnvironment.sample_cleanup(TASK, WARM, envs, False)


async def bwrap_cold_setup_teardown() -> None:
    envs = await BwrapSandboxEnvironment.sample_init(TASK, COLD, {})
    await BwrapSandboxEnvironment.sample_cleanup(TASK, COLD, envs, False)


async def local_setup_teardown() -> None:
    envs = await LocalSandboxEnvironment.sample_init(TASK, None, {})
    await LocalSandboxEnvironment.sample_cleanup(TASK, None, envs, False)


async def bare_setup_teardown() -> None:
    shutil.rmtree(tempfile.mkdtemp(prefix="bench-bare-"))


def exec_case(env: Any, cmd: tuple[str, ...] = ("true",)) -> Case:
    async def run() -> None:
        res = await env.exec(list(cmd))
        if not res.success:
            raise RuntimeError(f"`true` failed in {type(env).__name__}: {res.stderr}")

    return run


async def bare_bash_true() -> None:
    proc = await asyncio.create_subprocess_exec(
        "bash", "-c", "true",
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("bash -c true failed")


# -- measuring -----------------------------------------------------------------------------------


def percentile(xs: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


async def measure(
    cases: dict[str, Case], runs: int, warmup: int, seed: int
) -> dict[str, list[float]]:
    """Run every case once per round, in a fresh random order each round; return ms per case."""
    rng = random.Random(seed)
    names = list(cases)
    times: dict[str, list[float]] = {n: [] for n in names}
    for rnd in range(warmup + runs):
        rng.shuffle(names)
        for n in names:
            await _SPARES.ready(WARM)  # no case is timed while a spare boots
            t0 = time.perf_counter_ns()
            await cases[n]()
            dt = (time.perf_counter_ns() - t0) / 1e6
            if rnd >= warmup:
                times[n].append(dt)
    return times


# -- machine -------------------------------------------------------------------------------------


def machine_info() -> dict[str, str]:
    try:
        bwrap = bwrap_path()
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
        bwrap_version = out.stdout.strip() or out.stderr.strip()
    except Exception as ex:  # noqa: BLE001 - reported, then the run fails on sample_init
        bwrap, bwrap_version = "-", f"unavailable ({ex})"
    try:
        from importlib.metadata import version

        inspect_version = version("inspect-ai")
    except Exception:  # noqa: BLE001
        inspect_version = "?"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    euid = os.geteuid()
    return {
        "nproc": str(cpus),
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "bwrap": f"{bwrap_version} ({bwrap})",
        "inspect-ai": inspect_version,
        "euid": f"{euid}" + (" (root: sandbox runs as a private uid per sample)" if euid == 0
                             else ""),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- report --------------------------------------------------------------------------------------


def summarize(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        n: {
            "median_ms": percentile(xs, 50),
            "p90_ms": percentile(xs, 90),
            "min_ms": min(xs),
            "mean_ms": sum(xs) / len(xs),
            "n": len(xs),
        }
        for n, xs in times.items()
    }


def render(info: dict[str, str], stats: dict[str, dict[str, float]], runs: int,
           warmup: int) -> tuple[str, dict[str, Any]]:
    st_b = stats["setup+teardown/bwrap"]["median_ms"]
    ex_b = stats["exec/bwrap"]["median_ms"]
    ex_l = stats["exec/local"]["median_ms"]
    ratio = ex_b / ex_l
    verdicts = {
        "setup_teardown_bwrap_median_ms": st_b,
        "setup_teardown_target_ms": SETUP_TARGET_MS,
        "setup_teardown_pass": st_b <= SETUP_TARGET_MS,
        "exec_ratio_bwrap_to_local": ratio,
        "exec_ratio_target": EXEC_TARGET_RATIO,
        "exec_ratio_pass": ratio <= EXEC_TARGET_RATIO,
    }

    def ok(flag: bool) -> str:
        return "**met**" if flag else "**NOT met**"

    rows = [
        ("sample setup + teardown", "bwrap (1 machine, booted ahead)", "setup+teardown/bwrap",
         f"median <= {SETUP_TARGET_MS:g} ms: {ok(verdicts['setup_teardown_pass'])}"),
        ("sample setup + teardown", "bwrap (1 machine, cold boot)", "setup+teardown/bwrap-cold",
         "(what the first sample of a task waits)"),
        ("sample setup + teardown", "local (Inspect)", "setup+teardown/local", ""),
        ("sample setup + teardown", "bare mkdtemp + rmtree", "setup+teardown/bare", ""),
        ("one command", "bwrap `exec([\"true\"])`", "exec/bwrap",
         f"<= {EXEC_TARGET_RATIO:g}x local: {ratio:.2f}x, {ok(verdicts['exec_ratio_pass'])}"),
        ("one command", "local `exec([\"true\"])`", "exec/local", "(reference)"),
        ("one command", "bare asyncio `bash -c true`", "exec/bare", ""),
        ("ssh round trip", "bwrap `exec([\"ssh\", \"peer\", \"true\"])`", "ssh/bwrap",
         "(reported)"),
    ]
    lines = ["## Sandbox overhead", ""]
    lines += [f"- **{k}**: {v}" for k, v in info.items()]
    lines += [f"- **runs**: {runs} per case after {warmup} warm-up rounds, cases interleaved "
              "in a random order each round", ""]
    lines += ["| measurement | provider | median (ms) | p90 (ms) | min (ms) | target |",
              "|---|---|---:|---:|---:|---|"]
    for what, who, key, target in rows:
        s = stats[key]
        lines.append(f"| {what} | {who} | {s['median_ms']:.2f} | {s['p90_ms']:.2f} | "
                     f"{s['min_ms']:.2f} | {target} |")
    lines.append("")
    lines.append(f"bwrap command / local command (medians): {ratio:.2f}x; "
                 f"bwrap setup+teardown median: {st_b:.2f} ms")
    return "\n".join(lines), verdicts


async def main_async(args: argparse.Namespace) -> int:
    t_start = time.monotonic()
    info = machine_info()
    await BwrapSandboxEnvironment.task_init(TASK, WARM)
    await LocalSandboxEnvironment.task_init(TASK, None)

    bw = await BwrapSandboxEnvironment.sample_init(TASK, WARM, {})
    two = await BwrapSandboxEnvironment.sample_init(TASK, BwrapConfig(hosts=("peer",)), {})
    lo = await LocalSandboxEnvironment.sample_init(TASK, None, {})
    try:
        # sanity: both providers really run commands
        for env in (bw["default"], lo["default"]):
            res = await env.exec(["echo", "hi"])
            if res.stdout != "hi\n":
                raise RuntimeError(f"{type(env).__name__}: unexpected output {res.stdout!r}")
        cases: dict[str, Case] = {
            "setup+teardown/bwrap": bwrap_setup_teardown,
            "setup+teardown/bwrap-cold": bwrap_cold_setup_teardown,
            "setup+teardown/local": local_setup_teardown,
            "setup+teardown/bare": bare_setup_teardown,
            "exec/bwrap": exec_case(bw["default"]),
            "exec/local": exec_case(lo["default"]),
            "exec/bare": bare_bash_true,
            "ssh/bwrap": exec_case(two["default"], ("ssh", "peer", "true")),
        }
        gc.collect()
        times = await measure(cases, args.runs, args.warmup, args.seed)
    finally:
        await BwrapSandboxEnvironment.sample_cleanup(TASK, WARM, bw, False)
        await BwrapSandboxEnvironment.sample_cleanup(TASK, WARM, two, False)
        await BwrapSandboxEnvironment.task_cleanup(TASK, WARM, True)
        await LocalSandboxEnvironment.sample_cleanup(TASK, None, lo, False)

    stats = summarize(times)
    text, verdicts = render(info, stats, args.runs, args.warmup)
    elapsed = time.monotonic() - t_start
    print(text)
    print(f"\n(total wall time {elapsed:.1f} s)")
    if args.json:
        payload = {"machine": info, "runs": args.runs, "warmup": args.warmup, "seed": args.seed,
                   "stats": stats, "targets": verdicts, "samples_ms": times,
                   "wall_time_s": elapsed}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=200, help="timed rounds per case (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the per-round case order")
    p.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    args = p.parse_args()
    if args.runs < 1 or args.warmup < 0:
        p.error("--runs must be >= 1 and --warmup >= 0")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
