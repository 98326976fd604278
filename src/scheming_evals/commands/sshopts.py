"""ssh and scp command lines split as their clients split them: the one parser for both sides.

The host-side readers (:mod:`.programs`, :mod:`.aims`) and the sandbox's own ssh/scp client
(``sandbox/shim_ssh.py``) both use these functions, so what a command is read to do is what the
client does. How it reaches the sandbox: the client is one file, ``shim_ssh.py`` with its import
of this module replaced by this module's text (``sandbox.hosts.client_source``, read once per
process and copied into every machine as ``/usr/local/bin/ssh`` and ``scp``), so it starts with
no import to resolve and runs under ``python3 -I -S``. Hence this module stays self-contained:
no imports at all (not even ``from __future__``, which must come first in a file), no names that
clash with the shim's, and annotations the sandbox's python3 (3.10+) can evaluate.
"""

SSH_ARG_FLAGS = set("bcDEeFIiJLlmOopQRSWw")  # ssh options that take an argument
SCP_ARG_FLAGS = set("cFiJloPSX")  # scp options that take an argument


def parse_opts(args: list[str], arg_flags: set[str]) -> tuple[dict[str, str | bool], list[str]]:
    """Parse ssh/scp options as their clients do: options stop at the first operand.

    ``args`` excludes the program name. Returns (options: letter -> argument or True, the
    first operand and everything after it); ``--`` ends the options and is dropped.
    """
    opts: dict[str, str | bool] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return opts, args[i + 1 :]
        if not a.startswith("-") or a == "-":
            return opts, args[i:]
        for j in range(1, len(a)):
            if a[j] in arg_flags:
                val = a[j + 1 :]
                if not val:
                    i += 1
                    val = args[i] if i < len(args) else ""
                opts[a[j]] = val
                break
            opts[a[j]] = True
        i += 1
    return opts, []


def ssh_split(args: list[str]) -> tuple[dict[str, str | bool], str | None, list[str]]:
    """``ssh [opts] DEST [opts] [CMD...]`` (without ``ssh``) -> (options, DEST, CMD words).

    Like OpenSSH, options may also follow the destination, up to the command. DEST is as
    written (``[user@]host`` or ``ssh://...``); None when there is none.
    """
    opts, rest = parse_opts(args, SSH_ARG_FLAGS)
    if not rest:
        return opts, None, []
    more, tail = parse_opts(rest[1:], SSH_ARG_FLAGS)
    opts.update(more)
    return opts, rest[0], tail
