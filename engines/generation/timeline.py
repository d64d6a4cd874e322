"""Time arithmetic every generator shares: sentences with times, real boundaries, whole seconds.

Chapters and highlights leave the API in whole seconds (the SDK's models declare ints),
and chapter starts must fall on something that really happens in the video: a shot cut
or the start of a sentence. These helpers make both hold for any provider's output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from engines.base import TranscriptLine, Word
from engines.generation.base import VideoContext

# A pause this long between two words ends a sentence even without punctuation
# (speech recognisers often drop the full stop at the end of a breath).
SENTENCE_PAUSE = 1.2
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str


def tidy(text: str) -> str:
    """One line, single spaces, a capital first letter and a final full stop."""
    text = " ".join(text.split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if _SENTENCE_END.search(text) else text + "."


def _from_words(words: Sequence[Word]) -> list[Sentence]:
    sentences: list[Sentence] = []
    current: list[Word] = []
    for index, word in enumerate(words):
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        if following is None or _SENTENCE_END.search(word.text) or following.start - word.end >= SENTENCE_PAUSE:
            text = tidy(" ".join(w.text.strip() for w in current))
            if _LETTERS.search(text):
                sentences.append(Sentence(current[0].start, current[-1].end, text))
            current = []
    return sentences


def _from_text(line: TranscriptLine) -> list[Sentence]:
    # No word times: share the line's time among its sentences by length.
    parts = [part for part in _SENTENCE_SPLIT.split(line.text.strip()) if _LETTERS.search(part)]
    total = sum(len(part) for part in parts) or 1
    sentences: list[Sentence] = []
    cursor = line.start
    for part in parts:
        end = cursor + (line.end - line.start) * len(part) / total
        sentences.append(Sentence(cursor, end, tidy(part)))
        cursor = end
    return sentences


def sentences(transcript: Sequence[TranscriptLine]) -> list[Sentence]:
    """The transcript as sentences in time order, each with the times of its own words."""
    result: list[Sentence] = []
    for line in transcript:
        result.extend(_from_words(line.words) if line.words else _from_text(line))
    return sorted(result, key=lambda sentence: sentence.start)


def readable(value: str) -> bool:
    """On-screen text worth quoting: it has a word in it (not a timecode or a lone number)."""
    return bool(_LETTERS.search(value))


def shot_bounds(video: VideoContext) -> list[tuple[float, float]]:
    """The shots as (start, end), covering the whole video; one shot when none were found."""
    bounds = [(shot.start, shot.end) for shot in video.shots if shot.end > shot.start]
    return bounds or [(0.0, video.duration)]


def boundaries(video: VideoContext) -> list[float]:
    """Times where a chapter may start: 0, every shot cut and every sentence start."""
    times = {0.0}
    times.update(start for start, _ in shot_bounds(video))
    times.update(sentence.start for sentence in sentences(video.transcript))
    return sorted(time for time in times if 0.0 <= time < video.duration)


def snap(time: float, candidates: Sequence[float]) -> float:
    return min(candidates, key=lambda candidate: (abs(candidate - time), candidate))


def last_second(duration: float) -> int:
    """The end of the last chapter: whole seconds, never past the video's end."""
    return max(1, math.floor(duration))


def whole_second_groups(starts: Sequence[float], duration: float) -> list[tuple[int, list[int]]]:
    """Round ascending chapter starts to whole seconds: [(second, indices of the starts it holds)].

    A start that rounds onto the previous one, or too close to the end to leave a
    second, joins the chapter before it. The seconds are strictly increasing from 0,
    so consecutive groups make ordered, non-overlapping chapters.
    """
    end = last_second(duration)
    groups: list[tuple[int, list[int]]] = []
    for index, start in enumerate(starts):
        second = round(start)
        if groups and (second <= groups[-1][0] or second >= end):
            groups[-1][1].append(index)
        else:
            groups.append((0 if not groups else second, [index]))
    return groups


def highlight_seconds(start: float, end: float, duration: float) -> tuple[int, int] | None:
    """A moment widened to whole seconds inside the video; None when nothing is left of it."""
    first = max(0, math.floor(start))
    last = min(last_second(duration), math.ceil(end))
    return (first, last) if last > first else None


def clock(seconds: float) -> str:
    """0:05, 12:40 or 1:02:03."""
    whole = max(0, int(round(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
