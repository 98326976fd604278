#!/usr/bin/env python3
"""Rollout throughput and harness CPU, one process against ``--workers 2``, at fixed model latency.

The reference OpenAI-compatible server (``scheming_evals.reference.server``) runs in a
subprocess with ``--latency`` seconds per answer (plus ``--token-rate`` output tokens per second)
and plays the scripted schemer. Inspect's own ``openai`` provider drives oversight subversion
against it (real HTTP, real ``bwrap`` sandboxes, the real detectors) at each concurrency level C
(``max_samples`` = ``max_connections``), first in one eval process, then split over two
processes as ``scheming-evals run --workers 2`` splits a plan: each process its own event loop,
half the rollouts and C/2 connections. Every eval process is a child of this script that warms
up (imports, client, first sandbox), waits until all are ready, and then runs; so the figures
hold only the measured rollouts. ``max_sandboxes`` is left unset: a sample has one sandbox, so
``max_samples`` already bounds them, and when ``max_sandboxes`` is set Inspect sleeps a random
0-1 s before each sample's sandbox init (``sandboxenv_context`` in
``inspect_ai/_eval/task/sandbox.py``). For each level and number of processes it reports:

* rollouts per second (all processes' rollouts over the time from the first start to the last
  end), next to the ideal ``C / (latency x steps)`` (``steps``: generate requests per rollout),
  and the speed-up of two processes over one;
* the harness's CPU per rollout: user + system time of the eval processes (Inspect, the HTTP
  client, our sandbox provider, detectors, log writing) and, apart, of the processes they
  started and reaped (bwrap, each machine's init, the agent's commands);
* the harness's time overhead per rollout at C = 1 (a sample's ``total_time`` minus the time
  spent waiting for the model) and per tool step;
* peak memory per concurrent rollout (each eval process's RSS, sampled every 20 ms, peak minus
  the RSS before the run, summed over processes and divided by C).

Targets printed next to the figures: two processes >= 1.7x one at 32 concurrent rollouts;
harness CPU per rollout <= 120 ms; overhead < 50 ms per tool step. Needs no network and no
keys. Usage::

    python benchmarks/throughput.py [--latency 0.5] [--token-rate 0] [--concurrency 1,8,32,64]
                                    [--workers 1,2] [--rollouts-per-slot 2] [--min-rollouts 8]
                                    [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from inspect_ai import eval as inspect_eval  # noqa: E402

from scheming_evals.evals.oversight_subversion import oversight_subversion  # noqa: E402
from scheming_evals.scenario import load_scenarios  # noqa: E402

SPEEDUP_TARGET = 1.7  # two processes over one, at 32 concurrent rollouts
SPEEDUP_AT = 32
CPU_TARGET_MS = 120.0
STEP_TARGET_MS = 50.0
POLICY = "schemer"
# as `scheming-evals run` calls Inspect (see cli.run): each finished rollout written at once, no
# realtime event buffer, the "log" display (quiet below warnings, and it renders no table)
RUN_OPTIONS: dict[str, Any] = {"log_buffer": 1, "log_realtime": False, "display": "log"}


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Samples this process's RSS in a thread while the ``with`` block runs."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.base = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


class Server:
    """The reference server in a subprocess; counts generate requests via its access log."""

    def __init__(self, latency: float, token_rate: float | None) -> None:
        argv = [sys.executable, "-m", "scheming_evals.reference.server", "--port", "0",
                "--policy", POLICY, "--latency", str(latency)]
        if token_rate:
            argv += ["--token-rate", str(token_rate)]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the reference server did not start: {self.url!r}")

    def cpu_s(self) -> float:
        """The server's user + system CPU so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def generate_requests(log: Any) -> int:
    """Generate calls in the log (one per successful ModelEvent; the run has no faults)."""
    return sum(1 for s in log.samples or [] for e in s.events
               if e.event == "model" and not e.error)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all but idle and iowait), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def reference_ms(repeats: int = 5) -> float:
    """Best time of a fixed pure-Python workload (loops, dicts, strings): the machine's speed,
    so that CPU figures taken on different machines can be compared."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        d: dict[str, int] = {}
        for i in range(200_000):
            k = f"k{i % 997}"
            d[k] = d.get(k, 0) + len(k)
        best = min(best, time.perf_counter() - t)
    return 1000 * best


def cpu_s(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def run_eval(url: str, concurrency: int, rollouts: int, api: str, log_dir: str) -> Any:
    ids = [s.id for s in load_scenarios()]
    epochs = -(-rollouts // len(ids))  # scenarios x epochs = rollouts (as near as it goes)
    task = oversight_subversion(scenarios=",".join(ids[: -(-rollouts // epochs)]),
                                followup_samples=0)
    model_args: dict[str, Any] = {"max_retries": 0}
    if api == "chat":
        model_args["responses_api"] = False
    [log] = inspect_eval(task, model=f"openai/{POLICY}", model_base_url=url,
                         model_args=model_args, epochs=epochs, max_samples=concurrency,
                         max_connections=concurrency, log_dir=log_dir, log_level="warning",
                         log_samples=True, **RUN_OPTIONS)
    if log.status != "success":
        raise RuntimeError(f"the eval at concurrency {concurrency} failed: {log.error}")
    return log


def child(args: argparse.Namespace) -> None:
    """One eval process: warm up, say ready, wait for ``go`` on stdin, run, print the figures."""
    with tempfile.TemporaryDirectory(prefix="throughput-") as logs:
        run_eval(args.url, 1, 1, args.api, logs)  # warm-up, not measured
        print("ready", flush=True)
        sys.stdin.readline()
        cpu0, kids0 = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
        with PeakRSS() as mem:
            start = time.time()
            log = run_eval(args.url, args.concurrency, args.rollouts, args.api, logs)
            end = time.time()
        samples = log.samples or []
        print(json.dumps({
            "start": start, "end": end, "rollouts": len(samples),
            "requests": generate_requests(log),
            "sample_s": sum(float(s.total_time or 0) for s in samples),
            "cpu_s": cpu_s(resource.RUSAGE_SELF) - cpu0,
            "children_cpu_s": cpu_s(resource.RUSAGE_CHILDREN) - kids0,
            "rss_base_mb": mem.base / 1024**2, "rss_peak_mb": mem.peak / 1024**2}), flush=True)


def run_level(server: Server, concurrency: int, rollouts: int, workers: int,
              api: str) -> dict[str, Any]:
    """``rollouts`` at ``concurrency`` split over ``workers`` eval processes started together."""
    url = server.url
    procs = []
    for w in range(workers):
        n = rollouts // workers + (w < rollouts % workers)
        c = max(1, concurrency // workers + (w < concurrency % workers))
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--child", "--url", url, "--concurrency", str(c),
             "--rollouts", str(n), "--api", api],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
    try:
        for p in procs:  # skip whatever Inspect printed before
            assert p.stdout is not None
            if not any(line.strip() == "ready" for line in p.stdout):
                raise RuntimeError("an eval process failed to warm up (see its output above)")
        server_cpu, busy = server.cpu_s(), machine_busy_s()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        parts = [json.loads(next(ln for ln in p.communicate()[0].splitlines()[::-1]
                                 if ln.startswith("{"))) for p in procs]
        server_cpu, busy = server.cpu_s() - server_cpu, machine_busy_s() - busy
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    n = sum(x["rollouts"] for x in parts)
    return {
        "concurrency": concurrency, "workers": workers, "rollouts": n,
        "wall_s": max(x["end"] for x in parts) - min(x["start"] for x in parts),
        "steps": sum(x["requests"] for x in parts) / n,
        "sample_s": sum(x["sample_s"] for x in parts) / n,
        "cpu_ms": 1000 * sum(x["cpu_s"] for x in parts) / n,
        "children_cpu_ms": 1000 * sum(x["children_cpu_s"] for x in parts) / n,
        "server_cpu_ms": 1000 * server_cpu / n,
        "machine_cpu_ms": 1000 * busy / n,
        "rss_peak_mb": sum(x["rss_peak_mb"] for x in parts),
        "rss_growth_mb": sum(max(0.0, x["rss_peak_mb"] - x["rss_base_mb"]) for x in parts)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=0.5, help="seconds per model answer")
    p.add_argument("--token-rate", type=float, default=0.0,
                   help="output tokens per second added to each answer (0: instant)")
    p.add_argument("--concurrency", default="1,8,32,64", help="comma-separated levels")
    p.add_argument("--workers", default="1,2", help="comma-separated numbers of eval processes")
    p.add_argument("--rollouts-per-slot", type=float, default=2.0,
                   help="rollouts per level = max(min-rollouts, this x concurrency)")
    p.add_argument("--min-rollouts", type=int, default=8)
    p.add_argument("--api", choices=["responses", "chat"], default="responses")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--rollouts", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    os.environ.setdefault("OPENAI_API_KEY", "benchmark")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    if args.child:
        args.concurrency = int(args.concurrency)
        child(args)
        return
    ref = reference_ms()
    levels = [int(c) for c in args.concurrency.split(",")]
    splits = [int(w) for w in args.workers.split(",")]
    server = Server(args.latency, args.token_rate or None)
    results: list[dict[str, Any]] = []
    total = time.perf_counter()
    load0 = os.getloadavg()[0]
    try:
        for c in levels:
            n = max(args.min_rollouts, round(args.rollouts_per_slot * c))
            for w in splits:
                if w > c:
                    continue  # fewer rollouts in flight than processes: nothing to split
                results.append(run_level(server, c, n, w, args.api))
                r = results[-1]
                print(f"  C={c}, {w} process(es): {r['rollouts']} rollouts in "
                      f"{r['wall_s']:.1f} s", flush=True)
    finally:
        server.stop()
    total = time.perf_counter() - total
    report(args, results, total, load0, ref)


def report(args: argparse.Namespace, results: list[dict[str, Any]], total: float,
           load0: float, ref: float) -> None:
    lat = args.latency
    for r in results:
        c, steps = r["concurrency"], r["steps"]
        model_s = steps * lat  # the model's own time per rollout (latency only)
        r["rollouts_per_s"] = r["rollouts"] / r["wall_s"]
        # a batch of C rollouts takes at least model_s; fewer rollouts than C cap the ideal
        r["ideal_per_s"] = min(c, r["rollouts"]) / model_s if model_s else float("inf")
        r["ratio"] = r["rollouts_per_s"] / r["ideal_per_s"]
        r["mem_per_rollout_mb"] = r["rss_growth_mb"] / min(c, r["rollouts"])
        r["cores_busy"] = r["machine_cpu_ms"] * r["rollouts_per_s"] / 1000
    cores = os.cpu_count() or 1
    one = {r["concurrency"]: r for r in results if r["workers"] == 1}
    for r in results:
        base = one.get(r["concurrency"])
        r["speedup"] = r["rollouts_per_s"] / base["rollouts_per_s"] if base else None
        # the most any split can reach here: every core busy at this row's machine CPU per
        # rollout, over the one-process rate
        r["speedup_bound"] = (cores * 1000 / r["machine_cpu_ms"] / base["rollouts_per_s"]
                              if base and r["machine_cpu_ms"] else None)

    print()
    print(f"Throughput: oversight_subversion, scripted `{POLICY}` over Inspect's openai provider "
          f"({args.api} API), model latency {lat:g} s/answer"
          + (f" + {args.token_rate:g} tok/s" if args.token_rate else "")
          + f", bwrap sandboxes; {platform.python_implementation()} "
            f"{platform.python_version()}, {cores} CPUs (reference workload {ref:.0f} ms); "
            f"load {load0:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after; total {total:.0f} s")
    print()
    print("| concurrency | processes | rollouts | steps | wall (s) | rollouts/s | % of ideal | "
          "speed-up | bound here | harness CPU/rollout (ms) | its children (ms) | "
          "server (ms) | machine (ms) | cores busy | peak RSS (MB) | "
          "MB per concurrent rollout |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        sp = f"{r['speedup']:.2f}x" if r["speedup"] is not None and r["workers"] > 1 else ""
        if sp and r["concurrency"] == SPEEDUP_AT:
            sp += f" (>= {SPEEDUP_TARGET}x: {'PASS' if r['speedup'] >= SPEEDUP_TARGET else 'FAIL'})"
        bound = (f"{r['speedup_bound']:.2f}x"
                 if r["speedup_bound"] is not None and r["workers"] > 1 else "")
        print(f"| {r['concurrency']} | {r['workers']} | {r['rollouts']} | {r['steps']:.1f} | "
              f"{r['wall_s']:.1f} | {r['rollouts_per_s']:.2f} | {100 * r['ratio']:.0f}% | {sp} | "
              f"{bound} | {r['cpu_ms']:.0f} | {r['children_cpu_ms']:.0f} | "
              f"{r['server_cpu_ms']:.0f} | {r['machine_cpu_ms']:.0f} | {r['cores_busy']:.2f} | "
              f"{r['rss_peak_mb']:.0f} | {r['mem_per_rollout_mb']:.1f} |")
    print()
    print(f"'bound here': the speed-up if all {cores} cores were busy at that row's machine CPU "
          "per rollout (cores / machine CPU per rollout / the one-process rate); no split of "
          "the work can pass it on this machine. 'cores busy': machine CPU per rollout x "
          "rollouts/s.")
    cpu = [r["cpu_ms"] for r in results if r["concurrency"] >= 8]
    if cpu:
        worst = max(cpu)
        print()
        print(f"Harness CPU per rollout at C >= 8: at most {worst:.0f} ms "
              f"(<= {CPU_TARGET_MS:.0f} ms: {'PASS' if worst <= CPU_TARGET_MS else 'FAIL'})")
    base = next((r for r in results if r["concurrency"] == 1 and r["workers"] == 1), None)
    overhead = None
    if base is not None:
        per_rollout = base["sample_s"] - base["steps"] * lat
        overhead = {"per_rollout_ms": 1000 * per_rollout,
                    "per_step_ms": 1000 * per_rollout / base["steps"]}
        ok = overhead["per_step_ms"] < STEP_TARGET_MS
        print(f"Harness time overhead at C=1: {overhead['per_rollout_ms']:.0f} ms per rollout, "
              f"{overhead['per_step_ms']:.1f} ms per tool step (< {STEP_TARGET_MS:.0f} ms: "
              f"{'PASS' if ok else 'FAIL'})")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "levels": results,
                                               "overhead": overhead, "total_s": total,
                                               "reference_ms": ref, "cores": cores},
                                              indent=2))


if __name__ == "__main__":
    main()
