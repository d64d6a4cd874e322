"""Which pipeline stages the remote Twelve Labs work stands for."""

from __future__ import annotations

from engines.base import CONVERSATION, VISUAL


def remote_stages(options: frozenset[str]) -> list[str]:
    """The pipeline's stages that the remote indexing and embedding perform for `options`.

    No `ocr`: v1.3 reads no on-screen text or logos, so those options are skipped, not waited on.
    """
    stages = []
    if CONVERSATION in options:
        stages.append("speech")
    if VISUAL in options:
        stages.append("visual")
    return stages
