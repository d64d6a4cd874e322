"""Commands on indexes, tasks and videos: what the API, the admin and the CLI call.

Every command that starts work records a Task row and hands its id to the workers
with `transaction.on_commit`, so a worker never looks for a row that is not
committed yet and a rolled-back request enqueues nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F

from core import jobs
from core.errors import ApplicationError, Conflict
from core.models import Team
from core.rules import Actor, check, check_each
from engines.base import ENGINE_OPTIONS
from library import intake_policy, storage
from library.commands import LibraryCommand
from library.kinds import INDEXING, VALIDATION
from library.metadata import MAX_KEYS, clean_metadata
from library.models import Asset, Index, Task, TaskStatus, Video
from library.models.indexes import ADDONS, EMBEDDING_ENGINES, ENGINE_NAMES, V12_ENGINE_NAMES
from library.models.tasks import ACTIVE_STATUSES, TaskSource, task_upload_path
from library.webhooks import events as webhook_events

# --- Indexes ----------------------------------------------------------------------------


def _clean_engines(engines: Any) -> list[dict[str, Any]]:
    if not isinstance(engines, list) or not engines:
        raise ApplicationError("The engines parameter must be a non-empty list of {engine_name, engine_options}.")
    cleaned: list[dict[str, Any]] = []
    for engine in engines:
        if not isinstance(engine, dict):
            raise ApplicationError("Each engine must be an object with engine_name and engine_options.")
        name = engine.get("engine_name")
        options = engine.get("engine_options")
        if name not in ENGINE_NAMES:
            raise ApplicationError(
                f"The engine_name {name!r} is not supported; use one of {', '.join(V12_ENGINE_NAMES)}.",
                code="engine_not_supported" if name else "parameter_not_provided",
            )
        if not isinstance(options, list) or not options:
            raise ApplicationError(f"The engine {name} needs a non-empty engine_options list.")
        unknown = [option for option in options if option not in ENGINE_OPTIONS]
        if unknown:
            raise ApplicationError(
                f"Unknown engine option(s) {', '.join(map(str, unknown))}; use {', '.join(ENGINE_OPTIONS)}."
            )
        if name not in EMBEDDING_ENGINES and not set(options) <= {"visual", "conversation"}:
            raise ApplicationError(f"The generative engine {name} supports only the visual and conversation options.")
        cleaned.append({"engine_name": name, "engine_options": list(dict.fromkeys(options))})
    if len({engine["engine_name"] for engine in cleaned}) != len(cleaned):
        raise ApplicationError("Each engine may appear only once.")
    return cleaned


def _clean_addons(addons: Any) -> list[str]:
    if addons is None:
        return []
    if not isinstance(addons, list) or any(addon not in ADDONS for addon in addons):
        raise ApplicationError(f"The addons parameter must be a list of: {', '.join(ADDONS)}.")
    return list(dict.fromkeys(addons))


def _clean_index_name(name: Any) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        raise ApplicationError("The index_name parameter is required.", code="parameter_not_provided")
    if not isinstance(name, str):
        raise ApplicationError("The index_name parameter must be a string.")
    if len(name) > 200:
        raise ApplicationError("The index_name parameter must be at most 200 characters.")
    return name.strip()


def index_create(*, actor: Actor, team: Team, name: Any, engines: Any, addons: Any = None) -> Index:
    check(actor, LibraryCommand.INDEX_CREATE, team, what="team")
    index = Index(
        team=team, name=_clean_index_name(name), engines=_clean_engines(engines), addons=_clean_addons(addons)
    )
    try:
        with transaction.atomic():
            index.save()
    except IntegrityError:
        raise Conflict(
            f"An index named {index.name!r} already exists in your team.", code="index_name_already_exists"
        ) from None
    return index


def index_rename(*, actor: Actor, index: Index, name: Any) -> Index:
    check(actor, LibraryCommand.INDEX_RENAME, index.team_id, what="index")
    index.name = _clean_index_name(name)
    try:
        with transaction.atomic():
            index.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise Conflict(
            f"An index named {index.name!r} already exists in your team.", code="index_name_already_exists"
        ) from None
    return index


def index_delete(*, actor: Actor, index: Index) -> None:
    """Delete the index, its videos, tasks and files (removed once the deletion is committed)."""
    check(actor, LibraryCommand.INDEX_DELETE, index.team_id, what="index")
    names = _media_names(videos=index.videos.all(), tasks=index.tasks.all())
    with transaction.atomic():
        index.delete()
        transaction.on_commit(lambda: _delete_files(names))


# --- Tasks --------------------------------------------------------------------------------


def enqueue_validation(task: Task) -> None:
    jobs.enqueue(VALIDATION, task.id)


def enqueue_indexing(task: Task) -> None:
    jobs.enqueue(INDEXING, task.id)


def task_create_from_file(
    *,
    actor: Actor,
    index: Index,
    content: File,
    filename: str,
    language: str = "",
    source: str = TaskSource.UPLOAD,
    user_metadata: dict[str, Any] | None = None,
) -> Task:
    """Store the received bytes, record a validating task and enqueue its validation."""
    check(actor, LibraryCommand.TASK_CREATE, index.team_id, what="index")
    intake_policy.check_size(content.size)
    user = actor.recorded_user
    filename = intake_policy.filename(filename or getattr(content, "name", "") or "video")
    language = intake_policy.language(language)
    task = Task(
        index=index,
        source=source,
        filename=filename,
        language=language,
        user_metadata=clean_metadata(user_metadata or {}),
        created_by=user,
    )
    task.sha256 = storage.sha256_of(content)
    task.size = content.size
    stored = storage.save(task_upload_path(task, filename), content)
    try:
        with transaction.atomic():
            task.upload.name = stored
            task.save()
    except Exception:
        storage.delete_quietly(stored)  # the row was not written: the file belongs to nobody
        raise
    # After the row is written, never a reason to remove its file: a broker failure is logged
    # and the maintenance job hands the waiting row over later (core/jobs.py hand_over).
    enqueue_validation(task)
    return task


def task_create_from_url(
    *, actor: Actor, index: Index, url: str, language: str = "", user_metadata: dict[str, Any] | None = None
) -> Task:
    """Record a task whose worker will download `url`; an unreachable URL fails the task, not the call."""
    check(actor, LibraryCommand.TASK_CREATE, index.team_id, what="index")
    user = actor.recorded_user
    language = intake_policy.language(language)
    url = intake_policy.source_url(url)
    filename = intake_policy.filename_from_url(url)
    with transaction.atomic():
        task = Task.objects.create(
            index=index,
            source=TaskSource.URL,
            source_url=url,
            filename=filename,
            language=language or "",
            user_metadata=clean_metadata(user_metadata or {}),
            created_by=user,
        )
        enqueue_validation(task)
    return task


def task_retry(*, actor: Actor, task: Task) -> Task:
    """Start a failed task again from validation (its upload was kept for this)."""
    check(actor, LibraryCommand.TASK_RETRY, task.index.team_id, what="task")
    if task.status != TaskStatus.FAILED:
        raise ApplicationError(f"Only failed tasks can be retried; this one is {task.status}.", code="task_not_failed")
    if not task.upload and not task.source_url:
        raise ApplicationError("The task has no stored upload or URL left to retry from.", code="task_not_retryable")
    with transaction.atomic():
        task.status = TaskStatus.VALIDATING
        task.error_code = task.error_message = task.claimed_by = task.stage = ""
        task.progress = 0.0
        task.attempts = 0
        task.finished_at = task.heartbeat_at = None
        if task.video_id and not Video.objects.filter(id=task.video_id, file=task.upload.name).exists():
            task.video = None  # a duplicate pointed at another task's video: never ours to touch
        task.save()
        enqueue_validation(task)
    return task


def task_delete(*, actor: Actor, task: Task) -> None:
    check(actor, LibraryCommand.TASK_DELETE, task.index.team_id, what="task")
    if task.status in ACTIVE_STATUSES:
        raise ApplicationError(
            f"The task is still {task.status}; wait until it is ready or failed before deleting it.",
            code="task_cannot_be_deleted",
        )
    upload = task.upload.name
    with transaction.atomic():
        task.delete()
        if upload and not Video.objects.filter(file=upload).exists():
            transaction.on_commit(lambda: storage.delete_quietly(upload))


# --- Videos -------------------------------------------------------------------------------


def video_update(
    *, actor: Actor, video: Video, title: str | None = None, metadata: dict[str, Any] | None = None
) -> Video:
    check(actor, LibraryCommand.VIDEO_UPDATE, video.index.team_id, what="video")
    if title is not None:
        if not isinstance(title, str) or len(title) > 500:
            raise ApplicationError("The video_title parameter must be a string of at most 500 characters.")
        video.title = title
    if metadata is not None:
        merged = {**video.user_metadata, **clean_metadata(metadata)}
        # clean_metadata caps one request; the merge must not grow past the same cap over many.
        if len(merged) > MAX_KEYS:
            raise ApplicationError(
                f"A video holds at most {MAX_KEYS} metadata keys; with this update it would hold {len(merged)}.",
                code="metadata_too_large",
            )
        video.user_metadata = merged
    video.save(update_fields=["title", "user_metadata", "updated_at"])
    return video


def video_delete(*, actor: Actor, video: Video) -> None:
    """Delete the video and its files; its index's content version moves, so cached search matrices go stale."""
    check(actor, LibraryCommand.VIDEO_DELETE, video.index.team_id, what="video")
    names = _media_names(videos=[video], tasks=video.tasks.all())
    with transaction.atomic():
        # A worker indexing it loses its claim and stops without writing (core/jobs.py).
        for kind in (VALIDATION, INDEXING):
            jobs.cancel(kind, video.tasks.all(), code="video_deleted", message="The video was deleted.")
        webhook_events.video_deleted(video)
        video.delete()
        Index.objects.filter(id=video.index_id).update(content_version=F("content_version") + 1)
        transaction.on_commit(lambda: _delete_files(names))


def video_reindex(*, actor: Actor, video: Video) -> Task:
    """Index a ready video again (e.g. after a model change); its segments are replaced atomically."""
    check(actor, LibraryCommand.VIDEO_REINDEX, video.index.team_id, what="video")
    user = actor.recorded_user
    if video.tasks.filter(status__in=ACTIVE_STATUSES).exists():
        raise ApplicationError("The video is already being indexed.", code="task_in_progress")
    with transaction.atomic():
        task = Task.objects.create(
            index=video.index,
            video=video,
            source=TaskSource.UPLOAD,
            filename=video.filename,
            sha256=video.sha256,
            size=video.size,
            duration=video.duration,
            width=video.width,
            height=video.height,
            status=TaskStatus.QUEUED,
            created_by=user,
        )
        task.upload.name = video.file.name
        task.save(update_fields=["upload"])
        enqueue_indexing(task)
    return task


def videos_reindex(*, actor: Actor, videos: Iterable[Video]) -> list[Task]:
    """Re-index each video; refused as a whole (nothing queued) if any of them is not the actor's to re-index."""
    chosen = list(videos)
    check_each(actor, LibraryCommand.VIDEO_REINDEX, [video.index.team_id for video in chosen], what="video")
    tasks = []
    for video in chosen:
        try:
            tasks.append(video_reindex(actor=actor, video=video))
        except ApplicationError:
            continue  # already being indexed: nothing to add
    return tasks


def _media_names(*, videos: Iterable[Video], tasks: Iterable[Task]) -> list[str]:
    names: list[str] = []
    for video in videos:
        names.append(video.file.name or "")
        names.extend(video.thumbnails.values_list("image", flat=True))
    names.extend(task.upload.name or "" for task in tasks if task.upload)
    return [name for name in dict.fromkeys(names) if name]


def _delete_files(names: list[str]) -> None:
    delete_unreferenced_files(names)


def delete_unreferenced_files(names: Iterable[str]) -> None:
    """After a delete commits: remove the files no video or asset still points at.

    A v1.3 asset and the videos it was indexed as share one stored file; it goes with the last of them.
    """
    wanted = [name for name in dict.fromkeys(names) if name]
    used = set(Video.objects.filter(file__in=wanted).values_list("file", flat=True))
    used |= set(Asset.objects.filter(file__in=wanted).values_list("file", flat=True))
    for name in wanted:
        if name not in used:
            storage.delete_quietly(name)
