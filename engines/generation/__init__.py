"""Text generators (gist, summaries, chapters, highlights, open prompts), chosen by settings.

`local` works offline from what indexing stored; `openai` asks any OpenAI-compatible
chat-completions server. Both implement `base.TextGenerator`; neither imports Django.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engines.generation.base import TextGenerator

PROVIDERS = ("local", "openai")


def build_generator(
    name: str, options: dict[str, Any], *, embed: Callable[[Sequence[str]], np.ndarray]
) -> TextGenerator:
    """`embed` maps texts to the engine's MiniLM vectors (the local generator ranks with them)."""
    if name == "local":
        from engines.generation.local import LocalGenerator

        return LocalGenerator(embed)
    if name == "openai":
        from engines.generation.openai import OpenAIConfig, OpenAIGenerator

        return OpenAIGenerator(OpenAIConfig(**options))
    raise ValueError(f"Unknown generation provider {name!r}; choose one of {', '.join(PROVIDERS)}")
