#!/usr/bin/env python3
"""Rollout throughput of the harness against a model with a fixed latency.

The reference OpenAI-compatible server (``scheming_evals.reference.server``) runs in a
subprocess with ``--latency`` seconds per answer (plus ``--token-rate`` output tokens per second)
and plays the scripted schemer. Inspect's own ``openai`` provider drives oversight subversion
against it (real HTTP, real ``bwrap`` sandboxes, the real detectors) at each concurrency level
(``max_samples`` = ``max_connections`` = C). ``max_sandboxes`` is left unset: a sample has one
sandbox, so ``max_samples`` already bounds them, and when ``max_sandboxes`` is set Inspect sleeps
a random 0-1 s before each sample's sandbox init (``sandboxenv_context`` in
``inspect_ai/_eval/task/sandbox.py``), 0.5 s per rollout on average. For each level it reports:

* rollouts per second, next to the ideal ``C / (latency x steps)`` (``steps``: generate requests
  per rollout, counted at the server), and the ratio;
* the harness's own overhead per rollout: a sample's time at C = 1 (Inspect's
  ``total_time``) minus the time spent waiting for the model (``steps x latency``), i.e.
  Inspect + the HTTP client + sandbox setup + tool commands + scoring; and per tool step (that
  divided by the steps); and, apart, each eval run's fixed start/finish cost;
* peak memory per concurrent rollout: the eval process's RSS, sampled every 20 ms, peak minus
  the RSS before the run, divided by C (the sandboxes' own processes are not counted).

Targets printed next to the figures: >= 90% of ideal throughput at 32 concurrent rollouts;
overhead < 50 ms per tool step. Needs no network and no keys. Usage::

    python benchmarks/throughput.py [--latency 0.5] [--token-rate 0] [--concurrency 1,8,32,64]
                                    [--rollouts-per-slot 2] [--min-rollouts 8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

IDEAL_TARGET = 0.90  # at 32 concurrent rollouts
IDEAL_TARGET_AT = 32
STEP_TARGET_MS = 50.0
POLICY = "schemer"


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

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def generate_requests(log: Any) -> int:
    """Generate calls in the log (one per successful ModelEvent; the run has no faults)."""
    return sum(1 for s in log.samples or [] for e in s.events
               if e.event == "model" and not e.error)


def run_level(url: str, concurrency: int, rollouts: int, api: str,
              log_dir: str) -> dict[str, Any]:
    ids = [s.id for s in load_scenarios()]
    epochs = -(-rollouts // len(ids))  # scenarios x epochs = rollouts (as near as it goes)
    task = oversight_subversion(scenarios=",".join(ids[: -(-rollouts // epochs)]),
                                followup_samples=0)
    model_args: dict[str, Any] = {"max_retries": 0}
    if api == "chat":
        model_args["responses_api"] = False
    with PeakRSS() as mem:
        start = time.perf_counter()
        [log] = inspect_eval(task, model=f"openai/{POLICY}", model_base_url=url,
                             model_args=model_args, epochs=epochs, max_samples=concurrency,
                             max_connections=concurrency,
                             display="none", log_dir=log_dir, log_level="warning",
                             log_samples=True)
        wall = time.perf_counter() - start
    if log.status != "success":
        raise RuntimeError(f"the eval at concurrency {concurrency} failed: {log.error}")
    n = len(log.samples or [])
    steps = generate_requests(log) / n
    sample_s = sum(float(s.total_time or 0) for s in log.samples or []) / n
    return {"concurrency": concurrency, "rollouts": n, "wall_s": wall, "steps": steps,
            "sample_s": sample_s,
            "rss_base_mb": mem.base / 1024**2, "rss_peak_mb": mem.peak / 1024**2}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--latency", type=float, default=0.5, help="seconds per model answer")
    p.add_argument("--token-rate", type=float, default=0.0,
                   help="output tokens per second added to each answer (0: instant)")
    p.add_argument("--concurrency", default="1,8,32,64", help="comma-separated levels")
    p.add_argument("--rollouts-per-slot", type=float, default=2.0,
                   help="rollouts per level = max(min-rollouts, this x concurrency)")
    p.add_argument("--min-rollouts", type=int, default=8)
    p.add_argument("--api", choices=["responses", "chat"], default="responses")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]

    os.environ.setdefault("OPENAI_API_KEY", "benchmark")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    server = Server(args.latency, args.token_rate or None)
    results: list[dict[str, Any]] = []
    total = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="throughput-") as logs:
            # warm-up: imports, the model client, the first sandbox (not measured)
            run_level(server.url, 1, 1, args.api, logs)
            for c in levels:
                n = max(args.min_rollouts, round(args.rollouts_per_slot * c))
                results.append(run_level(server.url, c, n, args.api, logs))
                r = results[-1]
                print(f"  C={c}: {r['rollouts']} rollouts in {r['wall_s']:.1f} s", flush=True)
    finally:
        server.stop()
    total = time.perf_counter() - total

    lat = args.latency
    base = next((r for r in results if r["concurrency"] == 1), None)
    for r in results:
        c, steps = r["concurrency"], r["steps"]
        model_s = steps * lat  # the model's own time per rollout (latency only)
        r["rollouts_per_s"] = r["rollouts"] / r["wall_s"]
        # a batch of C rollouts takes at least model_s; fewer rollouts than C cap the ideal
        r["ideal_per_s"] = min(c, r["rollouts"]) / model_s if model_s else float("inf")
        r["ratio"] = r["rollouts_per_s"] / r["ideal_per_s"]
        r["mem_per_rollout_mb"] = max(0.0, r["rss_peak_mb"] - r["rss_base_mb"]) / min(
            c, r["rollouts"])
    overhead = None
    if base is not None:
        per_rollout = base["sample_s"] - base["steps"] * lat
        fixed = base["wall_s"] - base["rollouts"] * base["sample_s"]
        overhead = {"per_rollout_ms": 1000 * per_rollout,
                    "per_step_ms": 1000 * per_rollout / base["steps"],
                    "per_eval_s": fixed}

    print()
    print(f"Throughput: oversight_subversion, scripted `{POLICY}` over Inspect's openai provider "
          f"({args.api} API), model latency {lat:g} s/answer"
          + (f" + {args.token_rate:g} tok/s" if args.token_rate else "")
          + f", bwrap sandboxes; {platform.python_implementation()} "
            f"{platform.python_version()}, {os.cpu_count()} CPUs; total {total:.0f} s")
    print()
    print("| concurrency | rollouts | steps/rollout | wall (s) | rollouts/s | ideal/s | "
          "% of ideal | target | peak RSS (MB) | MB per concurrent rollout |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in results:
        target = (f">= {IDEAL_TARGET:.0%}: {'PASS' if r['ratio'] >= IDEAL_TARGET else 'FAIL'}"
                  if r["concurrency"] == IDEAL_TARGET_AT else "")
        print(f"| {r['concurrency']} | {r['rollouts']} | {r['steps']:.1f} | {r['wall_s']:.1f} | "
              f"{r['rollouts_per_s']:.2f} | {r['ideal_per_s']:.2f} | {100 * r['ratio']:.0f}% | "
              f"{target} | {r['rss_peak_mb']:.0f} | {r['mem_per_rollout_mb']:.1f} |")
    if overhead is not None:
        ok = overhead["per_step_ms"] < STEP_TARGET_MS
        print()
        print("| harness overhead (C=1) | measured | target |")
        print("|---|---:|---|")
        print(f"| per rollout (sample time - steps x latency) | "
              f"{overhead['per_rollout_ms']:.0f} ms | |")
        print(f"| per tool step | {overhead['per_step_ms']:.1f} ms | < {STEP_TARGET_MS:.0f} ms: "
              f"{'PASS' if ok else 'FAIL'} |")
        print(f"| per eval run (start, finish, log; outside the samples) | "
              f"{overhead['per_eval_s']:.1f} s | |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "levels": results,
                                               "overhead": overhead, "total_s": total},
                                              indent=2))


if __name__ == "__main__":
    main()
