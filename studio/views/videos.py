"""A video's page: the player and everything indexing found in it, each moment one click away."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError, Forbidden, NotFound
from core.ratelimit import rate_limited
from core.rules import actor_for_request
from library import subtitles
from library.commands import LibraryCommand
from library.generation.services import generation_generate
from library.media import media_url
from library.models import GenerationKind, Video
from library.models.tasks import ACTIVE_STATUSES
from library.selectors import task_progress
from search.public import ThumbnailFinder
from studio import access
from studio.generated import BUTTON_LABELS, generated_for, page_request
from studio.labels import top_labels
from studio.views.common import page_login_required
from taxonomy.selectors import labels_of_video


def shot_strip(video: Video, thumbnails: ThumbnailFinder) -> list[dict[str, Any]]:
    """Each shot with the stored thumbnail closest to its keyframe (thumbnails are taken at cuts)."""
    return [
        {
            "number": number,
            "start": float(shot["start"]),
            "end": float(shot["end"]),
            "thumbnail_url": thumbnails.url(video.id, float(shot.get("keyframe", shot["start"]))),
        }
        for number, shot in enumerate(video.shots, start=1)
    ]


def transcript_with_english(video: Video) -> list[dict[str, Any]]:
    """Each transcript line with its English translation (for speech in another language)."""
    english = {(line["start"], line["end"]): line["value"] for line in video.translation or ()}
    return [{**line, "english": english.get((line["start"], line["end"]), "")} for line in video.transcript]


@require_GET
@page_login_required
def video_detail(request: HttpRequest, video_id: str) -> HttpResponse:
    video = access.video_for_user(request.user, video_id)
    thumbnails = ThumbnailFinder([video.id], request=request)
    active_task = video.tasks.filter(status__in=ACTIVE_STATUSES).order_by("-created_at").first()
    context: dict[str, Any] = {
        "video": video,
        "index": video.index,
        "video_url": media_url(video.file.name, request=request),
        "poster_url": thumbnails.url(video.id, 0.0),
        "shots": shot_strip(video, thumbnails),
        "active_task": task_progress(active_task) if active_task else None,
        "labels": top_labels(labels_of_video(video), limit=None),
        "generated": generated_for(video),
        "generate_buttons": BUTTON_LABELS,
        "can_edit": access.may_in_team(request.user, LibraryCommand.GENERATE, video.index.team),
        "visual_model": (video.engine_versions or {}).get("visual") if "visual" not in video.skipped else None,
        "transcript_lines": transcript_with_english(video),
    }
    return render(request, "studio/video.html", context)


@require_GET
@page_login_required
def video_captions(request: HttpRequest, video_id: str) -> HttpResponse:
    """The transcript (`?language=en`: its English translation) as WebVTT captions for the player."""
    return _subtitles(request, video_id, "vtt", download=False)


@require_GET
@page_login_required
def video_subtitles(request: HttpRequest, video_id: str, fmt: str) -> HttpResponse:
    """The page's subtitle download: SRT or WebVTT, spoken language or English translation."""
    return _subtitles(request, video_id, fmt, download=True)


def _subtitles(request: HttpRequest, video_id: str, fmt: str, *, download: bool) -> HttpResponse:
    video = access.video_for_user(request.user, video_id)
    if fmt not in subtitles.FORMATS:
        raise Http404("No such subtitle format.")
    try:
        text = subtitles.transcription(video, request.GET.get("language", ""))
    except ValueError as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(
        subtitles.render(text.lines, fmt, language=text.language), content_type=subtitles.CONTENT_TYPES[fmt]
    )
    if download:
        response["Content-Disposition"] = f'attachment; filename="{subtitles.filename(video, text, fmt)}"'
    return response


@require_POST
@page_login_required
@rate_limited  # generation is the costliest call there is: the API's limit holds here too
def video_generate(request: HttpRequest, video_id: str) -> HttpResponseRedirect:
    """Generate (or regenerate) one kind of text for the video, then show the page again."""
    video = access.video_for_user(request.user, video_id)
    actor = actor_for_request(request)
    kind = request.POST.get("kind", "")
    generation = page_request(kind)
    if generation is None:
        messages.error(request, "Choose what to generate: title and hashtags, summary, chapters or highlights.")
    else:
        try:
            generation_generate(
                actor=actor, video=video, request=generation, regenerate=request.POST.get("regenerate") == "1"
            )
        except (Forbidden, NotFound):
            raise  # 403 / 404 pages, not a message
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Generated the {BUTTON_LABELS[GenerationKind(kind)]}.")
    return HttpResponseRedirect(reverse("studio:video", args=[video.id]) + "#generated-heading")
