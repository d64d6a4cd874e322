"""The registry of webhook event types. Apps register theirs when ready (library: tasks, videos and
generation; taxonomy: classification runs), so the webhook machinery in library never names another
app's events."""

from __future__ import annotations

from enum import StrEnum

_EVENT_TYPES: dict[str, str] = {}  # type -> label
# Sent only on request ("send test event"), whatever the subscription: never subscribable.
_UNSUBSCRIBABLE: set[str] = set()


def register_event_types(*types: StrEnum, subscribable: bool = True) -> None:
    for event_type in types:
        _EVENT_TYPES[event_type.value] = event_type.name.replace("_", " ").capitalize()
        if not subscribable:
            _UNSUBSCRIBABLE.add(event_type.value)


def event_type_choices() -> list[tuple[str, str]]:
    """Choices for the event's `type` column (a callable, so registrations after import count)."""
    return sorted(_EVENT_TYPES.items())


def subscribable_event_types() -> list[str]:
    return [name for name in sorted(_EVENT_TYPES) if name not in _UNSUBSCRIBABLE]
