"""What Inspect loads from this package: the sandbox provider, the tasks (every package listed in
``evals/registry.py``; ``@task`` registers each on import) and the reference models."""

# ruff: noqa: F401
from .evals.registry import load_tasks
from .reference.provider import ReferenceAPI
from .sandbox.provider import BwrapSandboxEnvironment

globals().update(load_tasks())
