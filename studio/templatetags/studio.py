"""Formatting for the pages: timecodes, percentages and bar widths."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def timecode(seconds: float | int | None) -> str:
    """12.4 -> "0:12", 3725 -> "1:02:05": how players show a position."""
    if seconds is None:
        return ""
    total = int(max(0.0, float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def seconds_attr(seconds: float | int | None) -> str:
    """A time for a data- attribute: plain decimal, never localised (the JS parses it)."""
    return "" if seconds is None else f"{float(seconds):.3f}"


@register.filter
def bar_width(value: float | int | None, scale: float = 1.0) -> str:
    """A CSS width in percent for a value on [0, scale], clamped so a bar never overflows."""
    if value is None:
        return "0%"
    percent = max(0.0, min(100.0, float(value) * 100.0 / float(scale)))
    return f"{percent:.2f}%"


_STATUS_LABELS = {
    "validating": "Checking",
    "pending": "Waiting",
    "queued": "Queued",
    "indexing": "Indexing",
    "ready": "Ready",
    "failed": "Failed",
}
# The pipeline's stage names (library/pipeline.py expected_stages), as an editor reads them.
_STAGE_LABELS = {
    "decode": "Decoding",
    "embed": "Embedding",
    "speech": "Transcribing speech",
    "ocr": "Reading on-screen text",
    "visual": "Looking at the pictures",
}


@register.filter
def status_label(status: str) -> str:
    return _STATUS_LABELS.get(status, status.capitalize())


@register.filter
def stage_label(stage: str) -> str:
    return _STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())


@register.filter
def percent(ratio: float | None) -> str:
    """0.8176 -> "81.76%"."""
    return "" if ratio is None else f"{float(ratio) * 100:.2f}%"
