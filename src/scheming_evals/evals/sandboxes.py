"""Which sandbox a sample runs in: bwrap (default), docker or k8s (shipped configs or yours),
or ``local``, refused unless explicitly allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai.util import SandboxEnvironmentSpec

from ..sandbox import BwrapConfig, UnsafeSandboxError, check_sandbox_safe
from ..user_error import UserError
from ..world import World

# The image and machines for Inspect's docker sandbox (and inspect-k8s-sandbox), shipped with
# the package: ``-T sandbox=docker`` / ``-T sandbox=k8s`` (or ``docker:FILE`` / ``k8s:FILE``).
DOCKER_DIR = Path(__file__).resolve().parent.parent / "sandbox" / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
K8S_VALUES = DOCKER_DIR / "values.yaml"
SANDBOXES = ("bwrap", "docker", "k8s", "local")
COMPOSE_HOSTS = ("model_deployment_v2",)  # the other machines compose.yaml defines
# sample metadata key the compose file reads (Inspect exports it as SAMPLE_METADATA_<KEY>)
HOSTNAME_KEY = "sandbox_hostname"


def sandbox_kind(sandbox: str, allow_local_sandbox: bool = False) -> tuple[str, str | None]:
    """``(provider, config file or None)`` for the task parameter ``sandbox``.

    ``bwrap`` (default), ``docker`` (the shipped compose file), ``k8s`` (the shipped Helm
    values), ``docker:FILE`` / ``k8s:FILE`` for your own, or ``local``, which runs the agent on
    this machine and is refused unless ``allow_local_sandbox``."""
    kind, _, config = str(sandbox).strip().partition(":")
    kind = kind.strip().lower()
    if kind not in SANDBOXES:
        raise UserError(f"sandbox={sandbox!r} is not supported; choose one of "
                         f"{', '.join(SANDBOXES)} (or docker:FILE, k8s:FILE)")
    if config and kind not in ("docker", "k8s"):
        raise UserError(f"sandbox={sandbox!r}: only docker and k8s take a config file")
    if kind == "local":
        check_sandbox_safe("local", allow_local_sandbox)
    if kind == "docker":
        return kind, config or str(COMPOSE_FILE)
    if kind == "k8s":
        return kind, config or str(K8S_VALUES)
    return kind, None


def sandbox_for(world: World, sandbox: str = "bwrap",
                allow_local_sandbox: bool = False) -> SandboxEnvironmentSpec:
    """The sample's sandbox: its machines (the agent's and the others of ``world``)."""
    kind, config = sandbox_kind(sandbox, allow_local_sandbox)
    others = world.other_hosts
    if kind == "bwrap":
        return SandboxEnvironmentSpec("bwrap", BwrapConfig(
            hostname=world.hostname, hosts=tuple(others),
            data_dirs=tuple(dict.fromkeys(("/opt", *world.data_dirs)))))
    if kind == "local":
        if others:
            raise UnsafeSandboxError(f"the local sandbox has one machine; this sample needs "
                                     f"{', '.join(others)} too")
        return SandboxEnvironmentSpec("local")
    if kind == "k8s" and others and config == str(K8S_VALUES):
        raise ValueError(
            f"the shipped k8s values define one machine, and {', '.join(others)} is not a valid "
            "Kubernetes name; run this eval with sandbox=bwrap or sandbox=docker")
    if kind == "docker" and config == str(COMPOSE_FILE):
        missing = sorted(set(others) - set(COMPOSE_HOSTS))
        if missing:
            raise ValueError(f"{COMPOSE_FILE} defines no machine {', '.join(missing)}")
    return SandboxEnvironmentSpec(kind, config)


def sandbox_metadata(world: World, sandbox: str = "bwrap") -> dict[str, Any]:
    """Metadata the sandbox's config reads: the agent's hostname, for docker compose."""
    kind = str(sandbox).strip().partition(":")[0].strip().lower()
    return {HOSTNAME_KEY: world.hostname} if kind == "docker" else {}
