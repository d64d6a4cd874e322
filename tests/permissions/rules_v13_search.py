"""The /v1.3 search, embed-v2 and analyze writes of the permission matrix (merged into rules_map.API_RULES).

Search and embed-v2 are reads (they store nothing: page tokens and task ids are signed, not
saved); analyze stores answers and task rows, as /v1.2's generate does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from library.commands import LibraryCommand
from library.models import Asset, AssetMethod, AssetStatus, GeneratedText, GenerationKind, GenerationStatus, Video
from library.models.generation import request_key
from search.commands import SearchCommand
from tests.permissions.world import Content, World

Builder = Callable[[World, Content], tuple[dict[str, Any], dict[str, Any], str]]


def _build(fmt: str, build: Callable[[Content], tuple[dict[str, Any], dict[str, Any]]]) -> Builder:
    def make(world: World, c: Content) -> tuple[dict[str, Any], dict[str, Any], str]:
        kwargs, body = build(c)
        return kwargs, body, fmt

    return make


def _task(c: Content) -> dict[str, Any]:
    """A waiting analyze task of the content's team (the matrix runs no worker)."""
    params = {"analyze": True, "temperature": None, "task": True}
    row = GeneratedText.objects.create(
        video=c.video, kind=GenerationKind.TEXT, provider="local", prompt="What is cooked?", params=params,
        request_key=request_key(prompt="What is cooked?", params=params), status=GenerationStatus.PENDING,
    )  # fmt: skip
    return {"task_id": str(row.pk)}


def _indexed_asset(c: Content) -> str:
    """An asset of the content's team whose indexed video is the content's ready video."""
    asset = Asset.objects.create(team=c.team, method=AssetMethod.DIRECT, status=AssetStatus.READY, filename="a.mp4")
    Video.objects.filter(pk=c.video.pk).update(asset=asset)
    return asset.pk


def rules(rule: Callable[..., Any], object_target: str, own_target: str) -> dict[tuple[str, str], Any]:
    text = {"input_type": "text", "model_name": "marengo3.0", "text": {"input_text": "pasta"}}
    prompt = lambda c: {"video_id": c.video.id, "prompt": "What is cooked?"}  # noqa: E731
    return {
        ("v13-search", "POST"): rule(
            SearchCommand.SEARCH,
            object_target,
            _build(
                "multipart",
                lambda c: ({}, {"index_id": c.index.id, "query_text": "pasta", "search_options": "transcription"}),
            ),  # fmt: skip
            changes=False,
        ),
        # Embedding a text reads nothing of any team's: any member may, in their own team.
        ("v13-embed-v2", "POST"): rule(
            SearchCommand.SEARCH, own_target, _build("json", lambda c: ({}, text)), changes=False
        ),
        ("v13-embed-v2-tasks", "POST"): rule(
            SearchCommand.SEARCH,
            object_target,
            _build(
                "json",
                lambda c: (
                    {},
                    {
                        "input_type": "video",
                        "model_name": "marengo3.0",
                        "video": {"media_source": {"asset_id": _indexed_asset(c)}},
                    },
                ),
            ),  # fmt: skip
            changes=False,
        ),
        ("v13-analyze", "POST"): rule(
            LibraryCommand.GENERATE, object_target, _build("json", lambda c: ({}, prompt(c)))
        ),
        ("v13-analyze-tasks", "POST"): rule(
            LibraryCommand.GENERATE, object_target, _build("json", lambda c: ({}, prompt(c)))
        ),
        ("v13-analyze-task", "DELETE"): rule(
            LibraryCommand.GENERATE, object_target, _build("json", lambda c: (_task(c), {}))
        ),
        ("v13-analyze-task-cancel", "POST"): rule(
            LibraryCommand.GENERATE, object_target, _build("json", lambda c: (_task(c), {}))
        ),
    }
