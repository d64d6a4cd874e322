"""The messages a chat model gets: the video as time-coded text, and one task at a time.

The model never sees pixels. It reads the transcript with times, the text and logos
seen on screen, the shot list and any taxonomy labels, and is told to use nothing
else, to say so when nothing there answers the request, and (for structured tasks)
to reply with JSON that the provider checks before trusting it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from engines.generation import timeline
from engines.generation.base import VideoContext

SYSTEM = (
    "You write about one video for the editors of a video library. You know the video only through "
    "the material in the user's message: a time-coded transcript of its speech, the text and logos "
    "seen on screen, its shot list and its labels. State only what that material supports; never "
    "invent names, numbers, places or events. If the material holds nothing relevant to the request, "
    "say so plainly in one sentence. Times are seconds from the start of the video."
)


def _seconds(value: float) -> str:
    return f"{value:.1f}"


def _thinned(lines: Sequence[str], budget: int) -> tuple[list[str], int]:
    """Every k-th line, for the smallest k that fits `budget` characters: the whole timeline stays covered."""
    step = 1
    while sum(len(line) + 1 for line in lines[::step]) > budget and step < len(lines):
        step += 1
    return list(lines[::step]), step


def material(video: VideoContext, *, budget: int) -> str:
    """The video as text, at most about `budget` characters (the transcript is thinned to fit)."""
    parts = [f"Video duration: {_seconds(video.duration)} seconds."]
    shots = timeline.shot_bounds(video)
    parts.append("Shots (start-end): " + ", ".join(f"{_seconds(a)}-{_seconds(b)}" for a, b in shots))
    if video.labels:
        parts.append("Labels: " + ", ".join(label.name for label in video.labels))
    seen = [f"[{_seconds(s.start)}-{_seconds(s.end)}] {s.value}" for s in video.texts if timeline.readable(s.value)]
    if seen:
        parts.append("On-screen text:\n" + "\n".join(seen))
    if video.concepts:
        shown = [f"[{_seconds(s.start)}-{_seconds(s.end)}] {s.value} ({s.confidence:.0%})" for s in video.concepts]
        parts.append(
            "Objects and scenes (an ImageNet classifier's labels with its confidence; it knows no people "
            "or actions):\n" + "\n".join(shown)
        )
    if video.logos:
        parts.append("Logos:\n" + "\n".join(f"[{_seconds(s.start)}-{_seconds(s.end)}] {s.value}" for s in video.logos))
    spoken = [f"[{_seconds(s.start)}-{_seconds(s.end)}] {s.text}" for s in timeline.sentences(video.transcript)]
    room = max(1000, budget - sum(len(part) for part in parts))
    kept, step = _thinned(spoken, room)
    if not spoken:
        parts.append("Transcript: (no speech)")
    elif step == 1:
        parts.append("Transcript:\n" + "\n".join(kept))
    else:
        parts.append(f"Transcript (every {step}th sentence, to fit):\n" + "\n".join(kept))
    return "\n\n".join(parts)


def messages(video: VideoContext, task: str, *, budget: int) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{material(video, budget=budget)}\n\n---\n\n{task}"},
    ]


def _instructions(prompt: str) -> str:
    return f"\n\nThe requester's instructions: {prompt}" if prompt else ""


def gist_task(types: frozenset[str]) -> str:
    wanted = {
        "title": '"title": a short, specific title',
        "topic": '"topics": a list of 1 to 3 topics (a few words each)',
        "hashtag": '"hashtags": a list of up to 6 single-word hashtags, lower case, without "#"',
    }
    fields = ", ".join(wanted[name] for name in ("title", "topic", "hashtag") if name in types)
    return f"Reply with one JSON object and nothing else, with these keys: {fields}."


def summary_task(prompt: str) -> str:
    return "Summarise the video in plain prose." + _instructions(prompt)


# Listing more boundary times than this costs more context than it helps.
MAX_LISTED_BOUNDARIES = 150


def chapters_task(prompt: str, boundaries: Sequence[float]) -> str:
    example = json.dumps({"chapters": [{"start": 0, "title": "...", "summary": "..."}]})
    where = (
        f"one of these times (shot cuts and sentence starts): {', '.join(_seconds(t) for t in boundaries)}"
        if len(boundaries) <= MAX_LISTED_BOUNDARIES
        else "a shot cut or the start of a transcript sentence"
    )
    return (
        f"Split the whole video into chapters in time order. Each chapter starts at {where}; the first "
        "starts at 0. Give each a short title and a one- or two-sentence summary. Reply with JSON only, "
        f"shaped like {example}." + _instructions(prompt)
    )


def highlights_task(prompt: str) -> str:
    example = json.dumps({"highlights": [{"start": 0, "end": 5, "highlight": "...", "summary": "..."}]})
    return (
        "List the most important moments of the video in time order, each with its start and end "
        "(seconds), a one-sentence highlight and a short summary. Reply with JSON only, shaped like "
        f"{example}." + _instructions(prompt)
    )


def answer_task(prompt: str) -> str:
    return f"Request about the video: {prompt}"
