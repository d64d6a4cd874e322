"""Shared pieces of the v1.3 surface: the base view, form fields the SDK sends, paging.

Everything else is the v1.2 surface's (library/api/compat/common.py): `{code, message}`
errors through the one exception handler, routes answering with and without a trailing
slash, team-scoped lookups, RFC 3339 times, pages past the end answered with `data: []`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from rest_framework.request import Request

from core.errors import ApplicationError, NotFound
from library.api.compat.common import MAX_PAGE, CompatView, int_param, iso, sort_and_page
from library.models import Asset, MultipartUpload, Video

__all__ = ["V13View", "form_bool", "form_json", "form_text", "iso", "page_of", "sort_and_page"]


class V13View(CompatView):
    """Base of the /v1.3 views: the compat base (JSON, key or session, team scope) plus v1.3 objects."""

    def get_asset(self, asset_id: str) -> Asset:
        asset = Asset.objects.visible_to(self.teams()).filter(id=asset_id).first()
        if asset is None:
            raise NotFound(f"The asset {asset_id} does not exist.")
        return asset

    def get_upload(self, upload_id: str) -> MultipartUpload:
        upload = MultipartUpload.objects.visible_to(self.teams()).select_related("asset").filter(id=upload_id).first()
        if upload is None:
            raise NotFound(f"The upload {upload_id} does not exist.")
        return upload

    def get_indexed_asset(self, index_id: str, indexed_asset_id: str) -> Video:
        video = (
            Video.objects.visible_to(self.teams())
            .select_related("index", "asset")
            .filter(id=indexed_asset_id, index_id=index_id)
            .first()
        )
        if video is None:
            raise NotFound(f"The indexed asset {indexed_asset_id} does not exist in index {index_id}.")
        return video


def form_text(request: Request, name: str, *, limit: int = 4096) -> str:
    """A form field as text: the SDK sends some fields as file parts (httpx `files=`), others as fields."""
    value: Any = request.data.get(name) if hasattr(request.data, "get") else None
    if value is None:
        value = request.FILES.get(name)
    if isinstance(value, UploadedFile):
        return value.read(limit + 1).decode("utf-8", "replace").strip()[: limit + 1]
    if value is None:
        return ""
    if not isinstance(value, str):
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    return value.strip()


def form_json(request: Request, name: str) -> Any:
    """A JSON object given as a form field (the SDK sends `user_metadata` as a JSON string); None when absent."""
    raw: Any = request.data.get(name) if hasattr(request.data, "get") else None
    if isinstance(raw, dict):
        return raw
    text = form_text(request, name, limit=256 * 1024)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise ApplicationError(f"The {name} parameter must be a JSON object.") from None
    if not isinstance(value, dict):
        raise ApplicationError(f"The {name} parameter must be a JSON object.")
    return value


def form_bool(value: Any, *, name: str, default: bool = False) -> bool:
    """`true`/`false` as query strings and form fields spell them (the SDK sends Python's `True`, too)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ApplicationError(f"The {name} parameter must be true or false.")


def page_of(request: Request, rows: QuerySet[Any] | list[Any], *, default_limit: int = 10, max_limit: int = 50) -> Any:
    """(the page's rows, page_info) of already ordered `rows`; a page past the end is empty, not an error."""
    params = request.query_params
    page = int_param(params, "page", 1, minimum=1, maximum=MAX_PAGE)
    limit = int_param(params, "page_limit", default_limit, minimum=1, maximum=max_limit)
    total = rows.count() if isinstance(rows, QuerySet) else len(rows)
    shown = list(rows[(page - 1) * limit : page * limit])
    page_info = {
        "limit_per_page": limit,
        "page": page,
        "total_page": max(1, -(-total // limit)),
        "total_results": total,
    }
    return shown, page_info
