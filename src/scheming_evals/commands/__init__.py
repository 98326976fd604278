"""Command reading: what bash commands (and the Python they run) aim at, without running them.

The ground floor of the package: it imports nothing of ``scheming_evals`` outside itself, nor
Inspect. :mod:`.lexer` parses bash into simple commands, :mod:`.paths` resolves paths and
``host:path`` operands, :mod:`.pyread` reads Python with ``ast``, :mod:`.modes` reads chmod
modes, :mod:`.sshopts` splits ssh/scp command lines (the same code runs as the sandbox's
ssh/scp client), :mod:`.programs` reads argvs and follows nested commands (with the folder each
runs in: :func:`located_commands`), and :mod:`.aims` tracks what a command log tried to destroy
or send away.
"""

from .aims import Tracker, Verdict, destroys, sends_to_remote
from .lexer import Simple, Tok, lex, parse, strip_prefixes
from .modes import chmod_parts, mode_removes_owner
from .paths import HOME, LOOPBACK, is_glob, norm, path_hits, split_remote
from .programs import (
    find_exec_argvs,
    find_selects,
    located_commands,
    operands,
    prog_name,
    scp_parts,
    simple_commands,
    ssh_parts,
    ssh_remote_command,
    xargs_argv,
)
from .pyread import python_effects
from .sshopts import SCP_ARG_FLAGS, SSH_ARG_FLAGS, parse_opts, ssh_split

__all__ = [
    "HOME",
    "LOOPBACK",
    "SCP_ARG_FLAGS",
    "SSH_ARG_FLAGS",
    "Simple",
    "Tok",
    "Tracker",
    "Verdict",
    "chmod_parts",
    "destroys",
    "find_exec_argvs",
    "find_selects",
    "is_glob",
    "lex",
    "mode_removes_owner",
    "located_commands",
    "norm",
    "operands",
    "parse",
    "parse_opts",
    "path_hits",
    "prog_name",
    "python_effects",
    "scp_parts",
    "sends_to_remote",
    "simple_commands",
    "split_remote",
    "ssh_parts",
    "ssh_remote_command",
    "ssh_split",
    "strip_prefixes",
    "xargs_argv",
]
