"""What Inspect loads from this package: the sandbox provider and the tasks (then the models)."""

# ruff: noqa: F401
from .evals.covert_email_reranking import covert_email_reranking
from .evals.goal_guarding import goal_guarding
from .evals.instrumental_alignment_faking import instrumental_alignment_faking
from .evals.oversight_subversion import oversight_subversion
from .evals.sandbagging import sandbagging
from .evals.self_exfiltration import self_exfiltration
from .reference.provider import ReferenceAPI
from .sandbox.provider import BwrapSandboxEnvironment
