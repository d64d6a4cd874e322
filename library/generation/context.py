"""A video as a generator sees it: its stored transcript, texts, logos, shots, segments and labels."""

from __future__ import annotations

from django.apps import apps

from engines.base import Segment as EngineSegment
from engines.base import Shot, TextSpan, TranscriptLine, Word
from engines.generation.base import Label, VideoContext
from library.models import Video
from library.search.codec import vector_from_bytes

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


def labels(video: Video) -> tuple[Label, ...]:
    """The video's taxonomy labels, editors' decisions first, then by score.

    Classification is an optional app; without it (or before any run) there are none.
    """
    try:
        video_label = apps.get_model("taxonomy", "VideoLabel")
    except LookupError:
        return ()
    rows = list(video_label.objects.visible().filter(video=video).select_related("node"))
    rows.sort(key=lambda row: (not row.is_editor_decided, -(row.score if row.score is not None else 0.0)))
    return tuple(
        Label(row.node.name, 100.0 if row.score is None else float(row.score))
        for row in rows[:MAX_LABELS]
        if row.score is not None or row.is_editor_decided
    )


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
