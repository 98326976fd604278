"""The seccomp filter every sandboxed process runs under (a classic BPF program, built here).

A denylist at least as strict as Docker's default profile on what matters for escaping or
reaching the harness: new namespaces (``unshare``, ``setns``, ``clone``/``clone3`` with
namespace flags), mounts, keyrings (``keyctl``, ``add_key``, ``request_key``), ``ptrace`` and
cross-process memory access, BPF, perf, kernel modules, kexec, io_uring, clocks, swap, reboot,
quotas, ``userfaultfd`` and file handles. Foreign system-call ABIs (x32, i386 on x86_64) are
refused outright, and so are ``AF_VSOCK`` sockets (not namespaced: they reach the hypervisor).
POSIX message queues are refused (they outlive processes; System V IPC is removed at the seal
instead). Beyond Docker: a process may change its own resource limits, priority, scheduling and
CPU affinity, never another's (``prlimit``, ``renice``, ``taskset``, ``ionice`` on a pid, or on
all of the user's processes): everything in a machine shares one uid, and changing init's would
change every later command, the harness's own after the seal among them. Denied calls fail with
EPERM (``clone3`` with ENOSYS, so libc falls back to
``clone``, whose flags the filter can read), as Docker does.
"""

from __future__ import annotations

import os
import struct

_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
# any CLONE_NEW* flag: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_CLONE_NS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 \
    | 0x40000000 | 0x00000080

_NAMES = (
    "acct", "add_key", "adjtimex", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
    "get_kernel_syms", "get_mempolicy", "init_module", "io_uring_enter", "io_uring_register",
    "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
    "lookup_dcookie", "mbind", "mount", "mount_setattr", "move_mount", "move_pages", "mq_open",
    "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
    "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace", "query_module",
    "quotactl", "reboot", "request_key", "set_mempolicy", "setdomainname", "sethostname",
    "setns", "settimeofday", "swapoff", "swapon", "syslog", "sysfs", "_sysctl", "umount2",
    "unshare", "uselib", "userfaultfd", "ustat", "vhangup",
)
# system-call numbers per architecture: (audit arch, {name: nr}, clone, clone3)
_X86_64 = dict(zip(_NAMES, (
    163, 248, 159, 321, 305, 227, 174, 176, 313, 431, 432, 430, 433, 177, 239, 175, 426, 427,
    425, 173, 172, 312, 320, 246, 250, 212, 237, 165, 442, 429, 279, 240, 303, 180, 304, 428, 298,
    155, 310, 311, 101, 178, 179, 169, 249, 238, 171, 170, 308, 164, 168, 167, 103, 139, 156,
    166, 272, 134, 323, 136, 153,
), strict=True))
_AARCH64 = {k: v for k, v in zip(_NAMES, (
    89, 217, 171, 280, 266, 112, -1, 106, 273, 431, 432, 430, 433, -1, 236, 105, 426, 427,
    425, -1, -1, 272, 294, 104, 219, 18, 235, 40, 442, 429, 239, 180, 264, 42, 265, 428, 241,
    41, 270, 271, 117, -1, 60, 142, 218, 237, 162, 161, 268, 170, 225, 224, 116, -1, -1,
    39, 97, -1, 282, -1, 58,
), strict=True) if v >= 0}
# (audit arch, {name: nr}, clone, clone3, socket)
ARCHES = {
    "x86_64": (0xC000003E, _X86_64, 56, 435, 41),
    "aarch64": (0xC00000B7, _AARCH64, 220, 435, 198),
}
_AF_VSOCK = 40  # not namespaced: it reaches the hypervisor
# calls that act on another process when one argument (the pid, or "who") is not 0:
# name -> (x86_64 nr, aarch64 nr, the argument that names the process)
_OTHERS = {
    "prlimit64": (302, 261, 0), "setpriority": (141, 140, 1), "sched_setparam": (142, 118, 0),
    "sched_setscheduler": (144, 119, 0), "sched_setaffinity": (203, 122, 0),
    "sched_setattr": (314, 274, 0), "ioprio_set": (251, 30, 1),
}
# and "every process of this user": setpriority(PRIO_USER, ...), ioprio_set(IOPRIO_WHO_USER, ...)
_USER_WIDE = {"setpriority": 2, "ioprio_set": 3}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def supported(machine: str | None = None) -> bool:
    return (machine or os.uname().machine) in ARCHES


def build(machine: str | None = None) -> bytes:
    """The filter for ``machine`` (default: this one), as ``struct sock_filter`` bytes."""
    arch, table, clone, clone3, sock = ARCHES[machine or os.uname().machine]
    deny = _op(_RET, _RET_ERRNO | _EPERM)
    prog = [_op(_LD_ABS, 4), _op(_JEQ, arch, 1, 0), deny, _op(_LD_ABS, 0)]
    if arch == 0xC000003E:  # x32 numbers have bit 30 set
        prog += [_op(_JGE, 0x40000000, 0, 1), deny]
    for nr in sorted(table.values()):
        prog += [_op(_JEQ, nr, 0, 1), deny]
    prog += [_op(_JEQ, clone3, 0, 1), _op(_RET, _RET_ERRNO | _ENOSYS)]
    prog += [_op(_JEQ, clone, 0, 3), _op(_LD_ABS, 16), _op(_JSET, _CLONE_NS, 0, 1), deny]
    prog += [_op(_LD_ABS, 0), _op(_JEQ, sock, 0, 3), _op(_LD_ABS, 16),
             _op(_JEQ, _AF_VSOCK, 0, 1), deny]
    column = 0 if arch == 0xC000003E else 1
    for name, spec in _OTHERS.items():
        nr, arg = spec[column], spec[2]
        # the low 32 bits of the argument (a pid_t / int): what the kernel reads
        prog += [_op(_LD_ABS, 0), _op(_JEQ, nr, 0, 3), _op(_LD_ABS, 16 + 8 * arg),
                 _op(_JEQ, 0, 1, 0), deny]
        if name in _USER_WIDE:
            prog += [_op(_LD_ABS, 0), _op(_JEQ, nr, 0, 3), _op(_LD_ABS, 16),
                     _op(_JEQ, _USER_WIDE[name], 0, 1), deny]
    prog += [_op(_RET, _RET_ALLOW)]
    return b"".join(prog)
