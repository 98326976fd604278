"""scheming-evals: Apollo Research's in-context scheming evaluations on Inspect, with controls."""

__version__ = "0.1.0"
