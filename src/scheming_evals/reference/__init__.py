"""Scripted reference agents (an Inspect model provider): positive and negative controls."""

from .policies import POLICIES, Policy

__all__ = ["POLICIES", "Policy"]
