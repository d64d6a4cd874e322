"""The library: the user's indexes, an index's videos with filters, uploads and live progress."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from library.commands import LibraryCommand
from library.models import Task
from library.selectors import task_counts
from studio import access, cards, labels
from studio.views.common import page_login_required, paginate, query_without_page

VIDEOS_PER_PAGE = 24
# One poll may ask about this many uploads; a page never has more running at once.
MAX_POLLED_TASKS = 100


@require_GET
@page_login_required
def library_home(request: HttpRequest) -> HttpResponse:
    teams = access.user_teams(request.user)
    indexes = list(access.visible_indexes(request.user))
    for index in indexes:
        # Attributes for the template only (the model has no such fields).
        index.counts = task_counts(index)  # type: ignore[attr-defined]
        index.option_list = sorted(index.options)  # type: ignore[attr-defined]
        index.previews = cards.recent_thumbnails(index, request)  # type: ignore[attr-defined]
    return render(request, "studio/library.html", {"teams": teams, "indexes": indexes})


@require_GET
@page_login_required
def index_detail(request: HttpRequest, index_id: str) -> HttpResponse:
    index = access.index_for_user(request.user, index_id)
    status = request.GET.get("status", "")
    status = status if status in cards.STATUS_FILTERS else ""
    text = request.GET.get("q", "")[:200]
    videos = cards.filter_videos(index, status=status, text=text)
    label = labels.node_for_teams(request.GET.get("label", ""), [index.team_id])
    if label is not None:
        videos = labels.labeled_with(videos, label)
    page = paginate(request, videos, per_page=VIDEOS_PER_PAGE)
    # Uploads without a video are news, not library content: first page, no text or label filter.
    uploads = cards.upload_tasks(index, status=status) if page.number == 1 and not text and not label else []
    context = {
        "index": index,
        "can_edit": access.may_in_team(request.user, LibraryCommand.TASK_CREATE, index.team),
        "cards": [cards.task_card(task, request) for task in uploads]
        + cards.video_cards(list(page.object_list), request),
        "page": page,
        "page_query": query_without_page(request),
        "status": status,
        "status_choices": cards.STATUS_FILTERS,
        "text": text,
        "label": label,
        "label_choices": labels.label_choices(index),
        "filtered": bool(status or text or label),
    }
    return render(request, "studio/index.html", context)


@require_GET
@page_login_required
def index_progress(request: HttpRequest, index_id: str) -> JsonResponse:
    """The current cards of the uploads a page is watching: `?tasks=<id>,<id>`.

    The page replaces each card with the returned HTML, so a card looks exactly as a
    reload would render it; `active` tells the page whether to keep polling it.
    """
    index = access.index_for_user(request.user, index_id)
    ids = [task_id for task_id in request.GET.get("tasks", "").split(",") if task_id][:MAX_POLLED_TASKS]
    tasks = Task.objects.filter(index=index, id__in=ids)
    items = []
    for task in tasks:
        card = cards.task_card(task, request)
        items.append(
            {
                "task": task.id,
                "status": card.status,
                "progress": round(card.progress, 1),
                "active": card.is_active,
                "html": render_to_string("studio/_card.html", {"card": card}, request=request),
            }
        )
    return JsonResponse({"items": items})
