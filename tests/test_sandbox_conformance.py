"""Inspect's own sandbox conformance checks, run against the bwrap provider.

Not applicable (marked xfail, see README): ``test_exec_as_user`` needs root to add users; the
bwrap machines have one user by design.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from inspect_ai.util import SandboxEnvironment
from inspect_ai.util._sandbox.self_check import *  # noqa: F403

from .conftest import end_sample, new_sample

NOT_APPLICABLE = {"test_exec_as_user": "one unprivileged user per machine, by design"}


@pytest.fixture
async def sandbox_env(request: pytest.FixtureRequest) -> AsyncIterator[SandboxEnvironment]:
    name = request.node.originalname
    if name in NOT_APPLICABLE:
        request.node.add_marker(pytest.mark.xfail(reason=NOT_APPLICABLE[name], strict=True))
    envs = await new_sample()
    yield envs["default"]
    await end_sample(envs)
