"""One clear line for a model that cannot be set up: Inspect's own cause kept (which variable
to set), and the extra of ours that installs a provider's package."""

from __future__ import annotations

import re

# Inspect provider -> our extra that installs its client package (pyproject.toml).
EXTRAS = {"anthropic": "anthropic", "google": "google", "vertex": "google",
          "mistral": "mistral", "groq": "groq"}


def _plain(text: str) -> str:
    """Inspect's rich markup ([bold], [blue]) out; its lines joined as one sentence."""
    lines = [" ".join(x.split()) for x in re.sub(r"\[/?[a-z ]+\]", "", text).splitlines()]
    return ": ".join(x.rstrip(":") for x in lines if x)


def setup_error(ex: BaseException, models: list[str]) -> str:
    """The line to print for an exception raised while making the run's models."""
    text = _plain(str(ex)) or type(ex).__name__
    text = re.sub(r"^ERROR:\s*", "", text)
    if "requires optional dependencies" in text:
        for m in models:
            provider = m.split("/", 1)[0]
            if provider in EXTRAS and provider.lower() in text.lower().split(" api")[0]:
                return (f"{m} needs its provider's package: pip install "
                        f"'scheming-evals[{EXTRAS[provider]}]' (or: "
                        f"{text.split('Install with:')[-1].strip()})")
        return text
    return text
