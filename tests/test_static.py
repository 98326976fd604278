"""Static checks as tests (CI runs only pytest): ruff's lint and mypy's types, both clean.

mypy reads its settings from ``[tool.mypy]`` in pyproject.toml (what it checks, how strictly,
which untyped libraries it skips); both tools come with the ``dev`` extra.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)


def check(res: subprocess.CompletedProcess[str]) -> None:
    if res.returncode != 0:
        pytest.fail(f"{' '.join(res.args[2:])} exited {res.returncode}:\n"
                    f"{res.stdout}{res.stderr}", pytrace=False)


def test_ruff_is_clean() -> None:
    check(run("ruff", "check", "src", "tests", timeout=300))


def test_mypy_is_clean() -> None:
    # a cold run (no .mypy_cache) takes about a minute on CI's machine
    check(run("mypy", timeout=900))
