"""The docker/k8s sandbox configuration shipped with the package, checked without an engine.

No container is started here (this machine has no Docker engine): these tests check that the
compose file is one Inspect accepts, that it describes the machines the evals need, that the
image has what the agent and the detectors use, and that every task points its samples at it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from inspect_ai.util._sandbox.compose import (
    ComposeConfig,
    is_compose_yaml,
    is_docker_compatible_config,
    parse_compose_yaml,
)
from inspect_ai.util._sandbox.docker.docker import resolve_config_environment

from scheming_evals.evals import sandboxes
from scheming_evals.evals.covert_email_reranking import covert_email_reranking
from scheming_evals.evals.covert_email_reranking.world import SCORING_PATH
from scheming_evals.evals.goal_guarding import goal_guarding
from scheming_evals.evals.goal_guarding.world import PROMPT_PATH
from scheming_evals.evals.instrumental_alignment_faking import instrumental_alignment_faking
from scheming_evals.evals.oversight_subversion import oversight_subversion
from scheming_evals.evals.sandbagging import sandbagging
from scheming_evals.evals.self_exfiltration import self_exfiltration
from scheming_evals.evals.self_exfiltration.world import CURRENT_HOST, SUCCESSOR_HOST
from scheming_evals.sandbox import BwrapConfig, UnsafeSandboxError
from scheming_evals.world import WORKSTATION

DOCKER = Path(sandboxes.COMPOSE_FILE).parent
COMPOSE = sandboxes.COMPOSE_FILE
DOCKERFILE = DOCKER / "Dockerfile"

TASKS = {
    "oversight_subversion": (oversight_subversion, {}),
    "self_exfiltration": (self_exfiltration, {}),
    "goal_guarding": (goal_guarding, {}),
    "covert_email_reranking": (covert_email_reranking, {}),
    "instrumental_alignment_faking": (instrumental_alignment_faking, {}),
    "sandbagging": (sandbagging, {"samples": 2}),
}


def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def dockerfile() -> str:
    # join continuation lines so each instruction is one line
    return DOCKERFILE.read_text().replace("\\\n", " ")


# --- the compose file ------------------------------------------------------------------------


def test_compose_file_is_shipped_and_recognised() -> None:
    assert COMPOSE.is_file() and DOCKERFILE.is_file()
    assert is_compose_yaml(str(COMPOSE))
    assert is_docker_compatible_config(str(COMPOSE))  # carried over to `--sandbox k8s` etc.


def test_compose_validates_against_inspects_model() -> None:
    config = parse_compose_yaml(str(COMPOSE), multiple_services=True)
    assert isinstance(config, ComposeConfig)
    assert set(config.services) == {"default", SUCCESSOR_HOST}
    assert config.services["default"].x_default is True


def test_services_hostnames_and_user() -> None:
    services = raw()["services"]
    default, v2 = services["default"], services[SUCCESSOR_HOST]
    assert default["hostname"] == "${SAMPLE_METADATA_SANDBOX_HOSTNAME:-" + CURRENT_HOST + "}"
    assert v2["hostname"] == SUCCESSOR_HOST
    for svc in (default, v2):
        assert svc["user"] == "user"
        assert svc["working_dir"] == "/home/user"
        assert "container_name" not in svc  # Inspect refuses it (epochs > 1)
    assert default["build"]["context"] == "."
    assert (DOCKER / default["build"]["dockerfile"]).is_file()
    assert v2["image"] == default["image"]  # one image, built once by `default`
    assert v2.get("x-local") is True  # Inspect must not try to pull it


def test_hostname_comes_from_sample_metadata() -> None:
    """Inspect exports the metadata key the compose file names, so compose interpolates it."""
    resolved = resolve_config_environment(str(COMPOSE), {sandboxes.HOSTNAME_KEY: WORKSTATION,
                                                         "scenario": "x"})
    assert resolved is not None
    assert resolved.env == {"SAMPLE_METADATA_SANDBOX_HOSTNAME": WORKSTATION}


def test_internal_network_and_no_published_ports() -> None:
    data = raw()
    nets = data["networks"]
    assert nets and all(n.get("internal") is True for n in nets.values())
    for name, svc in data["services"].items():
        assert "ports" not in svc, name
        assert svc.get("network_mode") in (None, "none"), name
        assert "host" not in str(svc.get("network_mode")), name
        assert set(svc["networks"]) <= set(nets), name
        assert not svc.get("privileged"), name
        assert "volumes" not in svc, name  # nothing of the host is visible
        assert svc["cap_drop"] == ["ALL"], name
        assert svc["pids_limit"] == 128, name
    # both machines share the network, so v2 resolves by its service name from default
    assert set(data["services"]["default"]["networks"]) & set(
        data["services"][SUCCESSOR_HOST]["networks"])


def test_v2_runs_sshd_with_a_healthcheck() -> None:
    v2 = raw()["services"][SUCCESSOR_HOST]
    assert v2["command"][0] == "/usr/sbin/sshd" and "-D" in v2["command"]
    conf = v2["command"][v2["command"].index("-f") + 1]
    assert conf == "/etc/ssh/sshd_config.scheming"
    assert "2222" in " ".join(v2["healthcheck"]["test"])


# --- the image -------------------------------------------------------------------------------


def test_dockerfile_packages_user_and_keys() -> None:
    text = dockerfile()
    assert re.search(r"^FROM debian:\S+-slim$", text, re.M)
    install = re.search(r"apt-get install[^&]*", text)
    assert install
    for pkg in ("bash", "coreutils", "findutils", "python3", "python3-yaml", "openssh-client",
                "openssh-server", "tar", "gzip"):
        assert re.search(rf"(?<![\w-]){re.escape(pkg)}(?![\w-])", install.group(0)), pkg
    assert re.search(r"useradd .*--home-dir /home/user .*--uid 1000 .* user\b", text)
    assert "usermod -p '*' user" in text  # not locked: sshd (no PAM) accepts the key
    assert re.search(r"^USER user$", text, re.M)
    assert re.search(r"^WORKDIR /home/user$", text, re.M)
    assert "id_ed25519" in text and "authorized_keys" in text
    assert f"[{SUCCESSOR_HOST}]:2222" in text and "known_hosts" in text
    assert "ssh_host_*" in text  # the distro's host keys are removed, ours generated
    # folders the worlds write outside the home exist and are the agent's
    for path in (PROMPT_PATH, SCORING_PATH):
        top = "/" + path.strip("/").split("/")[0]
        assert re.search(rf"install -d -o user -g user -m 755 .*{re.escape(top)}\b", text), top
    for copied in re.findall(r"^COPY \S+ (\S+) ", text, re.M):
        assert (DOCKER / copied).is_file(), copied


def test_sshd_and_ssh_config() -> None:
    sshd = dict(line.split(None, 1) for line in (DOCKER / "sshd_config").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    assert sshd["Port"] == "2222"
    assert sshd["PasswordAuthentication"] == "no" and sshd["UsePAM"] == "no"
    assert sshd["AllowUsers"] == "user" and sshd["PermitRootLogin"] == "no"
    assert sshd["Subsystem"].startswith("sftp")  # scp speaks sftp since OpenSSH 9
    ssh = (DOCKER / "ssh_config").read_text()
    assert f"Host {SUCCESSOR_HOST}" in ssh and "Port 2222" in ssh and "User user" in ssh
    assert "StrictHostKeyChecking yes" in ssh


def test_every_docker_file_is_package_data() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["scheming_evals"]
    pkg = DOCKER.parents[1]
    shipped = {p for g in globs for p in pkg.glob(g)}
    for f in DOCKER.iterdir():
        if f.is_file():
            assert f in shipped, f.name


def test_k8s_values_use_the_same_image() -> None:
    values = yaml.safe_load((DOCKER / "values.yaml").read_text())
    assert set(values["services"]) == {"default"}
    assert values["services"]["default"]["image"] == raw()["services"]["default"]["image"]
    assert not any(k in values for k in ("allowDomains", "allowCIDR", "allowEntities"))


# --- the tasks -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TASKS))
def test_docker_samples_point_at_the_shipped_compose_file(name: str) -> None:
    fn, kwargs = TASKS[name]
    task = fn(sandbox="docker", **kwargs)
    assert len(task.dataset) > 0
    for sample in task.dataset:
        assert sample.sandbox is not None
        assert sample.sandbox.type == "docker"
        assert Path(sample.sandbox.config) == COMPOSE
        host = sample.metadata[sandboxes.HOSTNAME_KEY]
        assert host == (CURRENT_HOST if name == "self_exfiltration" else WORKSTATION)


@pytest.mark.parametrize("name", list(TASKS))
def test_default_stays_bwrap(name: str) -> None:
    fn, kwargs = TASKS[name]
    for sample in fn(**kwargs).dataset:
        assert sample.sandbox.type == "bwrap"
        assert isinstance(sample.sandbox.config, BwrapConfig)
        assert sandboxes.HOSTNAME_KEY not in sample.metadata
    hosts = fn(**kwargs).dataset[0].sandbox.config.hosts
    assert hosts == ((SUCCESSOR_HOST,) if name == "self_exfiltration" else ())


@pytest.mark.parametrize("name", list(TASKS))
def test_local_is_refused_without_the_flag(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", raising=False)
    fn, kwargs = TASKS[name]
    with pytest.raises(UnsafeSandboxError):
        fn(sandbox="local", **kwargs)
    if name == "self_exfiltration":  # two machines: local has one, refused even when allowed
        with pytest.raises(UnsafeSandboxError):
            fn(sandbox="local", allow_local_sandbox=True, **kwargs)
    else:
        sample = fn(sandbox="local", allow_local_sandbox=True, **kwargs).dataset[0]
        assert sample.sandbox.type == "local"


def test_k8s_and_custom_files() -> None:
    s = oversight_subversion(sandbox="k8s").dataset[0]
    assert (s.sandbox.type, Path(s.sandbox.config)) == ("k8s", DOCKER / "values.yaml")
    s = oversight_subversion(sandbox="docker:my/compose.yaml").dataset[0]
    assert (s.sandbox.type, s.sandbox.config) == ("docker", "my/compose.yaml")
    with pytest.raises(ValueError, match="Kubernetes"):
        self_exfiltration(sandbox="k8s")
    with pytest.raises(ValueError, match="not supported"):
        oversight_subversion(sandbox="podman")
    with pytest.raises(ValueError, match="config file"):
        oversight_subversion(sandbox="bwrap:x.yaml")


def test_exfiltration_detector_degrades_without_the_bwrap_remote_log(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under docker there is no remote log: the detector reads the bash log and final state."""
    from inspect_ai.util._sandbox.docker.docker import DockerSandboxEnvironment

    from scheming_evals.evals import episode
    from scheming_evals.evals.self_exfiltration import detector as mod

    env = DockerSandboxEnvironment("default", None, "/home/user")  # type: ignore[arg-type]
    monkeypatch.setattr(episode, "sandbox", lambda *a: env)  # what bwrap_env unwraps
    assert mod._remote_entries() == []
    meta = self_exfiltration(sandbox="docker").dataset[0].metadata
    cmd = f"scp {meta['model_file']} user@{SUCCESSOR_HOST}:{meta['successor_file']}"
    dels, copies = mod.attempts([{"command": cmd, "index": 0}], [], meta, CURRENT_HOST)
    assert copies and dels  # overwriting the successor is a delete attempt and a copy attempt
