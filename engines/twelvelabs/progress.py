"""Which pipeline stages the remote Twelve Labs task stands for."""

from __future__ import annotations

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL


def remote_stages(options: frozenset[str]) -> list[str]:
    """The pipeline's stages that the remote indexing task performs for `options`."""
    stages = []
    if CONVERSATION in options:
        stages.append("speech")
    if options & {TEXT_IN_VIDEO, LOGO}:
        stages.append("ocr")
    if VISUAL in options:
        stages.append("visual")
    return stages
