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
    """A sample with the agent's machine and one more, `model_deployment_v2` (the agent owns
    /opt and /srv besides its home and the temporary folders)."""
    envs = await new_sample(hostname="model_deployment_v1", hosts=["model_deployment_v2"],
                            data_dirs=["/opt", "/srv"])
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


def sample_procs(env) -> list[int]:
    """Host pids of every process of ``env``'s sample (its machines' bwrap, init, commands),
    found by the sample's private host uid (the harness runs as root) or its cgroup."""
    sample = env.sample
    if sample.group is not None:
        return sorted(sample.group.pids())
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == sample.uid:
                    found.append(int(pid))
            except OSError:
                continue
    return found
