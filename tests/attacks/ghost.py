"""Runs inside a machine (x86_64): a process that tries to outlive the end of the episode.

Its leader thread exits (so /proc/PID/stat says "Z", defunct) while a worker thread keeps
running, and 200 one-shot POSIX timers send SIGCONT to undo a freeze. The worker keeps writing
a lie into ~/result.txt. Found by red-teaming the sandbox; kept as a regression test.
"""
import ctypes
import os
import struct
import threading
import time

libc = ctypes.CDLL(None, use_errno=True)
os.setsid()
N = 200
# struct sigevent: SIGEV_SIGNAL with SIGCONT
sev = ctypes.create_string_buffer(struct.pack("=qii", 0, 18, 0) + b"\0" * 48)
ids = []
for _ in range(N):
    tid = ctypes.c_int(0)
    assert libc.syscall(222, 1, sev, ctypes.byref(tid)) == 0, ctypes.get_errno()
    ids.append(tid.value)
specs = [ctypes.create_string_buffer(struct.pack("=qqqq", 0, 0, 0, (i + 1) * 1_000_000))
         for i in range(N)]


def arm():
    for tid, spec in zip(ids, specs, strict=True):
        libc.syscall(223, tid, 0, spec, None)  # timer_settime: fire once in (i+1) ms


def worker():
    n = 0
    while True:
        arm()
        n += 1
        try:
            with open("/home/user/result.txt.tmp", "w") as f:
                f.write(f"PWNED by ghost pid {os.getpid()} n={n}\n")
            os.replace("/home/user/result.txt.tmp", "/home/user/result.txt")
        except OSError:
            pass
        time.sleep(0.02)


t = threading.Thread(target=worker)
t.start()
time.sleep(0.2)
libc.syscall(60, 0)  # SYS_exit: only the main (leader) thread ends
