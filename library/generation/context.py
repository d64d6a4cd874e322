"""A video as a generator sees it: its stored transcript, texts, logos, shots, segments and labels."""

from __future__ import annotations

from collections.abc import Callable

from engines.base import Segment as EngineSegment
from engines.base import Shot, TextSpan, TranscriptLine, Word
from engines.generation.base import Label, VideoContext
from library.models import Video
from library.vector_codec import vector_from_bytes

# Labels beyond these add nothing to titles or topics.
MAX_LABELS = 10


def _spans(rows: list[dict[str, object]]) -> tuple[TextSpan, ...]:
    return tuple(
        TextSpan(float(row["start"]), float(row["end"]), str(row["value"]))  # type: ignore[arg-type]
        for row in rows
        if row.get("value")
    )


def _concepts(rows: list[dict[str, object]]) -> tuple[TextSpan, ...]:
    return tuple(
        TextSpan(float(row["start"]), float(row["end"]), str(row["value"]), None, float(row.get("confidence", 1.0)))  # type: ignore[arg-type]
        for row in rows
        if row.get("value")
    )


# Where labels come from: classification registers its source when its app is ready
# (taxonomy/apps.py), so the library reads labels without knowing who writes them.
LabelSource = Callable[[Video, int], tuple[Label, ...]]
_label_sources: list[LabelSource] = []


def register_label_source(source: LabelSource) -> None:
    if source not in _label_sources:
        _label_sources.append(source)


def labels(video: Video) -> tuple[Label, ...]:
    """The video's labels, as each registered source orders them; none without a source."""
    found: list[Label] = []
    for source in _label_sources:
        found.extend(source(video, MAX_LABELS - len(found)))
    return tuple(found[:MAX_LABELS])


def video_context(video: Video) -> VideoContext:
    """What generators read. Speech in another language is read in its English translation:
    titles, summaries and answers are written in English, from what was said."""
    transcript = tuple(
        TranscriptLine(
            float(line["start"]),
            float(line["end"]),
            str(line.get("value", "")),
            tuple(Word(float(start), float(end), str(text)) for start, end, text in line.get("words") or ()),
        )
        for line in (video.translation or video.transcript)
    )
    segments = tuple(
        EngineSegment(
            start=segment.start,
            end=segment.end,
            transcript=segment.translation or segment.transcript,
            on_screen_text=segment.on_screen_text,
            logos=segment.logos,
            conversation_vector=vector_from_bytes(segment.conversation_vector),
            text_vector=vector_from_bytes(segment.text_vector),
        )
        for segment in video.segments.defer("visual_vector").order_by("position")
    )
    indexed = video.indexed_at.isoformat() if video.indexed_at else "unindexed"
    return VideoContext(
        key=f"{video.id}@{indexed}",
        duration=video.duration,
        transcript=transcript,
        texts=_spans(video.texts),
        logos=_spans(video.logos),
        shots=tuple(
            Shot(float(s["start"]), float(s["end"]), float(s.get("keyframe", s["start"]))) for s in video.shots
        ),
        segments=segments,
        labels=labels(video),
        concepts=_concepts(video.concepts),
    )
