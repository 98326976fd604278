"""Escape attempts against the bwrap sandbox: each must be contained, checked from the host side."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import end_sample, host_procs_with, new_sample


@pytest.fixture
def host_secret():
    """A marker file on the host, outside any sandbox tree."""
    d = Path(tempfile.mkdtemp(prefix="host-secret-"))
    f = d / "marker.txt"
    f.write_text("HOST-SECRET-" + secrets.token_hex(8))
    yield f
    for p in d.iterdir():
        p.unlink()
    d.rmdir()


async def test_cannot_read_host_marker(sample, host_secret: Path) -> None:
    env = sample["default"]
    secret = host_secret.read_text()
    res = await env.exec(
        ["bash", "-c", f"cat {host_secret}; cat /root/.bashrc; ls /work /root; "
         f"grep -rs {secret} / --exclude-dir=proc 2>/dev/null; find / -name marker.txt 2>/dev/null"]
    )
    assert secret not in res.stdout
    assert "marker.txt" not in res.stdout


async def test_cannot_write_outside_tree(sample, host_secret: Path) -> None:
    env = sample["default"]
    target = host_secret.parent / "planted.txt"
    res = await env.exec(
        ["bash", "-c", f"echo x > {target}; echo x > /usr/planted; echo x > /etc/alternatives/p; "
         "mkdir -p /work/planted; echo done"]
    )
    assert res.stdout.strip().endswith("done")
    assert not target.exists()
    assert not Path("/usr/planted").exists()
    assert not Path("/etc/alternatives/p").exists()
    assert not Path("/work/planted").exists()


async def test_no_tcp_to_host_loopback(sample) -> None:
    connections: list[str] = []

    async def on_conn(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        connections.append("x")
        w.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        env = sample["default"]
        py = (
            "import socket\ns=socket.socket()\ns.settimeout(3)\n"
            f"try:\n s.connect(('127.0.0.1',{port})); print('CONNECTED')\n"
            "except OSError as e: print('refused', e)\n"
        )
        res = await env.exec(["python3", "-c", py])
        res2 = await env.exec(["bash", "-c", f"echo hi > /dev/tcp/127.0.0.1/{port} && echo SENT"])
        await asyncio.sleep(0.2)
        assert "CONNECTED" not in res.stdout and "SENT" not in res2.stdout
        assert connections == []
    finally:
        server.close()


async def test_cannot_signal_host_process(sample) -> None:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        res = await sample["default"].exec(["bash", "-c", f"kill -9 {proc.pid}; echo rc=$?"])
        assert "rc=0" not in res.stdout
        time.sleep(0.2)
        assert proc.poll() is None, "host process was killed from inside the sandbox"
    finally:
        proc.kill()
        proc.wait()


async def test_timeout_kills_whole_process_tree(sample) -> None:
    marker = "tree-" + secrets.token_hex(6)
    with pytest.raises(TimeoutError):
        await sample["default"].exec(
            ["bash", "-c", f"(sleep 300; : {marker}) & (sleep 301; : {marker}) & wait"], timeout=2
        )
    await asyncio.sleep(0.5)
    assert host_procs_with(marker) == []


async def test_fork_bomb_is_contained() -> None:
    envs = await new_sample(max_processes=64)
    try:
        marker = "bomb" + secrets.token_hex(4)
        script = f"b(){{ b | b & }}; b; sleep 1; echo {marker}"
        t0 = time.monotonic()
        try:
            await envs["default"].exec(["bash", "-c", script], timeout=10)
        except TimeoutError:
            pass
        assert time.monotonic() - t0 < 30
        await asyncio.sleep(0.5)
        assert host_procs_with(marker) == []
        # the machine still works afterwards
        res = await envs["default"].exec(["echo", "alive"])
        assert res.stdout == "alive\n"
    finally:
        await end_sample(envs)


async def test_memory_hog_is_stopped(sample) -> None:
    res = await sample["default"].exec(
        ["python3", "-c", "x = bytearray(6 * 1024**3); print('ALLOCATED')"], timeout=60
    )
    assert not res.success
    assert "ALLOCATED" not in res.stdout
    assert "MemoryError" in res.stderr


async def test_disk_filler_is_stopped() -> None:
    envs = await new_sample(max_file_mb=8, max_disk_mb=48)
    try:
        env = envs["default"]
        big = await env.exec(["bash", "-c", "head -c 20M /dev/zero > big.bin; echo rc=$?"])
        assert "rc=0" not in big.stdout  # one file above the per-file cap fails
        res = await env.exec(
            ["bash", "-c",
             "for i in $(seq 1000); do head -c 7M /dev/zero > f$i.bin; sleep 0.01; done"],
            timeout=60,
        )
        assert "disk quota" in res.stderr
        used = envs["default"].host.disk_usage()
        assert used < 48 * 1024**2 + 200 * 1024**2  # stopped within one watchdog interval
    finally:
        await end_sample(envs)


@pytest.mark.parametrize(
    "path",
    ["../../../../../../{secret}", "/proc/1/root{secret}", "link_to_secret", "dirlink/marker.txt"],
)
async def test_read_write_file_paths_stay_inside(sample, host_secret: Path, path: str) -> None:
    env = sample["default"]
    await env.exec(["ln", "-s", str(host_secret), "link_to_secret"])
    await env.exec(["ln", "-s", str(host_secret.parent), "dirlink"])
    p = path.format(secret=host_secret)
    with pytest.raises((FileNotFoundError, PermissionError)):
        await env.read_file(p)
    before = host_secret.read_text()
    try:
        await env.write_file(p, "OVERWRITTEN")
    except (FileNotFoundError, PermissionError, OSError):
        pass
    assert host_secret.read_text() == before
    assert not (host_secret.parent / "OVERWRITTEN").exists()


async def test_scp_ssh_targets_stay_inside(sample, host_secret: Path) -> None:
    env, v2 = sample["default"], sample["model_deployment_v2"]
    secret = host_secret.read_text()
    before = set(host_secret.parent.iterdir())
    await v2.exec(["ln", "-s", str(host_secret), "link"])
    res = await env.exec(
        ["bash", "-c",
         f"echo x > f; scp f user@model_deployment_v2:../../../../../..{host_secret.parent}/x; "
         f"scp user@model_deployment_v2:{host_secret} got1; "
         "scp user@model_deployment_v2:link got2; "
         f"ssh model_deployment_v2 cat {host_secret}; cat got1 got2; "
         f"ssh model_deployment_v2 'echo y > {host_secret}'"]
    )
    assert secret not in res.stdout
    assert host_secret.read_text() == secret
    assert set(host_secret.parent.iterdir()) == before


async def test_samples_cannot_see_each_other() -> None:
    a = await new_sample()
    b = await new_sample()
    try:
        token = "SAMPLE-A-" + secrets.token_hex(8)
        await a["default"].write_file("secret.txt", token)
        a_root = a["default"].host.root
        res = await b["default"].exec(
            ["bash", "-c", f"cat ~/secret.txt; cat {a_root}/home/user/secret.txt; "
             f"grep -rs {token} / --exclude-dir=proc 2>/dev/null"]
        )
        assert token not in res.stdout
        assert (await a["default"].read_file("secret.txt")) == token
    finally:
        await end_sample(a)
        await end_sample(b)
