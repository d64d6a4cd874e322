"""The transcription of a video as both APIs serve it: JSON, or an SRT/WebVTT download."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library import subtitles
from library.models import Video


class JsonWhateverTheFormat(DefaultContentNegotiation):
    """Answers JSON whatever `?format=` says: that parameter picks the subtitle format here
    (the view writes SRT/WebVTT itself), and a wrong one is a 400, not DRF's 404."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


def time_window(request: Request) -> tuple[float, float]:
    try:
        start = float(request.query_params.get("start") or 0.0)
        end = float(request.query_params.get("end") or float("inf"))
    except ValueError:
        raise ApplicationError("The start and end parameters must be numbers of seconds.") from None
    if start < 0 or end < start:
        raise ApplicationError("The start parameter must be >= 0 and not after end.")
    return start, end


def _values(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"start": line["start"], "end": line["end"], "value": line["value"]} for line in lines]


def transcription_response(video: Video, request: Request) -> HttpResponse:
    """JSON `{data, language, translated}` or, with `format`, an SRT/WebVTT download (both APIs)."""
    fmt = (request.query_params.get("format") or "json").lower()
    if fmt not in ("json", *subtitles.FORMATS):
        raise ApplicationError("The format parameter must be json, srt or vtt.", code="parameter_invalid")
    try:
        text = subtitles.transcription(video, request.query_params.get("language") or "")
    except ValueError as exc:
        raise ApplicationError(str(exc), code="parameter_invalid") from None
    start, end = time_window(request)
    lines = [line for line in text.lines if line["end"] >= start and line["start"] <= end]
    if fmt == "json":
        return Response({"data": _values(lines), "language": text.language or None,
                         "translated": text.translated})  # fmt: skip
    response = HttpResponse(
        subtitles.render(lines, fmt, language=text.language), content_type=subtitles.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{subtitles.filename(video, text, fmt)}"'
    response["Content-Language"] = text.language or "und"
    return response
