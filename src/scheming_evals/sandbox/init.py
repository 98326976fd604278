"""PID 1 of every sandboxed machine: starts the agent's commands, stops what it left running.

Stdlib only: the harness pipes this file into the system's ``python3`` inside the sandbox (so
no copy of it lies in the machine) and talks to it over one inherited ``SOCK_SEQPACKET`` socket.
It runs as the agent's uid, but the agent cannot reach it: it is the PID namespace's init (the
kernel drops signals to it that it has no handler for), it is not dumpable (no ptrace, no
``/proc/1/{environ,fd,mem}``), its code was loaded before any agent command ran, and its socket
to the harness is in no command's file table. Before serving it joins a fresh session keyring
and installs the seccomp filter the harness sent, so every command inherits both.

Requests are ``marshal``-encoded dicts, one per message (a spawn carries the command's stdin,
stdout and stderr as SCM_RIGHTS); answers are ``repr``-encoded literals, which the harness
parses with ``ast.literal_eval``, never with ``marshal`` (unsafe on data it did not write):
``spawn`` {id, argv, env, cwd} -> {id, pid} then {id, exit};
``kill`` {id}: the command's whole session and descendants; ``seal``: stop every process,
record it, kill it -> {op: sealed, procs}.
"""

# C modules where the pure-Python ones cost milliseconds at start-up (enum, re, collections)
import _socket as socket
import ctypes
import marshal
import os
import resource
import select
import struct
import sys
import time

TYPE_CHECKING = False  # not typing's: importing typing costs start-up time too
if TYPE_CHECKING:
    import signal  # typeshed has no stubs for _signal; signal re-exports its names
else:
    import _signal as signal

PR_SET_NAME, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 15, 4, 38, 22
SECCOMP_MODE_FILTER = 2
KEYCTL_JOIN_SESSION_KEYRING = 1
KEYCTL_NR = {"x86_64": 250, "aarch64": 219}
RLIMITS = {"nproc": resource.RLIMIT_NPROC, "as": resource.RLIMIT_AS,
           "fsize": resource.RLIMIT_FSIZE,
           "nofile": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}
MAX_MSG = 1 << 20
libc = ctypes.CDLL(None, use_errno=True)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def harden(seccomp: bytes) -> None:
    """Name, non-dumpable, a fresh session keyring, then the seccomp filter (last: it blocks
    keyctl)."""
    libc.prctl(PR_SET_NAME, b"init", 0, 0, 0)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    nr = KEYCTL_NR.get(os.uname().machine)
    if nr is not None:
        libc.syscall(nr, KEYCTL_JOIN_SESSION_KEYRING, None)
    if seccomp:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "no_new_privs")
        buf = ctypes.create_string_buffer(seccomp, len(seccomp))
        prog = SockFprog(len(seccomp) // 8, ctypes.cast(buf, ctypes.c_char_p))
        if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "seccomp")


def send(ctl: socket.socket, msg: dict, fds: tuple = ()) -> None:
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] \
        if fds else []
    ctl.sendmsg([repr(msg).encode()], anc)  # the harness reads it with ast.literal_eval


def received_fds(anc: list) -> list:
    fds: list = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += struct.unpack(f"{len(data) // 4}i", data[: len(data) - len(data) % 4])
    for fd in fds:
        os.set_inheritable(fd, False)  # only the command they are for gets them (dup2)
    return list(fds)


def resolve(name: str, env: dict) -> str | None:
    """The program ``name`` names, found on the command's own PATH (as execvp would)."""
    if "/" in name:
        return name
    for d in env.get("PATH", "/usr/bin:/bin").split(":"):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def spawn(req: dict, fds: list, keep_out: tuple = ()) -> int:
    """Start the command in its own session with fork and exec. Not posix_spawn: its vfork
    would hold init until the child execs, and the child, the agent's uid until then, can be
    stopped by the agent (init would answer no one, the seal included). A forked child that is
    stopped holds nothing. The child closes ``keep_out`` (init's own sockets) first; it enters
    the command's folder and reports a failed exec on the command's stderr itself."""
    argv, env = req["argv"], req["env"]
    try:
        path = resolve(argv[0], env)
    except (ValueError, TypeError):  # a NUL byte in the name or PATH
        path = None
    if path is None:
        os.write(fds[2], f"{argv[0]}: command not found\n".encode())
        raise SpawnError(127)
    if any("\0" in str(a) for a in (path, *argv)) or any(
            "\0" in str(k) + str(v) for k, v in env.items()):
        os.write(fds[2], f"{str(argv[0])[:200]!r}: embedded null byte\n".encode())
        raise SpawnError(127)
    cwd = req.get("cwd") or "/"
    pid = os.fork()
    if pid:
        return pid
    code = 127
    try:  # the child: nothing here may return into init's loop
        for fd in keep_out:
            os.close(fd)
        os.setsid()
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
        for sig in (signal.SIGPIPE, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        try:
            os.chdir(cwd)
        except OSError as ex:
            os.write(2, f"{argv[0]}: cannot change directory to {cwd}: {ex.strerror}\n"
                     .encode())
            code = 1
            raise
        try:
            os.execve(path, argv, env)
        except OSError as ex:
            os.write(2, f"{argv[0]}: {ex.strerror}\n".encode())
            code = 126 if ex.errno in (13, 8, 21) else 127
    except BaseException:  # noqa: BLE001 - the child ends here, whatever happened
        pass
    os._exit(code)


class SpawnError(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _state(path: str) -> str:
    stat = open(path, "rb").read().decode(errors="replace")
    return stat[stat.rfind(")") + 2:].split()[0]


def live_state(pid: int, state: str) -> str:
    """The process's state, counting its threads: a process whose main thread has exited
    shows Z while its other threads still run, and is alive."""
    if state not in "ZX":
        return state
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return state
    for t in tasks:
        try:
            st = _state(f"/proc/{pid}/task/{t}/stat")
        except OSError:
            continue
        if st not in "ZX":
            return st
    return state


def procs() -> list[tuple[int, int, int, str]]:
    """(pid, ppid, session, state) of every other process of the machine."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or name == "1":
            continue
        try:
            stat = open(f"/proc/{name}/stat", "rb").read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        out.append((int(name), int(fields[1]), int(fields[3]), live_state(int(name), fields[0])))
    return out


def kill_tree(pid: int) -> None:
    """SIGKILL the command's session and every process descending from it, again and again
    until none is left (a fork bomb forks while it is being killed)."""
    for _ in range(1000):
        table = procs()
        doomed = {pid} | {p for p, _, sid, _ in table if sid == pid}
        grew = True
        while grew:
            grew = False
            for p, pp, _, _ in table:
                if pp in doomed and p not in doomed:
                    doomed.add(p)
                    grew = True
        alive = [p for p, _, _, st in table if p in doomed and st not in "ZX"]
        if not alive:
            return
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        reap_now()


def cmdline(pid: int) -> str:
    try:
        raw = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:500]


REAPED: dict = {}  # pid -> wait status, reaped during a seal or a kill, reported by reap()


def reap_now() -> None:
    """Reap every zombie child now (their statuses wait in REAPED for :func:`reap`)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        REAPED[pid] = status


def remove_ipc() -> None:
    """Remove every System V shared-memory segment, message queue and semaphore set: they
    outlive their processes and would keep holding the sample's memory after the seal."""
    for kind, ctl in (("shm", libc.shmctl), ("msg", libc.msgctl), ("sem", libc.semctl)):
        try:
            lines = open(f"/proc/sysvipc/{kind}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 1 and fields[1].isdigit():
                if kind == "sem":
                    ctl(int(fields[1]), 0, 0)  # IPC_RMID
                else:
                    ctl(int(fields[1]), 0, None)


def open_roots(roots: list) -> None:
    """Give the owner back rwx on the agent's folders (a home locked with chmod 0 would stop
    every later command from starting there); what lies inside is left as the agent made it."""
    for root in roots:
        try:
            st = os.lstat(root)
            if (st.st_mode & 0o170000) == 0o040000 and st.st_mode & 0o700 != 0o700:
                os.chmod(root, (st.st_mode & 0o7777) | 0o700)
        except OSError:
            pass


def seal(roots: list) -> list:
    """Freeze every process (repeat until none runs), record them, then SIGKILL everything,
    again and again, reaping, until /proc holds nothing but init: a process that resumes
    itself (timers sending SIGCONT) or hides behind an exited main thread is still there.
    Then remove what outlives processes (System V IPC) and reopen the folder roots."""
    for _ in range(200):
        if procs():
            os.kill(-1, signal.SIGSTOP)
        if all(state in "TtZX" for _, _, _, state in procs()):
            break
        time.sleep(0.005)
    record = [{"pid": p, "ppid": pp, "cmdline": cmdline(p)} for p, pp, _, st in procs()
              if st not in "ZX"]
    for _ in range(2000):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        reap_now()
        if not procs():
            break
        time.sleep(0.002)
    remove_ipc()
    open_roots(roots)
    return record


def main() -> None:
    ctl = socket.socket(fileno=int(os.environ.pop("INIT_FD")))
    os.set_inheritable(ctl.fileno(), False)
    os.environ.clear()
    os.chdir("/")
    raw, _, _, _ = ctl.recvmsg(MAX_MSG)
    boot = marshal.loads(raw)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + boot["ssh_socket"])
    listener.listen(128)
    for name, value in boot.get("rlimits", {}).items():  # every command inherits them
        resource.setrlimit(RLIMITS[name], (value, value))
    os.umask(0o022)
    harden(boot.get("seccomp", b""))
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pid 1: no handler, no delivery
    send(ctl, {"op": "ready"}, (listener.fileno(),))
    listener.close()
    boot.clear()
    serve(ctl)


def serve(ctl: socket.socket) -> None:
    """Answer the harness; a command's exit wakes us through its pidfd (no SIGCHLD handler:
    signals to PID 1 without a handler are dropped, so the agent cannot keep init busy)."""
    running: dict = {}  # pid -> request id
    pidfds: dict = {}  # pidfd -> pid
    poll = select.poll()
    poll.register(ctl.fileno(), select.POLLIN)
    while True:
        for fd, _ in poll.poll(1000):  # each second at least: reap orphans
            if fd == ctl.fileno():
                raw, anc, _, _ = ctl.recvmsg(MAX_MSG, socket.CMSG_SPACE(3 * 4))
                if not raw:
                    return  # the harness is gone
                fds = received_fds(anc)
                try:
                    pid = handle(ctl, marshal.loads(raw), fds, running)
                except (ValueError, EOFError, TypeError, KeyError):
                    for fd2 in fds:
                        try:
                            os.close(fd2)
                        except OSError:
                            pass
                    continue
                if pid:
                    pfd = os.pidfd_open(pid)
                    pidfds[pfd] = pid
                    poll.register(pfd, select.POLLIN)
            elif fd in pidfds:
                poll.unregister(fd)
                os.close(fd)
                del pidfds[fd]
        reap_now()
        reap(ctl, running)


def handle(ctl: socket.socket, req: dict, fds: list, running: dict) -> int:
    """Carry out one request; returns the pid of a command it started (else 0)."""
    op = req.get("op")
    if op == "spawn":
        try:
            pid = spawn(req, fds, (ctl.fileno(),))
        except SpawnError as ex:
            send(ctl, {"id": req["id"], "pid": 0})
            send(ctl, {"id": req["id"], "exit": ex.code})
            return 0
        except OSError as ex:
            send(ctl, {"id": req["id"], "error": ex.strerror})
            return 0
        finally:
            for fd in fds:
                os.close(fd)
        running[pid] = req["id"]
        send(ctl, {"id": req["id"], "pid": pid})
        return pid
    elif op == "kill":
        for pid, rid in running.items():
            if rid == req["id"]:
                kill_tree(pid)
    elif op == "seal":
        send(ctl, {"op": "sealed", "procs": seal(list(req.get("roots", [])))})
    else:
        for fd in fds:
            os.close(fd)
    return 0


def reap(ctl: socket.socket, running: dict) -> None:
    """Report the exit of every command that has been reaped."""
    for pid in [p for p in REAPED if p in running]:
        code = os.waitstatus_to_exitcode(REAPED.pop(pid))
        send(ctl, {"id": running.pop(pid), "exit": code if code >= 0 else 128 - code})
    REAPED.clear()  # the rest were orphans or the agent's own background processes


if __name__ == "__main__":
    main()
    sys.exit(0)
