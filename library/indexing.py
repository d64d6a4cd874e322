"""Writing an engine's analysis into the database, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.jobs import Lease, LostClaim
from engines.base import Segment as EngineSegment
from engines.base import TextSpan, TranscriptLine, VideoAnalysis
from library import storage
from library.models import Index, Segment, Task, TaskStatus, Thumbnail, Video
from library.vector_codec import vector_to_bytes
from library.webhooks import events as webhook_events


def _transcript_json(lines: tuple[TranscriptLine, ...]) -> list[dict[str, object]]:
    return [
        {
            "start": round(line.start, 3),
            "end": round(line.end, 3),
            "value": line.text,
            "words": [[round(w.start, 3), round(w.end, 3), w.text] for w in line.words],
        }
        for line in lines
    ]


def _spans_json(spans: tuple[TextSpan, ...]) -> list[dict[str, object]]:
    return [
        {
            "start": round(span.start, 3),
            "end": round(span.end, 3),
            "value": span.value,
            "box": list(span.box) if span.box else None,
            "confidence": round(span.confidence, 3),
        }
        for span in spans
    ]


def _concepts_json(spans: tuple[TextSpan, ...]) -> list[dict[str, object]]:
    return [
        {"start": round(s.start, 3), "end": round(s.end, 3), "value": s.value, "confidence": round(s.confidence, 3)}
        for s in spans
    ]


def _segment_row(video: Video, position: int, segment: EngineSegment) -> Segment:
    return Segment(
        video=video,
        index_id=video.index_id,
        position=position,
        start=round(segment.start, 3),
        end=round(segment.end, 3),
        transcript=segment.transcript,
        translation=segment.translation,
        on_screen_text=segment.on_screen_text,
        logos=segment.logos,
        conversation_vector=vector_to_bytes(segment.conversation_vector),
        text_vector=vector_to_bytes(segment.text_vector),
        visual_vector=vector_to_bytes(segment.visual_vector),
    )


def store_analysis(*, lease: Lease[Task], video: Video, analysis: VideoAnalysis, engine_name: str) -> None:
    """Replace the video's extraction, thumbnails and segments, and mark the task ready."""
    images = [(thumbnail.time, thumbnail.jpeg) for thumbnail in analysis.thumbnails]

    def fill(video: Video) -> None:
        video.shots = [asdict(shot) for shot in analysis.shots]
        video.transcript = _transcript_json(analysis.transcript)
        video.language = analysis.language
        video.translation = [
            {"start": round(line.start, 3), "end": round(line.end, 3), "value": line.text}
            for line in analysis.translation
        ]
        video.texts = _spans_json(analysis.texts)
        video.logos = _spans_json(analysis.logos)
        video.concepts = _concepts_json(analysis.concepts)
        video.skipped = dict(analysis.skipped)
        video.engine_name = engine_name
        video.engine_versions = dict(analysis.versions)

    segments = (_segment_row(video, position, segment) for position, segment in enumerate(analysis.segments))
    _replace_results(lease=lease, video=video, images=images, segments=segments, fill=fill)


def _replace_results(
    *,
    lease: Lease[Task],
    video: Video,
    images: list[tuple[float, bytes]],
    segments: Iterable[Segment],
    fill: Callable[[Video], None],
    **task_fields: Any,
) -> None:
    """Write an analysis (fresh or copied) as the video's, all or nothing, and mark the task ready.

    Thumbnail files are written first (storage is not transactional); the rows that
    point at them, and the removal of the previous ones, commit together. If the
    transaction fails the new files are removed and the old video stays intact. Nothing
    is written unless the task is still ours and its video still exists: a video deleted
    while it was being indexed stays deleted (no ghost row is re-created).
    """
    task = lease.row
    new_files: list[str] = []
    for time, jpeg in images:
        name = f"thumbnails/{video.index_id}/{video.id}/{int(time * 1000):09d}-{task.id}.jpg"
        new_files.append(storage.save(name, ContentFile(jpeg)))
    old_files = list(video.thumbnails.values_list("image", flat=True))
    try:
        with transaction.atomic():
            lease.lock()
            if not Video.objects.select_for_update().filter(id=video.id).exists():
                raise LostClaim(task.id)
            video.thumbnails.all().delete()
            Thumbnail.objects.bulk_create(
                Thumbnail(video=video, time=time, image=name) for (time, _), name in zip(images, new_files, strict=True)
            )
            video.segments.all().delete()
            Segment.objects.bulk_create(segments, batch_size=500)
            fill(video)
            video.indexed_at = timezone.now()
            video.save(force_update=True)  # an UPDATE only: never re-insert a deleted video
            lease.complete(TaskStatus.READY, progress=100.0, stage="", error_code="", error_message="", **task_fields)
            webhook_events.task_finished(lease.row.pk)
            Index.objects.filter(id=video.index_id).update(content_version=F("content_version") + 1)
            transaction.on_commit(lambda: _delete_files(old_files))
    except BaseException:
        for name in new_files:
            storage.delete_quietly(name)
        raise


def _delete_files(names: list[str]) -> None:
    for name in names:
        storage.delete_quietly(name)


# What each engine option contributes, by segment column and by video field: an analysis copied
# into an index with fewer options keeps only what that index would have produced.
_SEGMENT_COLUMNS = {
    "conversation": ("conversation_vector", "transcript", "translation"),
    "text_in_video": ("text_vector", "on_screen_text"),
    "logo": ("logos",),
    "visual": ("visual_vector",),
}
_VIDEO_FIELDS = {
    "conversation": ("transcript", "translation", "language"),
    "text_in_video": ("texts",),
    "logo": ("logos",),
    "visual": ("concepts",),
}


def reusable_analysis(video: Video, options: frozenset[str], *, engine_name: str, thumbnails: bool) -> Video | None:
    """A ready video of the same asset, analysed by this engine with every option `options` asks for.

    An asset is analysed once: indexing it into a second index copies that analysis
    instead of running the engine again (v1.3 indexed assets).
    """
    if video.asset_id is None:
        return None
    candidates = (
        Video.objects.filter(asset_id=video.asset_id, indexed_at__isnull=False, engine_name=engine_name)
        .exclude(id=video.id)
        .select_related("index")
        .order_by("indexed_at")
    )
    for candidate in candidates:
        if not options <= candidate.index.options:
            continue
        if thumbnails and not candidate.thumbnails.exists():
            continue
        return candidate
    return None


def copy_analysis(*, lease: Lease[Task], video: Video, source: Video, options: frozenset[str]) -> None:
    """Store `source`'s analysis as `video`'s (for `options` only) and mark the task ready, like store_analysis."""
    dropped = [column for option, columns in _SEGMENT_COLUMNS.items() if option not in options for column in columns]
    segments = []
    for segment in source.segments.all():
        segment.pk = None
        segment.video_id = video.id
        segment.index_id = video.index_id
        for column in dropped:
            setattr(segment, column, None if column.endswith("_vector") else "")
        segments.append(segment)
    images = []
    if video.index.wants_thumbnails:
        for thumbnail in source.thumbnails.all():
            with storage.default_storage.open(thumbnail.image.name or "", "rb") as image:
                images.append((thumbnail.time, image.read()))

    def fill(video: Video) -> None:
        for field in ("shots", "engine_name", "engine_versions"):
            setattr(video, field, getattr(source, field))
        for option, fields in _VIDEO_FIELDS.items():
            for field in fields:
                kept = option in options
                setattr(video, field, getattr(source, field) if kept else ("" if field == "language" else []))
        video.skipped = {option: why for option, why in source.skipped.items() if option in options}

    # No indexing_started_at: the copy took no engine time, so it says nothing about indexing speed.
    _replace_results(lease=lease, video=video, images=images, segments=segments, fill=fill, indexing_started_at=None)
