#!/usr/bin/env python3
"""The main job (`scheming-evals run`: every eval on the scripted reference agents, then the
report) as a user runs it in a terminal: under a pseudo-terminal, so the live progress line is
drawn, in a fresh folder. Reports wall time, the CPU time of the run and everything it started
(the workers, Inspect, the sandboxes), the largest resident set of any of them, and the load
average before and after (the figure depends on what else the machine is doing). Usage::

    python benchmarks/main_job.py [--workers N] [--json out.json] [-- extra run options]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_in_terminal(cmd: list[str], cwd: Path) -> tuple[int, float, int]:
    """Run ``cmd`` with a pseudo-terminal as its stdin/stdout/stderr; (exit code, wall seconds,
    bytes it wrote to the terminal)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    written = 0
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the run ended
                break
            if not chunk:
                break
            written += len(chunk)
        elif proc.poll() is not None:
            break
    code = proc.wait()
    os.close(master)
    return code, time.monotonic() - start, written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="default: run's (the cores)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("extra", nargs="*", help="more `run` options (after --)")
    args = ap.parse_args()
    exe = shutil.which("scheming-evals") or str(Path(sys.executable).with_name("scheming-evals"))
    cmd = [exe, "run", *(["--workers", str(args.workers)] if args.workers else []), *args.extra]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        code, wall, written = run_in_terminal(cmd, Path(tmp))
        report = Path(tmp) / "report" / "report.html"
        ok = code == 0 and report.is_file()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(cmd[1:]),
        "exit_code": code,
        "report_written": ok,
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "terminal_output_kb": round(written / 1024),
        "cores": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "target_wall_s": 180,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
