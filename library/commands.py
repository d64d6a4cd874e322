"""The library's commands in the rule table (core/rules.py), registered when the app is ready."""

from __future__ import annotations

from enum import StrEnum

from core.rules import Tier, register_commands


class LibraryCommand(StrEnum):
    INDEX_CREATE = "index.create"
    INDEX_RENAME = "index.rename"
    INDEX_DELETE = "index.delete"
    TASK_CREATE = "task.create"
    TASK_RETRY = "task.retry"
    TASK_DELETE = "task.delete"
    VIDEO_UPDATE = "video.update"
    VIDEO_DELETE = "video.delete"
    VIDEO_REINDEX = "video.reindex"
    GENERATE = "generate"
    ASSET_CREATE = "asset.create"  # v1.3 direct, URL and multipart uploads
    ASSET_UPDATE = "asset.update"  # an asset's user metadata
    ASSET_DELETE = "asset.delete"
    ASSET_INDEX = "asset.index"  # index an asset into an index (an indexed asset)
    WEBHOOK_MANAGE = "webhook.manage"


def register() -> None:
    register_commands(
        Tier.CONTENT,
        *(command for command in LibraryCommand if command != LibraryCommand.WEBHOOK_MANAGE),
    )
    register_commands(Tier.TEAM_ADMINISTRATION, LibraryCommand.WEBHOOK_MANAGE)
