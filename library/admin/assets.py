"""v1.3 assets in the admin: what was uploaded once, its state, and the indexes it was indexed into.

Assets arrive through the API (direct, URL and multipart uploads); editors see them here,
follow them to the videos they became, and delete them through the same service as the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from core.admin.base import TeamScopedAdmin
from core.rules import Actor
from library import assets as asset_services
from library.commands import LibraryCommand
from library.media import media_url
from library.models import Asset


@admin.register(Asset)
class AssetAdmin(TeamScopedAdmin):
    list_display = ["filename", "team", "status", "method", "size", "duration", "indexed_in", "created_at"]
    list_filter = ["status", "method"]
    search_fields = ["filename", "id"]
    list_select_related = ["team"]
    fields = (
        "id", "team", "filename", "status", "error_message", "method", "source_url", "player", "file_type",
        "size", "duration", "width", "height", "fps", "has_audio", "sha256", "user_metadata", "indexed_in",
        "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = fields
    # Assets are uploaded through /v1.3 only; their metadata is edited there too.
    delete_command = LibraryCommand.ASSET_DELETE

    def has_add_permission(self, request: Any) -> bool:
        return False

    def delete_with_service(self, actor: Actor, obj: Asset) -> None:
        # The editor confirmed on the delete page, which lists the videos that keep the file.
        asset_services.asset_delete(actor=actor, asset=obj, force=True)

    @admin.display(description="Video")
    def player(self, asset: Asset) -> SafeString:
        if not asset.file or asset.status != "ready":
            return format_html("{}", "—")
        return format_html('<video src="{}" controls preload="metadata" style="max-width:480px"></video>',
                           media_url(asset.file.name))  # fmt: skip

    @admin.display(description="Indexed in")
    def indexed_in(self, asset: Asset) -> SafeString:
        videos = list(asset.videos.select_related("index"))
        if not videos:
            return format_html("{}", "—")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:library_video_change", args=[video.pk]), video.index.name) for video in videos),
        )
