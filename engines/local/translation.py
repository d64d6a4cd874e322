"""Laying whisper's English translation onto the original transcript's lines.

The translate pass runs over the same speech as the transcription but cuts its own
segments, so its times do not match the original lines one to one. Each original
line gets the English words of the translated segments that overlap it, shared out in
proportion to the overlap: a translated segment spanning two sentences gives each
sentence its own part. The result has exactly the original lines' times, so a search
segment, a subtitle cue or a generated quote finds the English of what was said in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from engines.base import TranscriptLine


def _overlap(a: TranscriptLine, b: TranscriptLine) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def align(original: Sequence[TranscriptLine], english: Sequence[TranscriptLine]) -> tuple[TranscriptLine, ...]:
    """One English line per original line that received any words, with the original's times."""
    if not original:
        return ()
    parts: list[list[str]] = [[] for _ in original]
    for segment in english:
        words = segment.text.split()
        overlaps = [_overlap(segment, line) for line in original]
        if not any(overlaps):  # a segment in a gap between lines: the nearest line takes it
            middle = (segment.start + segment.end) / 2
            nearest = min(range(len(original)), key=lambda i: abs((original[i].start + original[i].end) / 2 - middle))
            parts[nearest].extend(words)
            continue
        total = sum(overlaps)
        taken = 0
        shares = [i for i, value in enumerate(overlaps) if value > 0]
        for rank, i in enumerate(shares):
            upto = len(words) if rank == len(shares) - 1 else round(len(words) * (sum(overlaps[: i + 1]) / total))
            parts[i].extend(words[taken:upto])
            taken = max(taken, upto)
    return tuple(
        TranscriptLine(line.start, line.end, " ".join(words))
        for line, words in zip(original, parts, strict=True)
        if words
    )
