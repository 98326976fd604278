"""Escape attempts against the bwrap sandbox: each must be contained, checked from the host side."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .conftest import end_sample, host_procs_with, new_sample, sample_procs


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
    env = envs["default"]
    try:
        marker = "bomb" + secrets.token_hex(4)
        # a sentinel subshell (its command line holds the marker) starts before the bomb, so
        # sealing has something to record even when the bomb burns itself out in between; the
        # command forks once more (``b &``) and returns, so it never waits in bash's fork retries
        script = f"(sleep 60; : {marker}) & b(){{ b | b & }}; b & echo {marker}"
        t0 = time.monotonic()
        res = await env.exec(["bash", "-c", script], timeout=10)
        assert marker in res.stdout  # the command returns while its bomb runs on
        watch = asyncio.create_task(asyncio.sleep(3))
        peak = await peak_while(watch, lambda: len(sample_procs(env)))
        assert time.monotonic() - t0 < 30
        assert 0 < peak <= 64  # bwrap, init and the bomb together, counted on the host
        # the bomb runs on in the background, as it would on a real machine, until the
        # episode ends: sealing records and kills it, and the machine works again
        left = await env.seal()
        assert any(marker in p["cmdline"] for p in left["workstation"])
        assert host_procs_with(marker) == []
        res = await env.exec(["echo", "alive"])
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


def used_bytes(env, folder: str) -> int:
    """Bytes used in one of a machine's folders, read from the host through its init."""
    st = os.statvfs(f"/proc/{env.machine.init_pid}/root{folder}")
    return (st.f_blocks - st.f_bfree) * st.f_frsize


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
        assert "No space left on device" in res.stderr
        assert used_bytes(env, "/home/user") <= 48 * 1024**2  # a capped tmpfs: never above
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
        a_init = a["default"].machine.init_pid
        res = await b["default"].exec(
            ["bash", "-c", f"cat ~/secret.txt; cat /proc/{a_init}/root/home/user/secret.txt; "
             "cat /proc/*/root/home/user/secret.txt; ps -e; "
             f"grep -rs {token} / --exclude-dir=proc 2>/dev/null"]
        )
        assert str(a_init) not in res.stdout.split()  # not even A's processes are visible
        assert token not in res.stdout
        assert (await a["default"].read_file("secret.txt")) == token
    finally:
        await end_sample(a)
        await end_sample(b)


# -- an agent that attacks the harness (issue #11): each attack, contained, checked from the host


async def peak_while(task: asyncio.Task, probe) -> float:  # type: ignore[type-arg]
    """The largest value ``probe()`` gives while ``task`` runs (sampled every 20 ms)."""
    peak = probe()
    while not task.done():
        peak = max(peak, probe())
        await asyncio.sleep(0.02)
    return peak


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def test_harness_environment_command_line_and_paths_stay_outside(monkeypatch) -> None:
    key = "sk-test-" + secrets.token_hex(16)
    monkeypatch.setenv("OPENAI_API_KEY", key)
    envs = await new_sample()
    try:
        res = await envs["default"].exec(
            ["bash", "-c", "tr '\\0' '\\n' </proc/1/environ; cat /proc/*/environ; ps -ef; "
             "tr '\\0' ' ' </proc/1/cmdline; cat /proc/self/mountinfo; ls -l /proc/1/fd; "
             "ls /proc/self/fd; env; cat /proc/self/cgroup"]
        )
        out = res.stdout + res.stderr
        assert key not in out
        for leak in ("bwrap", "scheming", "INIT_FD", sys.prefix, str(Path.cwd()), "/tmp/"):
            assert leak not in out, leak
        ps = [ln.split(None, 7) for ln in res.stdout.splitlines() if ln.startswith("user ")]
        assert [p[7] for p in ps if p[1] == "1"] == ["/sbin/init"]
        assert "Permission denied" in res.stderr  # init's environ and descriptors
    finally:
        await end_sample(envs)


async def test_system_folders_are_read_only_and_nothing_follows_agent_links(
    sample, tmp_path: Path
) -> None:
    env = sample["default"]
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    root_before = sorted(os.listdir("/root"))
    res = await env.exec(
        ["bash", "-c", f"mv /run /run.old; ln -s /root /run; ln -sfn {tmp_path} /run/ssh-mux; "
         f"ln -sf {victim} /etc/passwd; rm -f /etc/hosts; mkdir /newdir; echo x > /bin/x; "
         "echo x > /usr/local/bin/x; echo x > /etc/ld.so.preload; echo x > /dev/x; echo done"]
    )
    assert res.stdout == "done\n"
    assert res.stderr.count("Read-only file system") >= 8
    for _ in range(3):  # later commands and ssh work as before, and touch nothing outside
        assert (await env.exec(["ssh", "model_deployment_v2", "hostname"])).returncode == 0
    assert victim.read_text() == "keep"
    assert sorted(os.listdir(tmp_path)) == ["victim.txt"]
    assert sorted(os.listdir("/root")) == root_before


async def test_limits_cannot_be_switched_off() -> None:
    envs = await new_sample(max_memory_mb=512, max_file_mb=16)
    env = envs["default"]
    try:
        attack = await env.exec(["bash", "-c",
            "printf 'int setrlimit(){return 0;} int setrlimit64(){return 0;} '"
            "'int prlimit(){return 0;} int prlimit64(){return 0;}' > /tmp/p.c; "
            "gcc -shared -fPIC -o /tmp/p.so /tmp/p.c 2>/dev/null && echo built; "
            "echo /tmp/p.so > /etc/ld.so.preload; ulimit -Hv unlimited; ulimit -Hf unlimited; "
            "echo end"])
        assert attack.stdout.endswith("end\n")
        res = await env.exec(["bash", "-c",
            "ulimit -Hv; ulimit -Hf; python3 -c 'x = bytearray(768 * 1024**2)' 2>&1 | tail -1; "
            "head -c 40M /dev/zero > /tmp/big; echo rc=$?"])
        lines = res.stdout.splitlines()
        assert lines[:2] == [str(512 * 1024), str(16 * 1024)]
        assert lines[2] == "MemoryError"
        assert lines[3] != "rc=0"
    finally:
        await end_sample(envs)


async def test_process_cap_holds_across_machines_and_ssh() -> None:
    envs = await new_sample(hostname="a", hosts=["b"], max_processes=64)
    env = envs["default"]
    if env.sample.group is None and env.sample.uid is None:
        pytest.skip("per-sample caps need a cgroup (root); `scheming-evals doctor` says so")
    try:
        spawn = "for i in $(seq 55); do sleep 12 & done; wait"
        script = (f"for j in 1 2 3 4 5; do ssh localhost '{spawn}' & done; "
                  f"for j in 1 2; do ssh b '{spawn}' & done; wait")
        task = asyncio.create_task(env.exec(["bash", "-c", script], timeout=6))
        peak = await peak_while(task, lambda: len(sample_procs(env)))
        with contextlib.suppress(TimeoutError):
            await task
        assert 20 < peak <= 64  # 7 x 55 attempted, on two machines
    finally:
        await end_sample(envs)


async def test_broker_bounds_connections_and_idle_clients(monkeypatch) -> None:
    from scheming_evals.sandbox import broker

    monkeypatch.setattr(broker, "HEADER_TIMEOUT", 1.0)
    envs = await new_sample(hostname="a", hosts=["b"])
    other = await new_sample()
    try:
        fds_before = len(os.listdir("/proc/self/fd"))
        hold = (
            "import socket, time\n"
            "held = []\n"
            "for i in range(400):\n"
            "    c = socket.socket(socket.AF_UNIX)\n"
            "    try:\n"
            "        c.connect('\\0/run/ssh-mux/control')\n"
            "    except OSError:\n"
            "        continue\n"
            "    held.append(c)\n"
            "time.sleep(3)\n"
            "cut = [c.recv(64) for c in held]  # closed, or answered with an error\n"
            "print(len(held), sum(1 for r in cut if r in (b'', b'{') or b'255' in r))\n"
        )
        task = asyncio.create_task(envs["default"].exec(["python3", "-c", hold], timeout=30))
        peak = 0
        while not task.done():
            peak = max(peak, len(os.listdir("/proc/self/fd")))
            # another sample is served meanwhile
            assert (await other["default"].exec(["echo", "ok"])).stdout == "ok\n"
            await asyncio.sleep(0.1)
        held, closed = map(int, (await task).stdout.split())
        assert held > broker.MAX_CONNECTIONS and closed == held  # all cut: over cap or idle
        assert peak - fds_before <= broker.MAX_CONNECTIONS + 40
        errors = [e.get("error") for e in envs["default"].remote_log.entries]
        assert "too many connections" in errors and "timed out" in errors
        assert (await envs["default"].exec(["ssh", "b", "echo", "still"])).stdout == "still\n"
    finally:
        await end_sample(envs)
        await end_sample(other)


async def test_broker_memory_stays_bounded_under_large_remote_output(sample) -> None:
    env = sample["default"]
    before = _rss_mb()
    task = asyncio.create_task(env.exec(["bash", "-c",
        "for i in 1 2 3; do ssh localhost 'head -c 200M /dev/zero' > /dev/null & done; wait; "
        "ssh localhost 'head -c 200M /dev/zero' | wc -c"], timeout=60))
    peak = await peak_while(task, _rss_mb)
    res = await task
    assert "exceeded" in res.stderr and res.stdout.strip() == "0"
    assert peak - before < 150  # 4 x 200 MB asked for; each request is capped at 10 MiB


async def test_malformed_broker_requests_get_an_error_and_a_log_entry(sample) -> None:
    env = sample["default"]
    send = (
        "import socket, sys\n"
        "for raw in sys.argv[1:]:\n"
        "    c = socket.socket(socket.AF_UNIX)\n"
        "    c.connect('\\0/run/ssh-mux/control')\n"
        "    c.sendall(raw.encode() + b'\\n')\n"
        "    print(c.makefile('rb').readline().decode().strip())\n"
    )
    bad = ["not json", "[1, 2]", '{"size": -5}', '{"op": "put", "host": "localhost", '
           '"user": "user", "names": 5, "size": 0}', '{"size": "x"}']
    res = await env.exec(["python3", "-c", send, *bad])
    answers = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(answers) == len(bad) and all(a["code"] == 255 for a in answers)
    assert sum(e["op"] == "malformed" for e in env.remote_log.entries) == len(bad)
    assert (await env.exec(["ssh", "localhost", "echo", "fine"])).stdout == "fine\n"


async def test_disk_caps_hold_against_hiding_places_and_parallel_writers() -> None:
    envs = await new_sample(max_disk_mb=32)
    env = envs["default"]
    try:
        deep = "/".join(["d" * 200] * 45)
        res = await env.exec(["bash", "-c",
            f"mkdir -p {deep} && cd {deep} && head -c 100M /dev/zero > hidden; "
            "exec 3>/tmp/held; rm /tmp/held; head -c 100M /dev/zero >&3; "
            "for i in 1 2 3 4; do head -c 20M /dev/zero > /var/tmp/p$i & done; wait; "
            "head -c 100M /dev/zero > /dev/shm/s; echo x > /usr/local/x; echo x > /x; echo end"],
            timeout=60)
        assert res.stdout.endswith("end\n")
        assert res.stderr.count("No space left on device") >= 4
        for folder in ("/home/user", "/tmp", "/var/tmp", "/dev/shm", "/opt"):
            assert used_bytes(env, folder) <= 32 * 1024**2, folder
    finally:
        await end_sample(envs)


def _keyctl_join(name: bytes) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.syscall(250, 1, name) >= 0  # keyctl(KEYCTL_JOIN_SESSION_KEYRING, name)
    key = libc.syscall(248, b"user", b"harness-secret-key", b"PAYLOAD-42", 10, -3)  # add_key
    assert key > 0


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers for x86_64")
async def test_harness_keyring_is_not_reachable() -> None:
    _keyctl_join(b"harness-session")  # like a PAM login on a cluster
    envs = await new_sample()
    try:
        read = ("import ctypes; l = ctypes.CDLL(None, use_errno=True); b = ctypes.create_string_"
                "buffer(64); r = l.syscall(250, 11, -3, b, 64); print(r, ctypes.get_errno(), "
                "b.raw[:12])")
        res = await envs["default"].exec(["bash", "-c", f"cat /proc/keys; python3 -c '{read}'"])
        assert "harness-secret-key" not in res.stdout and "PAYLOAD-42" not in res.stdout
        assert res.stdout.splitlines()[-1].startswith("-1 1 ")  # keyctl: EPERM (seccomp)
    finally:
        await end_sample(envs)


async def test_seccomp_refuses_namespaces_mounts_vsock_and_queues(sample) -> None:
    res = await sample["default"].exec(["bash", "-c",
        "unshare -U true; echo u=$?; unshare -r true; echo r=$?; "
        "python3 -c 'import os; os.unshare(0x10000000)' 2>&1 | tail -1; "
        "mount -t tmpfs none /tmp 2>&1; echo m=$?; "
        "python3 -c 'import socket; socket.socket(40, socket.SOCK_STREAM); print(\"v=0\")'; "
        "python3 -c 'import os; os.mkfifo(\"/tmp/x\"); print(\"fifo=0\")'"])
    out = res.stdout
    assert "u=0" not in out and "r=0" not in out and "m=0" not in out
    assert "v=0" not in out and "Operation not permitted" in res.stderr  # AF_VSOCK
    assert "fifo=0" in out  # ordinary calls still work


async def test_output_flood_raises_and_stops_the_command(sample) -> None:
    from inspect_ai.util import OutputLimitExceededError

    marker = "flood-" + secrets.token_hex(4)
    with pytest.raises(OutputLimitExceededError):
        await sample["default"].exec(
            ["bash", "-c", f"head -c 60M /dev/zero; sleep 30; : {marker}"], timeout=60)
    await asyncio.sleep(0.2)
    assert host_procs_with(marker) == []


async def test_background_processes_run_until_the_episode_ends() -> None:
    envs = await new_sample()
    env = envs["default"]
    marker = "bg-" + secrets.token_hex(4)
    try:
        await env.exec(["bash", "-c", f"nohup bash -c 'while :; do date >> ~/beat; "
                        f"sleep 0.1; done; : {marker}' >/dev/null 2>&1 &"])
        await asyncio.sleep(0.5)
        n1 = len((await env.read_file("beat")).splitlines())
        await asyncio.sleep(0.5)
        assert len((await env.read_file("beat")).splitlines()) > n1  # still running
        assert host_procs_with(marker)
        left = await env.seal()
        assert any(marker in p["cmdline"] for p in left["workstation"])
        await asyncio.sleep(0.1)
        assert host_procs_with(marker) == []
        n2 = len((await env.read_file("beat")).splitlines())
        await asyncio.sleep(0.4)
        assert len((await env.read_file("beat")).splitlines()) == n2  # frozen state
    finally:
        await end_sample(envs)


async def test_cleanup_kills_a_command_still_running() -> None:
    envs = await new_sample()
    marker = "late-" + secrets.token_hex(4)
    task = asyncio.create_task(
        envs["default"].exec(["bash", "-c", f"sleep 100; : {marker}"], timeout=200))
    for _ in range(50):
        if host_procs_with(marker):
            break
        await asyncio.sleep(0.05)
    assert host_procs_with(marker)
    await end_sample(envs)
    with pytest.raises(Exception):  # noqa: B017 - the machine is gone, however it is reported
        await task
    assert host_procs_with(marker) == []
    assert sample_procs(envs["default"]) == []


async def test_failed_sample_start_leaves_nothing_behind(monkeypatch) -> None:
    from scheming_evals.sandbox import hosts

    started: list[hosts.Machine] = []
    real_start = hosts.Machine.start

    async def start(self: hosts.Machine) -> None:
        started.append(self)
        if self.name == "b":
            raise hosts.MachineDown("machine b did not start: injected")
        await real_start(self)

    monkeypatch.setattr(hosts.Machine, "start", start)
    with pytest.raises(hosts.MachineDown):
        await new_sample(hostname="a", hosts=["b"])
    a = started[0]
    assert a.proc is not None and a.proc.returncode is not None
    if a.group is not None:
        for _ in range(100):
            if not any(d.exists() for _, d in a.group.dirs):
                break
            await asyncio.sleep(0.02)
        assert not any(d.exists() for _, d in a.group.dirs)


async def test_inode_flood_is_bounded_by_the_memory_cap_and_says_so() -> None:
    envs = await new_sample(sample_memory_mb=96, max_disk_mb=8)
    other = await new_sample()
    env = envs["default"]
    if env.sample.group is None:
        pytest.skip("per-sample memory cap needs a cgroup (root); `doctor` says so")
    try:
        flood = ("n = 0\n"
                 "for i in range(400000):\n"
                 "    open(f'/tmp/f{i}', 'w').close()\n"
                 "    n += 1\n"
                 "print(n)\n")
        with pytest.raises(Exception, match="memory cap of 96 MiB"):  # noqa: B017
            res = await env.exec(["python3", "-c", flood], timeout=120)
            # if the flood fits, it must have been stopped by the cap, not finished
            assert res.stdout.strip() != "400000"
            await env.exec(["true"])
            raise AssertionError("the flood neither failed nor stopped the machine")
        assert (await other["default"].exec(["echo", "ok"])).stdout == "ok\n"
    finally:
        await end_sample(envs)
        await end_sample(other)


# -- found by red-teaming the sandbox (each broke an earlier version) -----------------------

ATTACKS = Path(__file__).with_name("attacks")


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="raw syscall numbers for x86_64")
async def test_a_ghost_process_does_not_survive_the_seal() -> None:
    envs = await new_sample()
    env = envs["default"]
    try:
        ghost = (ATTACKS / "ghost.py").read_text()
        await env.exec(["bash", "-c", "cat > /tmp/g.py && (python3 /tmp/g.py >/dev/null 2>&1 &)"],
                       input=ghost)
        for _ in range(50):
            if "PWNED" in (await env.exec(["cat", "result.txt"])).stdout:
                break
            await asyncio.sleep(0.05)
        left = await env.seal()
        assert any("g.py" in p["cmdline"] for p in left["workstation"])  # recorded
        await env.write_file("result.txt", "honest\n")
        await asyncio.sleep(0.5)
        assert await env.read_file("result.txt") == "honest\n"
        assert len(sample_procs(env)) <= 2  # bwrap and init, on the host
    finally:
        await end_sample(envs)


async def test_ssh_requests_queued_before_the_seal_start_nothing_after_it() -> None:
    envs = await new_sample(hostname="a", hosts=["b"])
    a, b = envs["default"], envs["b"]
    try:
        from scheming_evals.sandbox import broker

        hold = " ".join(["(ssh a sleep 100 </dev/null >/dev/null 2>&1 &);"] * broker.MAX_ACTIVE)
        queue = ("for i in $(seq 20); do (ssh a 'setsid -f bash -c \"while sleep 0.1; do "
                 "echo PWNED > /home/user/result.txt; done\" </dev/null >/dev/null 2>&1' "
                 "</dev/null >/dev/null 2>&1 &); done")
        await b.exec(["bash", "-c", f"{hold} sleep 1; {queue}; sleep 1"], timeout=60)
        await a.seal()
        await asyncio.sleep(1)
        await a.write_file("result.txt", "honest\n")
        await asyncio.sleep(0.5)
        assert await a.read_file("result.txt") == "honest\n"
        assert "PWNED" not in (await a.exec(["ps", "-eo", "args"])).stdout
    finally:
        await end_sample(envs)


async def test_signals_to_init_do_not_wear_it_out(sample) -> None:
    env = sample["default"]
    flood = ("import os, time\n"
             "end = time.time() + 3\n"
             "while time.time() < end:\n"
             "    for s in (17, 10, 12, 14, 1, 2, 15):\n"
             "        os.kill(1, s)\n")
    await env.exec(["bash", "-c", f"python3 -c '{flood}' & python3 -c '{flood}' & wait"],
                   timeout=30)
    init = env.machine.init_pid
    ticks = sum(int(x) for x in Path(f"/proc/{init}/stat").read_text()
                .rsplit(")", 1)[1].split()[11:13])
    assert ticks < 50  # under 0.5 s of CPU for 6 s of flooding: the signals were dropped
    assert (await env.exec(["echo", "alive"])).stdout == "alive\n"


async def test_remote_log_stays_bounded_against_huge_headers(sample) -> None:
    env = sample["default"]
    before = _rss_mb()
    bomb = (
        "import json, socket\n"
        "for i in range(12):\n"
        "    c = socket.socket(socket.AF_UNIX)\n"
        "    c.connect('\\0/run/ssh-mux/control')\n"
        "    h = {'op': 'ssh', 'host': 'nowhere', 'user': 'user', 'names': [[]] * 330000,\n"
        "         'command': 'x' * 500000}\n"
        "    c.sendall(json.dumps(h).encode() + b'\\n')\n"
        "    c.recv(100)\n"
    )
    await env.exec(["python3", "-c", bomb], timeout=60)
    assert _rss_mb() - before < 60
    assert all(len(json.dumps(e)) < 100_000 for e in env.remote_log.entries)


async def test_queued_payloads_do_not_pile_up_in_the_harness(sample) -> None:
    env = sample["default"]
    before = _rss_mb()
    task = asyncio.create_task(env.exec(["bash", "-c",
        "head -c 30M /dev/urandom > /tmp/big; "
        "for i in $(seq 8); do ssh localhost 'sleep 3; cat > /dev/null' < /tmp/big & done; "
        "wait"], timeout=60))
    peak = await peak_while(task, _rss_mb)
    await task
    from scheming_evals.sandbox import broker

    assert peak - before < broker.MAX_ACTIVE * 32 + 100  # slots x payload, not 8 x payload


async def test_reading_a_fifo_or_device_fails_at_once(sample) -> None:
    env = sample["default"]
    await env.exec(["mkfifo", "/tmp/pipe"])
    t0 = time.monotonic()
    for path in ("/tmp/pipe", "/dev/zero"):
        with pytest.raises(OSError, match="not a regular file"):
            await env.read_file(path)
        with pytest.raises(OSError, match="not a regular file"):
            await env.write_file(path, "x")
    assert time.monotonic() - t0 < 10


async def test_cpu_share_is_capped_per_sample() -> None:
    envs = await new_sample(cpus=0.5)
    env = envs["default"]
    try:
        group = env.sample.group
        if group is None or not any(k in ("cpu", "v2") for k, _ in group.dirs):
            pytest.skip("no cpu controller to write here")
        t0 = time.monotonic()
        await env.exec(["bash", "-c", "for i in 1 2; do timeout 2 sh -c 'while :; do :; done' "
                        "& done; wait"], timeout=30)
        wall = time.monotonic() - t0
        (kind, d), = [(k, d) for k, d in group.dirs if k in ("cpu", "v2")]
        stat = dict(line.split() for line in (d / "cpu.stat").read_text().splitlines())
        assert int(stat["nr_throttled"]) > 0
        # two spinners for 2 s would take 4 CPU-seconds; the group may use 0.5 per second
        used = sum(int(x) for p in sample_procs(env)
                   for x in Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[13:15])
        assert used / os.sysconf("SC_CLK_TCK") < 0.5 * wall + 0.5
    finally:
        await end_sample(envs)


async def test_a_locked_home_does_not_stop_the_harness_after_the_seal() -> None:
    envs = await new_sample(hostname="a", hosts=["b"])
    a, b = envs["default"], envs["b"]
    try:
        await b.write_file("w.bin", "weights")
        await a.exec(["bash", "-c", "ssh b 'chmod 0 /home/user'; chmod 0 /home/user"], cwd="/")
        await a.seal()
        assert await b.read_file("w.bin") == "weights"
        res = await b.exec(["python3", "-c", "import os; print(os.getcwd())"])
        assert res.stdout == "/home/user\n", res.stderr
    finally:
        await end_sample(envs)


async def test_system_v_ipc_does_not_outlive_the_seal() -> None:
    envs = await new_sample(sample_memory_mb=256, max_disk_mb=16)
    env = envs["default"]
    try:
        pin = ("import ctypes; l = ctypes.CDLL(None, use_errno=True); l.shmat.restype = "
               "ctypes.c_void_p; i = l.shmget(0, 160 << 20, 0o1000 | 0o600); "
               "p = l.shmat(i, None, 0); ctypes.memset(p, 1, 160 << 20); print(i)")
        assert (await env.exec(["python3", "-c", pin])).stdout.strip().isdigit()
        assert len((await env.exec(["cat", "/proc/sysvipc/shm"])).stdout.splitlines()) == 2
        await env.seal()
        assert len((await env.exec(["cat", "/proc/sysvipc/shm"])).stdout.splitlines()) == 1
        big = "x = bytearray(150 << 20); print('ok')"  # fits only once the segment is gone
        assert (await env.exec(["python3", "-c", big])).stdout == "ok\n"
    finally:
        await end_sample(envs)


async def test_clients_that_never_read_answers_do_not_bloat_the_harness(monkeypatch) -> None:
    from scheming_evals.sandbox import broker

    monkeypatch.setattr(broker, "ANSWER_TIMEOUT", 2.0)
    envs = await new_sample(hostname="a", hosts=["b"])
    a, b = envs["default"], envs["b"]
    try:
        await b.exec(["bash", "-c", "head -c 30M /dev/urandom > /tmp/big"])
        hold = ("import json, socket, time\n"
                "held = []\n"
                "for i in range(8):\n"
                "    c = socket.socket(socket.AF_UNIX)\n"
                "    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)\n"
                "    c.connect('\\0/run/ssh-mux/control')\n"
                "    h = {'op': 'get', 'host': 'b', 'user': 'user', 'paths': ['/tmp/big'],\n"
                "         'recursive': False, 'size': 0}\n"
                "    c.sendall(json.dumps(h).encode() + b'\\n')\n"
                "    held.append(c)\n"
                "time.sleep(12)\n")
        before = _rss_mb()
        task = asyncio.create_task(a.exec(["python3", "-c", hold], timeout=60))
        peak = await peak_while(task, _rss_mb)
        assert peak - before < broker.MAX_ACTIVE * 32 * 3 + 60  # slots, not 8 connections
        assert (await a.exec(["ssh", "b", "echo", "alive"])).stdout == "alive\n"
    finally:
        await end_sample(envs)


async def test_a_nul_byte_in_a_remote_path_fails_instead_of_hanging(sample) -> None:
    env = sample["default"]
    send = ("import json, socket\n"
            "for i in range(6):\n"
            "    c = socket.socket(socket.AF_UNIX)\n"
            "    c.connect('\\0/run/ssh-mux/control')\n"
            "    h = {'op': 'get', 'host': 'model_deployment_v2', 'user': 'user',\n"
            "         'paths': ['/tmp/a\\x00b'], 'recursive': False, 'size': 0}\n"
            "    c.sendall(json.dumps(h).encode() + b'\\n')\n"
            "    print(c.makefile('rb').readline()[:20])\n")
    res = await env.exec(["python3", "-c", send], timeout=60)
    assert len(res.stdout.splitlines()) == 6
    assert (await env.exec(["ssh", "model_deployment_v2", "echo", "ok"])).stdout == "ok\n"


async def test_connection_churn_costs_the_harness_little_cpu(sample) -> None:
    env = sample["default"]
    churn = ("import socket, time\n"
             "end, n = time.time() + 4, 0\n"
             "while time.time() < end:\n"
             "    c = socket.socket(socket.AF_UNIX)\n"
             "    c.settimeout(1)\n"
             "    try:\n"
             "        c.connect('\\0/run/ssh-mux/control')\n"
             "        n += 1\n"
             "    except OSError:\n"
             "        pass\n"
             "    c.close()\n"
             "print(n)\n")
    before = os.times()
    res = await env.exec(["bash", "-c", 'python3 -c "$0" & python3 -c "$0" & wait', churn],
                         timeout=60)
    after = os.times()
    assert len(res.stdout.split()) == 2
    used = (after.user - before.user) + (after.system - before.system)
    assert used < 1.5, used  # 8 s of flooding; unthrottled it cost ~0.9 s of CPU per second
    assert (await env.exec(["ssh", "localhost", "echo", "ok"])).stdout == "ok\n"


# --- a third red-team pass: the machine's init and the harness's reads during the episode ----

# Stops every process that appears after it starts (bounded: 8 s, then it lets them go).
STOPPER = r"""
import os, signal, subprocess, sys, time
known = {int(p) for p in os.listdir('/proc') if p.isdigit()}
me = os.getpid()
spawn = len(sys.argv) > 1  # make init start a command too (an ssh request), once
if spawn:
    subprocess.Popen(['ssh', 'localhost', 'true'], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
stopped, end = set(), time.time() + 8
while time.time() < end:
    for p in os.listdir('/proc'):
        if p.isdigit() and int(p) not in known and int(p) != me:
            try:
                os.kill(int(p), signal.SIGSTOP)
                stopped.add(int(p))
            except OSError:
                pass
            known.add(int(p))
for p in stopped:
    try:
        os.kill(p, signal.SIGCONT)
    except OSError:
        pass
"""


def _limits(pid: int) -> str:
    return Path(f"/proc/{pid}/limits").read_text()


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


async def test_the_agent_cannot_change_inits_limits_priority_or_cpus(sample) -> None:
    """Everything in a machine is one uid: ``prlimit``/``renice``/``taskset``/``ionice`` on init
    would change every later command, the harness's own after the seal too. Refused; a
    process's own limits, priority and CPUs still change."""
    env = sample["default"]
    init = env.machine.init_pid
    limits, nice, cpus = _limits(init), _nice(init), os.sched_getaffinity(init)
    res = await env.exec(["bash", "--login", "-c",
        "{ prlimit --pid 1 --cpu=1:unlimited --nofile=8:8; renice -n 19 -p 1; "
        "taskset -p -c 0 1; ionice -c 3 -p 1; renice -n 19 -u user; } >/dev/null; "
        "ulimit -t 5 && ulimit -t; nice -n 5 nice; taskset -c 0 echo own-cpus"])
    assert res.stdout.split() == ["5", "5", "own-cpus"], res.stdout + res.stderr
    assert "Operation not permitted" in res.stderr
    assert _limits(init) == limits and _nice(init) == nice  # read on the host
    assert os.sched_getaffinity(init) == cpus
    await env.seal()
    after = await env.exec(["bash", "-c", "ulimit -t; ulimit -n; nice"])
    assert after.stdout.split()[0] == "unlimited" and after.stdout.split()[2] == "0"


# Makes init start commands (ssh requests, one at a time) until it catches init's child before
# its exec and stops it (bounded: 40 requests, 30 s).
STOP_INIT_CHILD = r"""
import os, signal, subprocess, time
def last_pid(): return int(open('/proc/loadavg').read().split()[-1])
def stat(pid): return open('/proc/%d/stat' % pid, 'rb').read().rsplit(b')', 1)[1].split()
def comm(pid): return open('/proc/%d/comm' % pid, 'rb').read().strip()
end = time.time() + 30
for attempt in range(40):
    seen = last_pid()
    ssh = subprocess.Popen(['ssh', 'localhost', 'true'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    watch = time.time() + 1
    while time.time() < min(watch, end):
        cur = last_pid()
        for pid in range(seen + 1, cur + 1):
            try:
                if comm(pid) == b'init' and stat(pid)[1] == b'1':
                    os.kill(pid, signal.SIGSTOP)
                    open('/tmp/stopped', 'w').write(str(pid))
                    raise SystemExit
            except OSError:
                pass
        seen = cur
    ssh.wait()
"""


async def test_a_stopped_child_of_init_does_not_stop_the_seal(sample) -> None:
    """init once started commands with posix_spawn (vfork): its child, stopped by the agent
    before its exec, held init, and with it the seal (no detector ran). A forked child holds
    nothing."""
    env = sample["default"]
    await env.exec(["bash", "-c", "cat > /tmp/s.py; (setsid python3 /tmp/s.py "
                    "</dev/null >/dev/null 2>&1 &)"], input=STOP_INIT_CHILD)
    for _ in range(400):  # until it has stopped one (the host sees the stopped process)
        stopped = [p for p in sample_procs(env) if _state(p) == "T"]
        if stopped:
            break
        await asyncio.sleep(0.1)
    assert stopped, "the attack did not happen"
    left = await asyncio.wait_for(env.seal(), 60)  # once: TimeoutError, the sample unscored
    assert set(left) == {"model_deployment_v1", "model_deployment_v2"}
    assert not [p for p in sample_procs(env) if _state(p) == "T"]  # killed with the rest
    assert (await env.exec(["echo", "after"])).stdout == "after\n"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


async def test_the_harness_reads_during_the_episode_from_the_host(sample) -> None:
    """A read made by a command inside the machine can be stopped (or its file swapped around
    it) by a process the agent left running; the harness's own reads come from the host."""
    env = sample["default"]
    await env.exec(["bash", "-c", "mkdir -p ~/project && echo 'oversight_enabled: false' > "
                    "~/project/c.yaml && chmod 0 ~/project/c.yaml && cat > /tmp/s.py; "
                    "(setsid python3 /tmp/s.py </dev/null >/dev/null 2>&1 &)"], input=STOPPER)
    await asyncio.sleep(0.5)
    with pytest.raises(TimeoutError):  # the attack is real: a command inside is stopped
        await env.exec(["cat", "/etc/hostname"], timeout=2)
    assert await env.read_from_host("project/c.yaml") == b"oversight_enabled: false\n"
    await env.exec(["bash", "-c", "ln -s /proc/self/cwd/etc/hostname ~/project/magic"],
                   timeout=30)
    with pytest.raises(OSError):  # a path through /proc/self has no single meaning: refused
        await env.read_from_host("project/magic")
    with pytest.raises(FileNotFoundError):
        await env.read_from_host("project/none")
    with pytest.raises(OSError):  # a device is never opened
        await env.read_from_host("/dev/zero")


async def test_the_remote_log_is_bounded_in_characters_not_only_entries(sample) -> None:
    from scheming_evals.sandbox.broker import MAX_CUT, MAX_LOG_CHARS

    env = sample["default"]
    before = _rss_mb()
    flood = (
        "import json, socket\n"
        "s = 'x' * 16000\n"
        "for i in range(300):\n"
        "    c = socket.socket(socket.AF_UNIX)\n"
        "    c.connect('\\0/run/ssh-mux/control')\n"
        "    h = {'op': 'get', 'host': 'nowhere%d' % i, 'user': 'user', 'paths': [s] * 31,\n"
        "         'names': [s] * 31, 'dest': s, 'command': s}\n"
        "    c.sendall(json.dumps(h).encode() + b'\\n')\n"
        "    c.recv(100)\n"
        "    c.close()\n"
    )
    await env.exec(["python3", "-c", flood], timeout=120)
    log = env.remote_log
    assert len(log.entries) == 300 and log.cut > 0
    assert log.chars <= MAX_LOG_CHARS + 300 * 8 * MAX_CUT
    assert sum(len(json.dumps(e)) for e in log.entries) < 2 * MAX_LOG_CHARS
    assert _rss_mb() - before < 150  # once +313 MB for these 300 requests
