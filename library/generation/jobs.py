"""Editors' bulk generation: the admin records pending rows, workers claim and fill them.

"Generate title, hashtags and summary" queues one gist and one summary per video.
It does not run inline: with an LLM provider each request can take many seconds, and
an editor may select a whole index. A GeneratedText row is the job: it is created (or
reset) `pending` and its id is enqueued on commit; a worker claims it with a
conditional UPDATE, so a re-delivered job does nothing, and a claim whose worker died
can be taken over once its lease has expired. Transient generator errors (timeouts,
5xx) are retried up to FRAMEWISE_TASK_MAX_ATTEMPTS times; others fail the row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from engines.generation.base import GenerationError
from library.generation.context import video_context
from library.generation.providers import get_generator
from library.generation.results import GenerationRequest, produce
from library.generation.services import gist_request, summarize_request
from library.models import GeneratedText, GenerationStatus, Video
from library.models.generation import request_key
from library.rules import Actor, Command, check_each

logger = logging.getLogger(__name__)


def metadata_requests() -> list[GenerationRequest]:
    """What editors get per video: title, topics and hashtags, and a summary."""
    return [gist_request(types=["title", "topic", "hashtag"]), summarize_request(kind="summary")]


@dataclass(frozen=True)
class QueuedGeneration:
    queued: int  # rows handed to the workers
    stored: int  # requests whose current result was already stored
    skipped: int  # videos not ready, or in an index without a generative engine


def _enqueue(row_id: int) -> None:
    transaction.on_commit(
        lambda: async_task("library.generation.tasks.run_generation", row_id, task_name=f"generate:{row_id}")
    )


def videos_generate_metadata(*, actor: Actor, videos: Iterable[Video]) -> QueuedGeneration:
    """Queue the metadata requests of each video; refused as a whole if any video is not the actor's to generate."""
    chosen = list(videos)
    check_each(actor, Command.GENERATE, [video.index.team_id for video in chosen], what="video")
    user = actor.recorded_user
    provider = get_generator().label
    queued = stored = skipped = 0
    for video in chosen:
        if not video.is_ready or not video.index.has_generative_engine:
            skipped += 1
            continue
        for request in metadata_requests():
            with transaction.atomic():
                row, created = GeneratedText.objects.select_for_update().get_or_create(
                    video=video,
                    kind=request.kind,
                    provider=provider,
                    request_key=request_key(prompt=request.prompt, params=request.params),
                    defaults={"prompt": request.prompt, "params": request.params, "created_by": user},
                )
                row.video = video
                if row.is_current:
                    stored += 1
                    continue
                if not created and row.status != GenerationStatus.RUNNING:
                    # Failed, or stale after a re-index: start over.
                    GeneratedText.objects.filter(id=row.id).update(
                        status=GenerationStatus.PENDING,
                        attempts=0,
                        error_code="",
                        error_message="",
                        updated_at=timezone.now(),
                    )
                # A running row is enqueued again too: if its worker died, the claim's lease lets this one take over.
                _enqueue(row.id)
                queued += 1
    return QueuedGeneration(queued=queued, stored=stored, skipped=skipped)


def _claim(row_id: int) -> GeneratedText | None:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.FRAMEWISE_TASK_LEASE_SECONDS)
    claimed = (
        GeneratedText.objects.filter(id=row_id)
        .filter(Q(status=GenerationStatus.PENDING) | Q(status=GenerationStatus.RUNNING, started_at__lt=stale))
        .update(status=GenerationStatus.RUNNING, started_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if claimed != 1:
        logger.info("generation %s: not claimable (done, or held by another worker)", row_id)
        return None
    return GeneratedText.objects.select_related("video__index").get(id=row_id)


def generation_run(*, generated_text_id: int) -> None:
    """Worker side: claim the row, generate, and write the result (or the error) onto it."""
    row = _claim(generated_text_id)
    if row is None:
        return
    mine = GeneratedText.objects.filter(id=row.id, status=GenerationStatus.RUNNING, started_at=row.started_at)
    generator = get_generator()
    if generator.label != row.provider:
        mine.update(
            status=GenerationStatus.FAILED,
            error_code="generation_provider_changed",
            error_message=f"Queued for {row.provider}, but this worker is configured for {generator.label}.",
            updated_at=timezone.now(),
        )
        return
    request = GenerationRequest(row.kind, row.prompt, row.params)
    try:
        text, data = produce(generator, video_context(row.video), request)
    except GenerationError as error:
        retry = error.transient and row.attempts < settings.FRAMEWISE_TASK_MAX_ATTEMPTS
        with transaction.atomic():
            released = mine.update(
                status=GenerationStatus.PENDING if retry else GenerationStatus.FAILED,
                error_code=error.code,
                error_message=error.message,
                updated_at=timezone.now(),
            )
            if released and retry:
                _enqueue(row.id)
        logger.warning("generation %s: %s (%s)", row.id, error.message, "will retry" if retry else "failed")
        return
    mine.update(
        status=GenerationStatus.READY,
        text=text,
        data=data,
        generation_id=uuid.uuid4(),
        generated_at=timezone.now(),
        error_code="",
        error_message="",
        updated_at=timezone.now(),
    )
