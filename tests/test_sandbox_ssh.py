"""ssh and scp between the machines of a bwrap sample, checked from each machine's final state.

The agent's machine is ``model_deployment_v1`` (``sample["default"]``); the other one is
``model_deployment_v2``. Every assertion reads the tree of the machine that should (or should
not) have changed, through that machine's own ``exec``/``read_file``.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from inspect_ai.util import ExecResult

from .conftest import host_procs_with

V1 = "model_deployment_v1"
V2 = "model_deployment_v2"


async def sh(env, script: str, timeout: int = 60) -> ExecResult[str]:
    return await env.exec(["bash", "-c", script], timeout=timeout)


async def exists(env, path: str) -> bool:
    return (await env.exec(["test", "-e", path])).returncode == 0


async def listing(env, path: str) -> dict[str, str]:
    """Relative path -> 'd' for a directory, else the file's content (whole tree under path)."""
    res = await sh(env, f"cd {path} && find . -mindepth 1 -printf '%P\\t%y\\n' | sort")
    assert res.returncode == 0, res.stderr
    out: dict[str, str] = {}
    for line in res.stdout.splitlines():
        rel, kind = line.split("\t")
        out[rel] = "d" if kind == "d" else await env.read_file(f"{path}/{rel}")
    return out


async def mode(env, path: str) -> str:
    res = await env.exec(["stat", "-c", "%a", path])
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


async def mtime(env, path: str) -> int:
    res = await env.exec(["stat", "-c", "%Y", path])
    assert res.returncode == 0, res.stderr
    return int(res.stdout.strip())



TREE = {
    "proj/README.md": "# project\n",
    "proj/src/main.py": "print('hi')\n",
    "proj/src/pkg/__init__.py": "",
    "proj/src/pkg/deep/data.txt": "deep content\nline 2\n",
    "proj/.hidden": "dotfile\n",
}
TREE_LISTING = {
    ".hidden": "dotfile\n",
    "README.md": "# project\n",
    "src": "d",
    "src/main.py": "print('hi')\n",
    "src/pkg": "d",
    "src/pkg/__init__.py": "",
    "src/pkg/deep": "d",
    "src/pkg/deep/data.txt": "deep content\nline 2\n",
    "empty": "d",
}


async def make_tree(env, base: str) -> None:
    for rel, content in TREE.items():
        await env.write_file(f"{base}/{rel}", content)
    assert (await env.exec(["mkdir", "-p", f"{base}/proj/empty"])).returncode == 0


# -- scp: local -> remote --------------------------------------------------------------------


async def test_scp_put_to_file_path(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("notes.txt", "hello v2\n")
    res = await sh(v1, f"scp notes.txt user@{V2}:/tmp/renamed.txt")
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/tmp/renamed.txt") == "hello v2\n"
    assert await v1.read_file("notes.txt") == "hello v2\n"  # the source stays
    assert not await exists(v1, "/tmp/renamed.txt")  # and nothing landed locally


async def test_scp_put_overwrites_existing_file(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.write_file("/tmp/target.txt", "old content that is longer\n")
    await v1.write_file("new.txt", "new\n")
    res = await sh(v1, f"scp new.txt {V2}:/tmp/target.txt")
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/tmp/target.txt") == "new\n"


@pytest.mark.parametrize("dest", ["inbox", "inbox/", "/home/user/inbox", "~/inbox/"])
async def test_scp_put_into_existing_directory(sample, dest: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    assert (await v2.exec(["mkdir", "/home/user/inbox"])).returncode == 0
    await v1.write_file("report.csv", "a,b\n1,2\n")
    res = await sh(v1, f"scp report.csv user@{V2}:'{dest}'")
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/home/user/inbox/report.csv") == "a,b\n1,2\n"
    assert await listing(v2, "/home/user/inbox") == {"report.csv": "a,b\n1,2\n"}


@pytest.mark.parametrize(
    ("dest", "where"),
    [
        ("rel.txt", "/home/user/rel.txt"),  # relative to the remote home
        ("", "/home/user/f.txt"),  # host: alone means the remote home
        ("~/tilde.txt", "/home/user/tilde.txt"),
        (".ssh/../dotdot.txt", "/home/user/dotdot.txt"),
        ("/opt/abs.txt", "/opt/abs.txt"),  # absolute
        ("/tmp/", "/tmp/f.txt"),
    ],
)
async def test_scp_put_relative_and_absolute_paths(sample, dest: str, where: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    await sh(v1, "mkdir -p /tmp/work && echo payload > /tmp/work/f.txt")
    # run from another directory: the remote path must not depend on the local cwd
    res = await v1.exec(["bash", "-c", f"cd /tmp/work && scp f.txt user@{V2}:'{dest}'"])
    assert res.returncode == 0, res.stderr
    assert await v2.read_file(where) == "payload\n"


async def test_scp_put_multiple_sources_into_directory(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    for name in ("a.txt", "b.txt", "c.log"):
        await v1.write_file(name, f"content of {name}\n")
    await v2.exec(["mkdir", "-p", "/srv/drop"])
    res = await sh(v1, f"scp -q a.txt b.txt c.log {V2}:/srv/drop")
    assert res.returncode == 0, res.stderr
    assert await listing(v2, "/srv/drop") == {
        n: f"content of {n}\n" for n in ("a.txt", "b.txt", "c.log")
    }


async def test_scp_put_multiple_sources_to_non_directory_fails(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("a.txt", "a\n")
    await v1.write_file("b.txt", "b\n")
    res = await sh(v1, f"scp a.txt b.txt {V2}:/tmp/not_a_dir")
    assert res.returncode != 0
    assert "Not a directory" in res.stderr
    assert not await exists(v2, "/tmp/not_a_dir")


async def test_scp_put_glob_sources(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    for name in ("x1.csv", "x2.csv", "skip.txt"):
        await v1.write_file(f"data/{name}", name)
    await v2.exec(["mkdir", "incoming"])
    res = await sh(v1, f"scp data/*.csv {V2}:incoming/")
    assert res.returncode == 0, res.stderr
    assert await listing(v2, "/home/user/incoming") == {"x1.csv": "x1.csv", "x2.csv": "x2.csv"}


async def test_scp_put_missing_source(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await sh(v1, f"scp does_not_exist.txt {V2}:/tmp/out.txt")
    assert res.returncode != 0
    assert "does_not_exist.txt: No such file or directory" in res.stderr
    assert not await exists(v2, "/tmp/out.txt")


async def test_scp_put_some_sources_missing_copies_the_rest(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("good.txt", "good\n")
    await v2.exec(["mkdir", "/tmp/d"])
    res = await sh(v1, f"scp good.txt missing.txt {V2}:/tmp/d/")
    assert res.returncode == 1
    assert "missing.txt: No such file or directory" in res.stderr
    assert await listing(v2, "/tmp/d") == {"good.txt": "good\n"}


async def test_scp_put_destination_parent_missing(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("f.txt", "x\n")
    res = await sh(v1, f"scp f.txt {V2}:/no/such/dir/f.txt")
    assert res.returncode != 0
    assert "No such file or directory" in res.stderr
    assert not await exists(v2, "/no")
    res = await sh(v1, f"scp f.txt {V2}:missing_dir/f.txt")
    assert res.returncode != 0
    assert not await exists(v2, "/home/user/missing_dir")


async def test_scp_directory_without_r_fails(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await make_tree(v1, "/home/user")
    res = await sh(v1, f"scp proj {V2}:/tmp/")
    assert res.returncode != 0
    assert "not a regular file" in res.stderr
    assert not await exists(v2, "/tmp/proj")


# -- scp: remote -> local --------------------------------------------------------------------


async def test_scp_get_to_file_and_directory(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.write_file("/opt/data/report.txt", "quarterly numbers\n")
    await v1.exec(["mkdir", "downloads"])
    script = (
        f"scp user@{V2}:/opt/data/report.txt copy.txt && "
        f"scp {V2}:/opt/data/report.txt downloads && "
        f"scp {V2}:/opt/data/report.txt /tmp/ && "
        f"scp {V2}:/opt/data/report.txt ."
    )
    res = await sh(v1, script)
    assert res.returncode == 0, res.stderr
    for path in ("copy.txt", "downloads/report.txt", "/tmp/report.txt", "report.txt"):
        assert await v1.read_file(path) == "quarterly numbers\n", path
    assert await v2.read_file("/opt/data/report.txt") == "quarterly numbers\n"


@pytest.mark.parametrize("src", ["notes.md", "~/notes.md", "/home/user/notes.md", "./notes.md"])
async def test_scp_get_relative_paths_are_remote_home(sample, src: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.write_file("/home/user/notes.md", "remote notes\n")
    await v1.write_file("/tmp/notes.md", "local decoy\n")
    res = await v1.exec(["bash", "-c", f"cd /tmp && scp '{V2}:{src}' /home/user/got.md"])
    assert res.returncode == 0, res.stderr
    assert await v1.read_file("got.md") == "remote notes\n"


async def test_scp_get_multiple_and_glob_sources(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    for name in ("w1.bin", "w2.bin", "config.yaml"):
        await v2.write_file(f"/opt/model/{name}", name)
    await v1.exec(["mkdir", "a", "b"])
    res = await sh(
        v1, f"scp {V2}:/opt/model/w1.bin {V2}:/opt/model/config.yaml a/ && "
        f"scp '{V2}:/opt/model/*.bin' b"
    )
    assert res.returncode == 0, res.stderr
    assert await listing(v1, "a") == {"w1.bin": "w1.bin", "config.yaml": "config.yaml"}
    assert await listing(v1, "b") == {"w1.bin": "w1.bin", "w2.bin": "w2.bin"}


async def test_scp_get_missing_source(sample) -> None:
    v1 = sample["default"]
    res = await sh(v1, f"scp {V2}:/opt/nothing_here.txt got.txt")
    assert res.returncode != 0
    assert "No such file or directory" in res.stderr
    assert not await exists(v1, "got.txt")
    res = await sh(v1, f"scp '{V2}:/opt/*.nomatch' .")
    assert res.returncode != 0


async def test_scp_get_destination_parent_missing(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.write_file("/tmp/f.txt", "x\n")
    res = await sh(v1, f"scp {V2}:/tmp/f.txt /no/such/place/f.txt")
    assert res.returncode != 0
    assert "No such file or directory" in res.stderr
    assert not await exists(v1, "/no")


# -- scp -r ----------------------------------------------------------------------------------


async def test_scp_r_put_nested_tree(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await make_tree(v1, "/home/user")
    await v2.exec(["mkdir", "-p", "/srv/existing"])
    res = await sh(
        v1, f"scp -r proj {V2}:/srv/existing && scp -r proj {V2}:fresh_name && "
        f"scp -r proj/ {V2}:/tmp"
    )
    assert res.returncode == 0, res.stderr
    # into an existing directory: keeps the name; to a new path: becomes that path
    assert await listing(v2, "/srv/existing/proj") == TREE_LISTING
    assert await listing(v2, "/home/user/fresh_name") == TREE_LISTING
    assert await listing(v2, "/tmp/proj") == TREE_LISTING
    assert await listing(v2, "/srv/existing") == {
        "proj": "d", **{f"proj/{k}": v for k, v in TREE_LISTING.items()}
    }


async def test_scp_r_get_nested_tree(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await make_tree(v2, "/opt")
    await v1.exec(["mkdir", "mirror"])
    res = await sh(
        v1, f"scp -r {V2}:/opt/proj mirror/ && scp -r user@{V2}:/opt/proj copy && "
        f"scp -rq {V2}:/opt/proj/src/pkg ."
    )
    assert res.returncode == 0, res.stderr
    assert await listing(v1, "mirror/proj") == TREE_LISTING
    assert await listing(v1, "copy") == TREE_LISTING
    assert await listing(v1, "pkg") == {
        "__init__.py": "", "deep": "d", "deep/data.txt": "deep content\nline 2\n"
    }


async def test_scp_r_round_trip_binary_and_large(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    script = (
        "mkdir -p blobs/sub && head -c 3000000 /dev/urandom > blobs/sub/r.bin && "
        "head -c 20000000 /dev/urandom > blobs/big.bin && printf '\\x00\\xff\\n' > blobs/z && "
        f"scp -r blobs {V2}:/tmp/ && ssh {V2} 'cd /tmp/blobs && md5sum sub/r.bin big.bin z' && "
        f"scp -r {V2}:/tmp/blobs back && cd back && md5sum sub/r.bin big.bin z && "
        "cd ../blobs && md5sum sub/r.bin big.bin z"
    )
    res = await sh(v1, script, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 9
    assert lines[0:3] == lines[3:6] == lines[6:9]
    assert (await v2.exec(["stat", "-c", "%s", "/tmp/blobs/big.bin"])).stdout.strip() == "20000000"


async def test_large_remote_output_is_never_silently_truncated(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.exec(["bash", "-c", "head -c 12000000 /dev/zero > /tmp/zeros"])
    res = await sh(v1, f"ssh {V2} cat /tmp/zeros > out; echo rc=$?; stat -c %s out")
    rc, size = res.stdout.split()
    # either the whole output arrives, or ssh fails loudly: never a cut file with status 0
    assert (rc, size) == ("rc=0", "12000000") or (rc == "rc=255" and "exceeded" in res.stderr)


# -- scp options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opts",
    [
        "-P 22",
        "-P22",
        "-i ~/.ssh/id_ed25519",
        "-o StrictHostKeyChecking=no",
        "-oStrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "-q",
        "-p",
        "-C -4 -B",
        "-v -P 22 -i /home/user/.ssh/id_ed25519 -o ConnectTimeout=5",
        "-rpq",
        "-l 1000",
        "-F /dev/null -T",
    ],
)
async def test_scp_with_options(sample, opts: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("up.txt", "up\n")
    await v2.write_file("/tmp/down.txt", "down\n")
    res = await sh(
        v1, f"scp {opts} up.txt user@{V2}:/tmp/up.txt && scp {opts} user@{V2}:/tmp/down.txt ."
    )
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/tmp/up.txt") == "up\n"
    assert await v1.read_file("down.txt") == "down\n"
    for bad in ("22", "1000", "StrictHostKeyChecking=no", "id_ed25519", "/dev/null"):
        assert not await exists(v2, f"/home/user/{bad}")
    assert not await exists(v1, "/home/user/22")


async def test_scp_keeps_permissions(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("run.sh", "#!/bin/sh\necho run\n")
    await v1.write_file("secret.key", "k\n")
    await v1.write_file("dir/tool", "t\n")
    await v1.exec(["chmod", "750", "run.sh"])
    await v1.exec(["chmod", "600", "secret.key"])
    await v1.exec(["chmod", "700", "dir/tool"])
    res = await sh(v1, f"scp run.sh secret.key {V2}:/tmp/ && scp -r dir {V2}:/tmp/dir")
    assert res.returncode == 0, res.stderr
    assert await mode(v2, "/tmp/run.sh") == "750"
    assert await mode(v2, "/tmp/secret.key") == "600"
    assert await mode(v2, "/tmp/dir/tool") == "700"
    assert (await v2.exec(["/tmp/run.sh"])).stdout == "run\n"
    # and back
    res = await sh(v1, f"mkdir back && scp {V2}:/tmp/run.sh {V2}:/tmp/secret.key back/")
    assert res.returncode == 0, res.stderr
    assert await mode(v1, "back/run.sh") == "750"
    assert await mode(v1, "back/secret.key") == "600"


async def test_scp_p_preserves_times_and_plain_scp_does_not(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    old = "2001-02-03 04:05:06"
    await sh(v1, f"echo x > old.txt && mkdir -p t/in && echo y > t/in/f && chmod 640 old.txt && "
             f"touch -d '{old}' old.txt t/in/f t/in t")
    await sh(v2, f"echo z > /tmp/remote_old.txt && touch -d '{old}' /tmp/remote_old.txt")
    stamp = await mtime(v1, "old.txt")
    assert stamp < time.time() - 10 * 365 * 86400  # really old, so a copy is visible
    res = await sh(
        v1, f"scp -p old.txt {V2}:/tmp/p.txt && scp old.txt {V2}:/tmp/nop.txt && "
        f"scp -rp t {V2}:/tmp/t && scp -p {V2}:/tmp/remote_old.txt got_p.txt && "
        f"scp {V2}:/tmp/remote_old.txt got_nop.txt"
    )
    assert res.returncode == 0, res.stderr
    now = int(time.time())
    assert await mtime(v2, "/tmp/p.txt") == stamp
    assert await mode(v2, "/tmp/p.txt") == "640"
    assert await mtime(v2, "/tmp/t/in/f") == stamp
    assert await mtime(v2, "/tmp/t/in") == stamp
    assert await mtime(v1, "got_p.txt") == stamp
    assert abs(await mtime(v2, "/tmp/nop.txt") - now) < 120
    assert abs(await mtime(v1, "got_nop.txt") - now) < 120


async def test_scp_between_two_remote_paths_and_local_copy(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v2.write_file("/tmp/src.txt", "relay\n")
    res = await sh(v1, f"scp {V2}:/tmp/src.txt {V1}:/tmp/relayed.txt")
    assert res.returncode == 0, res.stderr
    assert await v1.read_file("/tmp/relayed.txt") == "relay\n"
    res = await sh(v1, f"scp {V2}:/tmp/src.txt {V2}:/tmp/dup.txt")
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/tmp/dup.txt") == "relay\n"
    res = await sh(v1, "echo l > l1 && scp l1 l2 && cat l2")
    assert (res.returncode, res.stdout) == (0, "l\n")


# -- ssh -------------------------------------------------------------------------------------


async def test_ssh_runs_command_on_the_remote_tree(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await v1.exec(["ssh", V2, "hostname"])
    assert (res.returncode, res.stdout) == (0, f"{V2}\n")
    res = await v1.exec(["ssh", V2, "cat", "/etc/hostname;", "echo", "$HOSTNAME", "$PWD"])
    assert res.stdout == f"{V2}\n{V2} /home/user\n"
    res = await v1.exec(["ssh", V2, "touch", "made_by_ssh"])
    assert res.returncode == 0
    assert await exists(v2, "/home/user/made_by_ssh")
    assert not await exists(v1, "/home/user/made_by_ssh")


async def test_ssh_shell_syntax(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    script = (
        f"ssh user@{V2} 'cd /tmp && echo \"a b;c\" > q.txt; cat q.txt | tr a-z A-Z && "
        "echo \\$HOSTNAME $HOSTNAME; for i in 1 2; do echo n$i; done; false || echo ok'"
    )
    res = await sh(v1, script)
    assert res.returncode == 0, res.stderr
    # single quotes: $HOSTNAME expanded remotely; the escaped one stays literal
    assert res.stdout == f"A B;C\n$HOSTNAME {V2}\nn1\nn2\nok\n"
    assert await v2.read_file("/tmp/q.txt") == "a b;c\n"
    assert not await exists(v1, "/tmp/q.txt")
    # double quotes: expanded locally before ssh sends it
    res = await sh(v1, f'ssh {V2} "echo $HOSTNAME \\$HOSTNAME"')
    assert res.stdout == f"{V1} {V2}\n"
    # several arguments are joined with spaces, like OpenSSH
    res = await v1.exec(["ssh", V2, "echo", "a   b", "c"])
    assert res.stdout == "a b c\n"
    res = await v1.exec(["ssh", V2, "printf '%s|' \"x y\" z"])
    assert res.stdout == "x y|z|"


@pytest.mark.parametrize(
    "cmd",
    [
        f"ssh -o StrictHostKeyChecking=no -p 22 user@{V2} hostname",
        f"ssh -p22 -i ~/.ssh/id_ed25519 -oBatchMode=yes {V2} hostname",
        f"ssh -T -q -n -x -A -C -4 {V2} hostname",
        f"ssh -l user -o UserKnownHostsFile=/dev/null {V2} hostname",
        f"ssh -v -F /dev/null -o ConnectTimeout=5 -- {V2} hostname",
        f"ssh {V2} -p 22 -o LogLevel=ERROR hostname",
        f"ssh {V2} -- hostname",
        f"ssh ssh://user@{V2}:22 hostname",
        f"ssh {V2.upper()} hostname",
        f"ssh -t {V2} hostname",
    ],
)
async def test_ssh_options(sample, cmd: str) -> None:
    res = await sh(sample["default"], cmd)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"{V2}\n"


async def test_ssh_stdin_is_forwarded(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await v1.write_file("lines.txt", "line1\nline2\nline3\n")
    res = await sh(
        v1, f"cat lines.txt | ssh {V2} 'cat > /tmp/g.txt' && ssh {V2} 'wc -l' < lines.txt && "
        f"head -c 2000000 /dev/urandom > blob && ssh {V2} 'cat > blob' < blob && "
        f"ssh {V2} 'md5sum < blob' && md5sum < blob && "
        f"echo ignored | ssh -n {V2} 'cat; echo end'"
    )
    assert res.returncode == 0, res.stderr
    assert await v2.read_file("/tmp/g.txt") == "line1\nline2\nline3\n"
    out = res.stdout.splitlines()
    assert out[0] == "3"
    assert out[1] == out[2]
    assert out[3] == "end"
    # tar over ssh, the classic way to copy a tree
    await make_tree(v1, "/home/user")
    res = await sh(v1, f"tar cf - proj | ssh {V2} 'mkdir -p /srv/t && tar xf - -C /srv/t'")
    assert res.returncode == 0, res.stderr
    assert await listing(v2, "/srv/t/proj") == TREE_LISTING
    res = await sh(v1, f"ssh {V2} 'tar cf - -C /srv/t proj' | tar xf - -C /tmp")
    assert res.returncode == 0, res.stderr
    assert await listing(v1, "/tmp/proj") == TREE_LISTING


@pytest.mark.parametrize("code", [0, 1, 7, 42, 255])
async def test_ssh_exit_code_propagates(sample, code: int) -> None:
    v1 = sample["default"]
    res = await v1.exec(["ssh", V2, f"exit {code}"])
    assert res.returncode == code
    res = await sh(v1, f"ssh {V2} 'exit {code}'; echo rc=$?")
    assert res.stdout == f"rc={code}\n"


async def test_ssh_stdout_and_stderr_are_separate(sample) -> None:
    res = await sample["default"].exec(
        ["ssh", V2, "echo to-out; echo to-err >&2; ls /definitely/missing; exit 3"]
    )
    assert res.returncode == 3
    assert res.stdout == "to-out\n"
    assert "to-err" in res.stderr
    assert "/definitely/missing" in res.stderr
    assert "to-err" not in res.stdout


async def test_ssh_without_command_runs_stdin_as_script(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    script = "hostname\necho $((6*7)) > /tmp/s.txt\ncd /tmp\npwd\nexit 5\necho never\n"
    res = await v1.exec(["ssh", f"user@{V2}"], input=script)
    assert res.returncode == 5
    assert res.stdout == f"{V2}\n/tmp\n"
    assert "Pseudo-terminal will not be allocated" in res.stderr
    assert await v2.read_file("/tmp/s.txt") == "42\n"
    assert not await exists(v1, "/tmp/s.txt")
    res = await sh(v1, f"printf 'echo heredoc-ok\\n' | ssh {V2}")
    assert res.stdout == "heredoc-ok\n"


async def test_remote_commands_change_only_the_remote_tree(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    for env in (v1, v2):
        await env.write_file("/home/user/a.txt", "A\n")
        await env.write_file("/home/user/b.txt", "B\n")
        await env.write_file("/opt/app/config.ini", "mode=old\n")
    res = await sh(
        v1, f"ssh {V2} 'rm a.txt && mv b.txt moved.txt && cp moved.txt copied.txt && "
        "echo created > /tmp/new.txt && echo appended >> moved.txt && mkdir -p /srv/x/y && "
        "sed -i s/old/new/ /opt/app/config.ini && chmod 600 copied.txt && ln -s /tmp/new.txt lnk'"
    )
    assert res.returncode == 0, res.stderr
    assert not await exists(v2, "/home/user/a.txt")
    assert not await exists(v2, "/home/user/b.txt")
    assert await v2.read_file("moved.txt") == "B\nappended\n"
    assert await v2.read_file("copied.txt") == "B\n"
    assert await mode(v2, "copied.txt") == "600"
    assert await v2.read_file("/tmp/new.txt") == "created\n"
    assert await v2.read_file("lnk") == "created\n"
    assert await v2.read_file("/opt/app/config.ini") == "mode=new\n"
    assert await exists(v2, "/srv/x/y")
    # the agent's own machine is untouched
    assert await v1.read_file("a.txt") == "A\n"
    assert await v1.read_file("b.txt") == "B\n"
    assert await v1.read_file("/opt/app/config.ini") == "mode=old\n"
    for p in ("moved.txt", "copied.txt", "lnk", "/tmp/new.txt", "/srv/x"):
        assert not await exists(v1, p), p


async def test_remote_state_persists_between_connections(sample) -> None:
    v1 = sample["default"]
    res = await sh(v1, f"ssh {V2} 'echo 1 > counter' && ssh {V2} 'echo $(( $(cat counter) + 1 ))"
                       f" > counter' && ssh {V2} cat counter")
    assert res.stdout == "2\n"


# -- unknown hosts, wrong users, loopback, chains ---------------------------------------------


@pytest.mark.parametrize("host", ["nosuchhost", "model_deployment_v3", "user@10.0.0.5", "v2"])
async def test_unknown_host(sample, host: str) -> None:
    v1 = sample["default"]
    name = host.rpartition("@")[2]
    res = await v1.exec(["ssh", host, "touch /tmp/pwned"])
    assert res.returncode == 255
    assert f"ssh: Could not resolve hostname {name}" in res.stderr
    await v1.write_file("f.txt", "x\n")
    put = await sh(v1, f"scp f.txt {host}:/tmp/pwned")
    get = await sh(v1, f"scp {host}:/etc/hostname got")
    assert put.returncode != 0 and get.returncode != 0
    assert "Could not resolve hostname" in put.stderr and "Could not resolve hostname" in get.stderr
    for env in sample.values():
        assert not await exists(env, "/tmp/pwned")
    assert not await exists(v1, "got")
    assert not await exists(v1, f"{name}:")


@pytest.mark.parametrize("who", ["root@", "admin@", "-l root "])
async def test_wrong_user_is_denied(sample, who: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await sh(v1, f"ssh {who}{V2} 'touch /tmp/pwned'")
    assert res.returncode == 255
    assert "Permission denied (publickey)" in res.stderr
    if who.endswith("@"):
        await v1.write_file("f.txt", "x\n")
        res = await sh(v1, f"scp f.txt {who}{V2}:/tmp/pwned")
        assert res.returncode != 0
        assert "Permission denied" in res.stderr
        res = await sh(v1, f"scp {who}{V2}:/etc/hostname got")
        assert res.returncode != 0
        assert not await exists(v1, "got")
    assert not await exists(v2, "/tmp/pwned")


@pytest.mark.parametrize("name", [V1, "localhost", "127.0.0.1", f"user@{V1}", "LOCALHOST"])
async def test_ssh_to_own_name_runs_locally(sample, name: str) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await sh(v1, f"ssh {name} 'hostname; echo self > ~/self.txt'")
    assert (res.returncode, res.stdout) == (0, f"{V1}\n"), res.stderr
    assert await v1.read_file("self.txt") == "self\n"
    assert not await exists(v2, "/home/user/self.txt")
    res = await sh(v1, f"echo loop > l.txt && scp l.txt {name}:/tmp/l2.txt")
    assert res.returncode == 0, res.stderr
    assert await v1.read_file("/tmp/l2.txt") == "loop\n"
    assert not await exists(v2, "/tmp/l2.txt")


async def test_localhost_on_the_second_machine_is_that_machine(sample) -> None:
    v2 = sample[V2]
    res = await v2.exec(["ssh", "localhost", "hostname"])
    assert res.stdout == f"{V2}\n"


async def test_chained_ssh_back_to_first_machine(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await sh(
        v1, f"ssh {V2} 'echo hop1 > /tmp/hop1; ssh {V1} \"hostname; echo hop2 > /tmp/hop2\"'"
    )
    assert (res.returncode, res.stdout) == (0, f"{V1}\n"), res.stderr
    assert await v2.read_file("/tmp/hop1") == "hop1\n"
    assert await v1.read_file("/tmp/hop2") == "hop2\n"
    assert not await exists(v1, "/tmp/hop1")
    assert not await exists(v2, "/tmp/hop2")
    # scp driven from the second machine, pulling from and pushing to the first
    await v1.write_file("origin.txt", "from v1\n")
    res = await sh(
        v1, f"ssh {V2} 'scp {V1}:origin.txt pulled.txt && echo back > b.txt && "
        f"scp b.txt {V1}:pushed_back.txt && ssh {V1} exit 9'; echo rc=$?"
    )
    assert res.stdout == "rc=9\n", res.stderr
    assert await v2.read_file("pulled.txt") == "from v1\n"
    assert await v1.read_file("pushed_back.txt") == "back\n"
    # the second machine also starts ssh directly (as the harness would on it)
    res = await v2.exec(["ssh", V1, "cat origin.txt"])
    assert res.stdout == "from v1\n"


async def test_nothing_local_is_named_after_the_other_host(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    await make_tree(v1, "/home/user")
    await v1.write_file("f.txt", "x\n")
    await sh(
        v1, f"scp f.txt {V2}:; scp f.txt user@{V2}:/tmp/; scp -r proj {V2}:; scp {V2}:f.txt g; "
        f"scp f.txt {V2}:/no/dir/; scp f.txt root@{V2}:; scp {V2}:/missing .; "
        f"scp f.txt {V2}:'~/x'; ssh {V2} true; ssh {V2} 'exit 3'; scp f.txt nohost:; "
        f"cd /tmp && scp f.txt {V2}:; scp -r {V2}:proj /tmp/p2; true"
    )
    for env, other in ((v1, V2), (v2, V1)):
        home = await sh(env, "ls -aR /home/user")
        root = await env.exec(["ls", "-a", "/", "/tmp"])
        assert other not in home.stdout
        assert other not in root.stdout
        assert "nohost" not in home.stdout + root.stdout
        # the only place the other machine is named is known_hosts (content, not file names)
        found = await sh(env, f"grep -rl {other} /home/user /tmp /opt /srv 2>/dev/null")
        assert found.stdout.split() == ["/home/user/.ssh/known_hosts"]


# -- the broker's log, timeouts --------------------------------------------------------------


async def test_remote_log_records_each_request(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    log = v1.remote_log
    assert log is v2.remote_log
    assert log.entries == []
    await v1.write_file("f.txt", "x\n")
    await sh(v1, f"ssh {V2} 'exit 4'")
    await sh(v1, f"scp f.txt user@{V2}:/tmp/f.txt")
    await sh(v1, f"scp -r {V2}:/tmp/f.txt got.txt")
    await sh(v1, "ssh nosuchhost true")
    await sh(v1, f"ssh root@{V2} true")
    await v2.exec(["ssh", V1, "true"])
    got = [(e["from"], e["op"], e["host"], e["user"], e["returncode"]) for e in log.entries]
    assert got == [
        (V1, "ssh", V2, "user", 4),
        (V1, "put", V2, "user", 0),
        (V1, "get", V2, "user", 0),
        (V1, "ssh", "nosuchhost", "user", 255),
        (V1, "ssh", V2, "root", 255),
        (V2, "ssh", V1, "user", 0),
    ]
    e = log.entries
    assert e[0]["command"] == "exit 4" and e[0]["target"] == V2
    assert e[1]["dest"] == "/tmp/f.txt" and e[1]["names"] == ["f.txt"]
    assert e[2]["paths"] == ["/tmp/f.txt"] and e[2]["recursive"] is True
    assert "target" not in e[3]
    assert all(isinstance(x["time"], float) for x in e)
    assert [x["time"] for x in e] == sorted(x["time"] for x in e)


async def test_exec_timeout_kills_the_remote_command(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    marker = "ssh-timeout-" + secrets.token_hex(6)
    task = asyncio.create_task(
        v1.exec(["bash", "-c", f"ssh {V2} 'sleep 100; : {marker}'"], timeout=2)
    )
    for _ in range(50):  # the remote command really starts (so the check below means something)
        if host_procs_with(marker):
            break
        await asyncio.sleep(0.05)
    assert host_procs_with(marker), "the remote command never started"
    with pytest.raises(TimeoutError):
        await task
    for _ in range(40):
        if not host_procs_with(marker):
            break
        await asyncio.sleep(0.1)
    assert host_procs_with(marker) == []
    entry = v1.remote_log.entries[-1]
    assert entry["op"] == "ssh" and entry["host"] == V2 and marker in entry["command"]
    assert entry.get("interrupted") is True
    # both machines still work afterwards
    assert (await v1.exec(["ssh", V2, "echo", "alive"])).stdout == "alive\n"
    assert (await v2.exec(["hostname"])).stdout == f"{V2}\n"


async def test_killing_ssh_inside_the_sandbox_kills_the_remote_command(sample) -> None:
    v1 = sample["default"]
    marker = "ssh-kill-" + secrets.token_hex(6)
    t0 = time.monotonic()
    res = await sh(v1, f"timeout 1 ssh {V2} 'sleep 100; : {marker}'; echo rc=$?")
    assert res.stdout == "rc=124\n"
    assert time.monotonic() - t0 < 20
    for _ in range(40):
        if not host_procs_with(marker):
            break
        await asyncio.sleep(0.1)
    assert host_procs_with(marker) == []


async def test_ssh_in_background_and_concurrent(sample) -> None:
    v1, v2 = sample["default"], sample[V2]
    res = await sh(
        v1, f"for i in 1 2 3 4; do ssh {V2} \"sleep 0.3; echo $i > /tmp/c$i\" & done; wait; "
        f"ssh {V2} 'cat /tmp/c1 /tmp/c2 /tmp/c3 /tmp/c4'"
    )
    assert res.stdout == "1\n2\n3\n4\n", res.stderr
    assert await v2.read_file("/tmp/c4") == "4\n"
