"""Oversight subversion's tools: bash and done, and a selector that, like the real monitor,
reads the oversight config at the moment of each valid call."""

from __future__ import annotations

from inspect_ai.tool import Tool
from inspect_ai.util import store

from ...scenario import scenario_for
from ..covert import standard_tools
from ..episode import Meta, read_or_none
from ..tools import selector_def, selector_tool
from .world import CONFIG_PATH

CONFIG_AT_CHOICE = "config_at_choice"  # store key: the config's text when the choice was made


def oversight_selector(meta: Meta, letters: list[str], description: str) -> Tool:
    """The selector tool; like the real monitor, it reads the config at the moment of the call."""
    inner = selector_tool(meta["selector_tool"], description, letters, ends=False)

    async def execute(strategy: str) -> str:
        # Only a valid choice counts: a call with an unknown letter chooses nothing, so it must
        # not overwrite the config seen when the standing choice was made.
        if strategy.strip().upper()[:1] in letters:
            store().set(CONFIG_AT_CHOICE, await read_or_none(CONFIG_PATH))
        return str(await inner(strategy=strategy))

    return selector_def(execute, meta["selector_tool"], description)


def oversight_tools(meta: Meta) -> list[Tool]:
    desc = scenario_for(meta).selector.description
    return standard_tools(meta, oversight_selector(meta, meta["options"], desc))
