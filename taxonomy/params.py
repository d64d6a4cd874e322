"""Checking classification requests: classes, options and thresholds, shared by the APIs and the admin.

Bad input raises ApplicationError (400 with a code) naming the parameter, so a client sees
what to fix; nothing here touches the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core import params
from core.errors import ApplicationError
from taxonomy.models import CLASSIFY_OPTIONS, CONVERSATION_OPTIONS
from taxonomy.scoring import Thresholds

MAX_PROMPTS = 100  # per request of /classify, and per class of a taxonomy
MAX_PROMPT_LENGTH = 500
MAX_CLASS_NAME_LENGTH = 300
# A stored flat taxonomy (native create): classes, and prompts over all of them. Every class
# is two writes and every prompt is scored against every segment of every video a run reads.
MAX_TAXONOMY_CLASSES = 1000
MAX_TAXONOMY_PROMPTS = 5000
# A classification run: prompts over the taxonomy's active classes (an IAB import of its
# 20,000-row cap with one prompt each fits), and videos named in one request (below
# SQLite's 32,766 query variables: more was a 500, not a refusal).
MAX_RUN_PROMPTS = 20_000
MAX_RUN_VIDEOS = 10_000


@dataclass(frozen=True)
class ClassSpec:
    """One class to score: its prompts, the options it is scored with, and its parent in a tree."""

    name: str
    prompts: tuple[str, ...]
    options: tuple[str, ...]
    conversation_option: str = "semantic"
    parent: int = -1  # position of the parent class in the same list (parents come first)


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ApplicationError(f"The threshold {name} must be a number between {low:g} and {high:g}.")
    if not low <= value <= high:
        raise ApplicationError(f"The threshold {name} must be between {low:g} and {high:g}; got {value:g}.")
    return float(value)


def parse_thresholds(value: Any) -> Thresholds:
    """`threshold` as the API takes it: absent, a bare number (the minimum video score) or an object."""
    if value is None:
        return Thresholds()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Thresholds(min_video_score=_number(value, "min_video_score", 0, 100))
    if not isinstance(value, dict):
        raise ApplicationError(
            "The threshold parameter must be a number (the minimum video score) or an object with "
            "min_video_score, min_clip_score and min_duration_ratio."
        )
    unknown = sorted(set(value) - {"min_video_score", "min_clip_score", "min_duration_ratio"})
    if unknown:
        raise ApplicationError(f"Unknown threshold field(s): {', '.join(unknown)}.", code="parameter_unknown")
    defaults = Thresholds()
    return Thresholds(
        min_video_score=_number(value.get("min_video_score", defaults.min_video_score), "min_video_score", 0, 100),
        min_clip_score=_number(value.get("min_clip_score", defaults.min_clip_score), "min_clip_score", 0, 100),
        min_duration_ratio=_number(
            value.get("min_duration_ratio", defaults.min_duration_ratio), "min_duration_ratio", 0.01, 1
        ),
    )


def parse_options(value: Any, *, name: str = "options", required: bool = True) -> tuple[str, ...]:
    return params.option_list(
        value, allowed=CLASSIFY_OPTIONS, name=name, required=required, kind="classification option"
    )


def parse_conversation_option(value: Any, *, name: str = "conversation_option") -> str:
    return params.choice(value, name=name, default="semantic", allowed=CONVERSATION_OPTIONS)


def parse_bool(value: Any, name: str) -> bool:
    return params.flag(value, name=name)


def _prompts(value: Any, label: str) -> tuple[str, ...]:
    if value in (None, []):
        raise ApplicationError(f"{label} needs a non-empty prompts list.", code="parameter_not_provided")
    if not isinstance(value, list):
        raise ApplicationError(f"The prompts of {label} must be a list of strings.")
    prompts: list[str] = []
    for prompt in value:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ApplicationError(f"{label} has an empty prompt; every prompt must be a non-empty string.")
        if len(prompt) > MAX_PROMPT_LENGTH:
            raise ApplicationError(f"{label} has a prompt longer than {MAX_PROMPT_LENGTH} characters.")
        prompts.append(prompt.strip())
    return tuple(dict.fromkeys(prompts))


def parse_classes(value: Any, *, options: tuple[str, ...], conversation_option: str) -> list[ClassSpec]:
    """The `classes` list; a class's own options/conversation_option override the request's."""
    if value in (None, []):
        raise ApplicationError("The classes parameter needs at least one class.", code="parameter_not_provided")
    if not isinstance(value, list):
        raise ApplicationError("The classes parameter must be a list of {name, prompts} objects.")
    classes: list[ClassSpec] = []
    names: set[str] = set()
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ApplicationError(f"Class {position} must be an object with a name and prompts.")
        unknown = sorted(set(item) - {"name", "prompts", "options", "conversation_option"})
        if unknown:
            raise ApplicationError(
                f"Unknown field(s) {', '.join(unknown)} in class {position}.", code="parameter_unknown"
            )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApplicationError(f"Class {position} needs a non-empty name.", code="parameter_not_provided")
        name = name.strip()
        if len(name) > MAX_CLASS_NAME_LENGTH:
            raise ApplicationError(f"The class name {name[:40]!r}… is longer than {MAX_CLASS_NAME_LENGTH} characters.")
        if name in names:
            raise ApplicationError(f"The class name {name!r} is used twice; class names must be unique.")
        names.add(name)
        label = f"The class {name!r}"
        own_options = parse_options(item.get("options"), name=f"options of class {name!r}", required=False)
        classes.append(
            ClassSpec(
                name=name,
                prompts=_prompts(item.get("prompts"), label),
                options=own_options or options,
                conversation_option=parse_conversation_option(
                    item.get("conversation_option", conversation_option),
                    name=f"conversation_option of class {name!r}",
                ),
            )
        )
    # Counted as sent: repeating a prompt in two classes still costs the client a prompt.
    total = sum(len(item["prompts"]) for item in value)
    if total > MAX_PROMPTS:
        raise ApplicationError(
            f"The request has {total} prompts; at most {MAX_PROMPTS} prompts (over all classes) are allowed.",
            code="too_many_prompts",
        )
    return classes
