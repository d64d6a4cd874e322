"""Subtitles (SRT, WebVTT) from a stored transcript or its English translation.

A recogniser line can run for many seconds and several sentences, too much for one
cue; cues are cut at sentence ends, and where a sentence is still too long, at the
word that would pass `MAX_CHARS` or `MAX_SECONDS`. With word timestamps (the
transcript) a cue starts at its first word and ends at its last; a translation has
none, so its line's time is shared out in proportion to the characters of each cue.
The files are written by `srt` and `webvtt-py` rather than by hand.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import srt
import webvtt

from library.intake_policy import filename as clean_filename

MAX_CHARS = 84  # two lines of 42, the usual broadcast limit
LINE_CHARS = 42
MAX_SECONDS = 7.0
SENTENCE_ENDS = (".", "?", "!", "…", "。", "？", "！")
FORMATS = ("srt", "vtt")
CONTENT_TYPES = {"srt": "application/x-subrip; charset=utf-8", "vtt": "text/vtt; charset=utf-8"}


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _timed_words(line: dict[str, Any]) -> list[tuple[float, float, str]]:
    words = [(float(start), float(end), str(text)) for start, end, text in line.get("words") or ()]
    if words:
        return words
    # No word times (a translation): spread the line's time over its words by length.
    tokens = str(line.get("value", "")).split()
    start, end = float(line["start"]), float(line["end"])
    total = sum(len(token) + 1 for token in tokens) or 1
    timed, t = [], start
    for token in tokens:
        step = (end - start) * (len(token) + 1) / total
        timed.append((t, t + step, token))
        t += step
    return timed


def cues(lines: Sequence[dict[str, Any]]) -> list[Cue]:
    """Cues of at most MAX_CHARS characters and MAX_SECONDS seconds, cut at sentence ends first."""
    result: list[Cue] = []
    for line in lines:
        run: list[tuple[float, float, str]] = []
        for word in _timed_words(line):
            if run:
                text = " ".join(w[2] for w in (*run, word))
                if len(text) > MAX_CHARS or word[1] - run[0][0] > MAX_SECONDS:
                    result.append(_cue(run))
                    run = []
            run.append(word)
            if word[2].endswith(SENTENCE_ENDS):
                result.append(_cue(run))
                run = []
        if run:
            result.append(_cue(run))
    return result


def _cue(run: list[tuple[float, float, str]]) -> Cue:
    text = "\n".join(textwrap.wrap(" ".join(w[2] for w in run), LINE_CHARS))
    return Cue(round(run[0][0], 3), round(max(run[-1][1], run[0][0] + 0.1), 3), text)


def to_srt(items: Sequence[Cue]) -> str:
    return srt.compose(
        [
            srt.Subtitle(number, dt.timedelta(seconds=cue.start), dt.timedelta(seconds=cue.end), cue.text)
            for number, cue in enumerate(items, start=1)
        ]
    )


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def to_vtt(items: Sequence[Cue], *, language: str = "") -> str:
    document = webvtt.WebVTT(header_comments=[f"Language: {language}"] if language else None)
    for cue in items:
        document.captions.append(webvtt.Caption(_vtt_time(cue.start), _vtt_time(cue.end), cue.text))
    return document.content


def render(lines: Sequence[dict[str, Any]], fmt: str, *, language: str = "") -> str:
    """The subtitle file of `lines` in `fmt` ("srt" or "vtt")."""
    items = cues(lines)
    return to_srt(items) if fmt == "srt" else to_vtt(items, language=language)


@dataclass(frozen=True)
class Transcription:
    lines: list[dict[str, Any]]
    language: str  # of `lines`
    translated: bool  # `lines` are a machine translation, not what was said


def transcription(video: Any, requested: str = "") -> Transcription:
    """The video's transcript in the spoken language, or with `requested="en"` its English translation.

    ValueError when the video has no text in `requested`.
    """
    spoken = video.language or ""
    code = (requested or "").strip().lower()
    if not code or code == spoken or (code == "en" and not video.translation and spoken in ("", "en")):
        return Transcription(list(video.transcript), spoken, False)
    if code == "en" and video.translation:
        return Transcription(list(video.translation), "en", True)
    offered = " or ".join(dict.fromkeys(filter(None, (spoken, "en" if video.translation else ""))))
    raise ValueError(f"This video's speech is available in {offered or 'its spoken language'} only, not {requested!r}.")


def filename(video: Any, text: Transcription, fmt: str) -> str:
    # Cleaned again here: rows stored before names were cleaned may hold a newline (a 500).
    stem = clean_filename(video.filename or video.id).rsplit(".", 1)[0]
    stem = stem.replace('"', "").replace("\\", "") or video.id
    return f"{stem}.{text.language or 'und'}.{fmt}"
