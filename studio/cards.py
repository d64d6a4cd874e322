"""The cards of an index page: one per video, plus uploads that have no video (yet).

A card is built from the same data whether the page renders it or the progress
endpoint re-renders it while a task runs, so a polled card is exactly what a reload
would show.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest

from library.media import media_url
from library.models import Index, Segment, Task, TaskStatus, Thumbnail, Video
from library.models.tasks import ACTIVE_STATUSES
from library.selectors import task_progress

# Failed uploads stay visible so an editor learns why; older ones are in the admin.
RECENT_FAILURES = 20
STATUS_FILTERS = {"ready": "Ready", "processing": "Processing", "failed": "Failed"}


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    status: str
    progress: float = 0.0
    stage: str = ""
    remain_seconds: float | None = None
    task_id: str = ""
    video_id: str = ""
    thumbnail_url: str = ""
    duration: float | None = None
    error_message: str = ""
    duplicate_of: str = ""

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def _first_thumbnail() -> Subquery:
    return Subquery(Thumbnail.objects.filter(video=OuterRef("pk")).order_by("time").values("image")[:1])


def _with_card_columns(videos: QuerySet[Video]) -> QuerySet[Video]:
    active_task = Task.objects.filter(video=OuterRef("pk"), status__in=ACTIVE_STATUSES).order_by("-created_at")
    return videos.annotate(thumbnail_name=_first_thumbnail(), active_task_id=Subquery(active_task.values("id")[:1]))


def recent_thumbnails(index: Index, request: HttpRequest, *, limit: int = 4) -> list[str]:
    """URLs of the first thumbnails of the index's newest ready videos: a glimpse of its content."""
    names = (
        index.videos.filter(indexed_at__isnull=False)
        .order_by("-created_at")
        .annotate(thumbnail_name=_first_thumbnail())
        .values_list("thumbnail_name", flat=True)[:limit]
    )
    return [media_url(name, request=request) for name in names if name]


def filter_videos(index: Index, *, status: str = "", text: str = "") -> QuerySet[Video]:
    """The index's videos matching the page's filters, newest first, with card columns."""
    videos = index.videos.order_by("-created_at")
    active = Exists(Task.objects.filter(video=OuterRef("pk"), status__in=ACTIVE_STATUSES))
    if status == "ready":
        videos = videos.filter(indexed_at__isnull=False)
    elif status == "processing":
        videos = videos.filter(active)
    elif status == "failed":
        # A video whose indexing failed for good is deleted; failures are task cards.
        videos = videos.none()
    text = text.strip()
    if text:
        # What was said or shown counts as much as the name: editors remember content.
        said_or_shown = Segment.objects.filter(video=OuterRef("pk")).filter(
            Q(transcript__icontains=text) | Q(on_screen_text__icontains=text)
        )
        videos = videos.filter(Q(filename__icontains=text) | Q(title__icontains=text) | Exists(said_or_shown))
    return _with_card_columns(videos)


def video_cards(videos: list[Video], request: HttpRequest) -> list[Card]:
    """Cards for videos from `filter_videos` (they carry the annotated columns)."""
    # active_task_id is an annotation of `filter_videos` (_with_card_columns).
    active = {video.id: getattr(video, "active_task_id", None) for video in videos}
    tasks = Task.objects.in_bulk([task_id for task_id in active.values() if task_id])
    return [_video_card(video, tasks.get(active[video.id] or ""), request) for video in videos]


def _video_card(video: Video, task: Task | None, request: HttpRequest) -> Card:
    thumbnail_name = getattr(video, "thumbnail_name", None)
    common = Card(
        key=video.id,
        title=video.title or video.filename,
        video_id=video.id,
        thumbnail_url=media_url(thumbnail_name, request=request) if thumbnail_name else "",
        duration=video.duration,
        status=TaskStatus.READY if video.is_ready else TaskStatus.FAILED,
    )
    if task is not None and task.is_active:
        shown = task_progress(task)
        return dataclasses.replace(
            common, status=shown.status, progress=shown.percentage, stage=shown.stage,
            remain_seconds=shown.remain_seconds, task_id=task.id,
        )  # fmt: skip
    return common


def upload_tasks(index: Index, *, status: str = "") -> list[Task]:
    """Uploads without a video of their own: still validating, or failed (newest first)."""
    if status == "ready":
        return []
    validating = list(index.tasks.filter(status=TaskStatus.VALIDATING).order_by("-created_at"))
    if status == "processing":
        return validating
    failed = list(
        index.tasks.filter(status=TaskStatus.FAILED)
        .filter(Q(video__isnull=True) | Q(error_code="video_already_exists"))
        .order_by("-created_at")[:RECENT_FAILURES]
    )
    return failed if status == "failed" else validating + failed


def task_card(task: Task, request: HttpRequest) -> Card:
    """The card of one upload as it stands now: its video's card once it has one."""
    if task.video_id and task.status != TaskStatus.FAILED:
        video = _with_card_columns(Video.objects.filter(id=task.video_id)).first()
        if video is not None:
            return _video_card(video, task, request)
    shown = task_progress(task)
    return Card(
        key=task.id,
        title=task.filename or task.source_url,
        status=shown.status,
        progress=shown.percentage,
        stage=shown.stage,
        remain_seconds=shown.remain_seconds,
        task_id=task.id,
        duration=task.duration,
        error_message=task.error_message,
        duplicate_of=(task.video_id or "") if task.error_code == "video_already_exists" else "",
    )
