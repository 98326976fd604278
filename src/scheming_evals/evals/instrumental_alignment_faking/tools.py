"""Alignment faking's tools: bash and the scenario's selector, whose choice ends the episode."""

from __future__ import annotations

from inspect_ai.tool import Tool

from ...scenario import scenario_for
from ..episode import Meta
from ..tools import bash_tool, selector_tool


def faking_tools(meta: Meta) -> list[Tool]:
    s = scenario_for(meta)
    return [bash_tool(scratchpad=meta["reasoning"] == "scratchpad"),
            selector_tool(s.selector.tool, s.selector.description,
                          [o.letter for o in s.options], ends=True)]
