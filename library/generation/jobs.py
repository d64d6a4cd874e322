"""Editors' bulk generation: the admin records pending rows, workers claim and fill them.

"Generate title, hashtags and summary" queues one gist and one summary per video.
It does not run inline: with an LLM provider each request can take many seconds, and
an editor may select a whole index. A GeneratedText row is the job (kind GENERATION of
library/kinds.py): it is created (or reset) `pending` and its id is enqueued on commit;
the lifecycle of core/jobs.py claims it, keeps its lease alive while the generator
runs, retries transient generator errors (timeouts, 5xx) up to
FRAMEWISE_TASK_MAX_ATTEMPTS times, fails others, and the maintenance job resumes a row
whose worker died.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import jobs
from core.rules import Actor, check_each
from library.commands import LibraryCommand
from library.generation.context import video_context
from library.generation.providers import get_generator
from library.generation.results import GenerationRequest, produce
from library.generation.services import gist_request, summarize_request
from library.kinds import GENERATION
from library.models import GeneratedText, GenerationStatus, Video
from library.models.generation import request_key
from library.webhooks import events as webhook_events

logger = logging.getLogger(__name__)


def metadata_requests() -> list[GenerationRequest]:
    """What editors get per video: title, topics and hashtags, and a summary."""
    return [gist_request(types=["title", "topic", "hashtag"]), summarize_request(kind="summary")]


@dataclass(frozen=True)
class QueuedGeneration:
    queued: int  # rows handed to the workers
    stored: int  # requests whose current result was already stored
    skipped: int  # videos not ready, or in an index without a generative engine


def videos_generate_metadata(*, actor: Actor, videos: Iterable[Video]) -> QueuedGeneration:
    """Queue the metadata requests of each video; refused as a whole if any video is not the actor's to generate."""
    chosen = list(videos)
    check_each(actor, LibraryCommand.GENERATE, [video.index.team_id for video in chosen], what="video")
    user = actor.recorded_user
    provider = get_generator().label
    queued = stored = skipped = 0
    for video in chosen:
        if not video.is_ready or not video.index.has_generative_engine:
            skipped += 1
            continue
        for request in metadata_requests():
            _, queued_now = generation_queue(video=video, request=request, provider=provider, user=user)
            queued += queued_now
            stored += not queued_now
    return QueuedGeneration(queued=queued, stored=stored, skipped=skipped)


def generation_queue(
    *, video: Video, request: GenerationRequest, provider: str, user: Any
) -> tuple[GeneratedText, bool]:
    """The row of `request`, handed to the workers unless its current result is stored: (row, queued)."""
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
            return row, False
        if not created and row.status != GenerationStatus.RUNNING:
            # Failed, cancelled, or stale after a re-index: start over.
            GeneratedText.objects.filter(id=row.id).update(
                status=GenerationStatus.PENDING,
                attempts=0,
                error_code="",
                error_message="",
                updated_at=timezone.now(),
            )
            row.status = GenerationStatus.PENDING
        # A running row is enqueued again too: if its worker died, the claim's lease lets this one take over.
        jobs.enqueue(GENERATION, row.id)
        return row, True


def generation_run(*, generated_text_id: int, worker: str | None = None) -> None:
    """Worker side: claim the row, generate, and write the result (or the error) onto it."""
    lease = jobs.claim(GENERATION, generated_text_id, worker=worker)
    if lease is None:
        return
    with lease:
        row = lease.row
        generator = get_generator()
        if generator.label != row.provider:
            lease.fail(
                "generation_provider_changed",
                f"Queued for {row.provider}, but this worker is configured for {generator.label}.",
            )
            return
        text, data = produce(generator, video_context(row.video), GenerationRequest(row.kind, row.prompt, row.params))
        # Conditional on the claim: a row deleted (with its video) or cancelled meanwhile stays so.
        with transaction.atomic():  # the webhook event commits with the status
            lease.complete(
                GenerationStatus.READY,
                text=text,
                data=data,
                generation_id=uuid.uuid4(),
                generated_at=timezone.now(),
                error_code="",
                error_message="",
            )
            webhook_events.generation_finished(row.pk)
