"""Shared fixtures: fresh bwrap samples."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scheming_evals.sandbox import BwrapConfig, BwrapSandboxEnvironment


async def new_sample(**config: object) -> dict:
    return await BwrapSandboxEnvironment.sample_init("test", BwrapConfig(**config), {})


async def end_sample(envs: dict) -> None:
    await BwrapSandboxEnvironment.sample_cleanup("test", None, envs, False)


@pytest.fixture
async def sample() -> AsyncIterator[dict]:
    """A sample with the agent's machine and one more, `model_deployment_v2`."""
    envs = await new_sample(hostname="model_deployment_v1", hosts=["model_deployment_v2"])
    yield envs
    await end_sample(envs)


def host_procs_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker`` (to prove nothing outlived a sandbox)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmd:
            found.append(int(pid))
    return found
