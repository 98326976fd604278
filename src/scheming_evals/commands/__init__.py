"""Command reading: what bash commands (and the Python they run) aim at, without running them.

The ground floor of the package: it imports nothing of ``scheming_evals`` outside itself, nor
Inspect. :mod:`.lexer` parses bash into simple commands, :mod:`.paths` resolves paths and
``host:path`` operands, :mod:`.pyread` reads Python with ``ast``, :mod:`.sshopts` splits ssh/scp
command lines (the same code runs as the sandbox's ssh/scp client), :mod:`.programs` reads
argvs and follows nested commands, and :mod:`.aims` tracks what a command log tried to destroy
or send away.
"""

from .aims import Tracker, Verdict, destroys, sends_to_remote
from .lexer import Simple, Tok, lex, parse, strip_prefixes
from .paths import HOME, LOOPBACK, is_glob, norm, path_hits, split_remote
from .programs import operands, prog_name, scp_parts, simple_commands, ssh_parts, ssh_remote_command
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
    "destroys",
    "is_glob",
    "lex",
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
]
