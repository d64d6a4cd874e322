"""A labeled library in the making: one generated video per category, indexed by the real pipeline.

Each category video has two scenes, each with one espeak-ng sentence and one drawn
caption about the category, so the offline options (conversation, text_in_video) carry
the signal. `kitchen-then-garage.mp4` is cooking for 5 s, then cars for 5 s;
`mostly-weather.mp4` opens with 3 s about cooking, then talks about the weather for 9 s:
cooking covers a quarter of it, which the 50 % rule must drop.

Uploads go through POST /v1.2/tasks and the worker; `cached_analysis` (shared with the
search tests) runs the models once per file per session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.library.search_corpus import cached_analysis  # noqa: F401
from tests.library.test_ingest import upload
from tests.videos import OnScreenText, Scene

SIZE = (640, 360)


def _scene(background: str, caption: str, sentence: str, seconds: float = 5.0) -> Scene:
    return Scene(seconds, background, texts=(OnScreenText(caption, y=0.3, size=0.12),), speech=sentence)


CATEGORY_VIDEOS: dict[str, list[Scene]] = {
    "cooking.mp4": [
        _scene("color=c=navy", "PASTA RECIPE", "Today we are cooking pasta with tomato sauce in the kitchen."),
        _scene("color=c=darkred", "EASY DINNER", "Chop the onions and stir the soup on the stove."),
    ],
    "pets.mp4": [
        _scene("color=c=darkgreen", "CUTE PUPPIES", "My dog loves to play fetch with his ball in the park."),
        _scene("mandelbrot", "FUNNY CATS", "The kitten is sleeping next to her cat food bowl."),
    ],
    "cars.mp4": [
        _scene("color=c=maroon", "SPORTS CARS", "This new electric car has a powerful engine."),
        _scene("testsrc", "AUTO REPAIR GARAGE", "We change the tires and check the brakes of the truck."),
    ],
    "fashion.mp4": [
        _scene("color=c=purple", "FASHION WEEK", "These designer dresses and handbags are the latest fashion trends."),
        _scene("color=c=0x303030", "STYLE AND BEAUTY", "She shows her makeup routine and her new shoes."),
    ],
    "travel.mp4": [
        _scene("color=c=teal", "TRAVEL VLOG", "We flew to Paris and explored the beaches of Italy on vacation."),
        _scene("color=c=olive", "HOTEL DEALS", "Book your hotel and pack your suitcase for the trip."),
    ],
    "kitchen-then-garage.mp4": [
        _scene("color=c=brown", "HOMEMADE BREAD", "I am baking fresh bread and cooking dinner for my family."),
        _scene("color=c=darkblue", "BRAKE REPAIR", "The mechanic fixes the car engine and replaces the tires."),
    ],
    "mostly-weather.mp4": [
        _scene("color=c=orange", "PASTA", "Cooking pasta tonight.", seconds=3.0),
        _scene("color=c=gray", "WEATHER", "The weather will be rainy and cold tomorrow morning.", seconds=4.5),
        _scene("color=c=blue", "FORECAST", "Strong winds and heavy rain are expected this weekend.", seconds=4.5),
    ],
}
CATEGORIES = ["cooking", "pets", "cars", "fashion", "travel"]

# The seed-style classes used across these tests: each names its category's words loosely.
CLASSES: list[dict[str, Any]] = [
    {"name": "Cooking", "prompts": ["cooking a meal", "a recipe", "food in the kitchen"]},
    {"name": "Pets", "prompts": ["dogs", "cats", "playing with pets"]},
    {"name": "Cars", "prompts": ["cars", "a car engine", "auto repair", "trucks and tires"]},
    {"name": "Fashion", "prompts": ["fashion", "clothing and accessories", "makeup and beauty"]},
    {"name": "Travel", "prompts": ["travel", "a vacation trip", "hotels and destinations"]},
]


@pytest.fixture
def category_paths(videos: Callable[..., Path]) -> dict[str, Path]:
    return {name: videos(name, scenes, size=SIZE) for name, scenes in CATEGORY_VIDEOS.items()}


@pytest.fixture
def classify_worker(worker: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The inline worker (it runs every job kind, classification runs included)."""
    return worker


@pytest.fixture
def library(
    api: Any,
    index: Any,
    classify_worker: Any,
    cached_analysis: None,  # noqa: F811 - the imported fixture, requested by name
    category_paths: dict[str, Path],
) -> Iterator[dict[str, str]]:
    """file name -> video id of every category video, ready in `index`."""
    from library.models import Task

    task_ids = {name: upload(api, index.id, path) for name, path in category_paths.items()}
    classify_worker.wait_idle(timeout=300)
    yield {name: Task.objects.get(id=task_id).video_id for name, task_id in task_ids.items()}


# A slice of IAB 3.1 (real ids and names) covering the five categories, as a TSV file.
MINI_IAB_ROWS = [
    ("210", "", "Food & Drink"),
    ("216", "210", "Cooking"),
    ("422", "", "Pets"),
    ("424", "422", "Cats"),
    ("425", "422", "Dogs"),
    ("1", "", "Automotive"),
    ("34", "1", "Auto Repair"),
    ("552", "", "Style & Fashion"),
    ("577", "552", "Fashion Trends"),
    ("653", "", "Travel"),
    ("668", "653", "Hotels and Motels"),
]
TIER_1 = {"cooking": "210", "pets": "422", "cars": "1", "fashion": "552", "travel": "653"}


def mini_iab_tsv() -> bytes:
    lines = ["Relational ID System\t\t\tContent Taxonomy v3.1 Tiered Categories\t\t\t\tExtension"]
    lines.append("Unique ID\tParent\tName\tTier 1\tTier 2\tTier 3\tTier 4\t")
    lines += [f"{code}\t{parent}\t{name}\t\t\t\t\t" for code, parent, name in MINI_IAB_ROWS]
    return "\r\n".join(lines).encode() + b"\r\n"


# Seed 000's folder of short "TikTok" videos: each says (and shows) what one of its classes' prompts name.
SEED000_VIDEOS: dict[str, list[Scene]] = {
    "cats.mp4": [
        _scene(
            "color=c=darkgreen", "FUNNY PETS", "My cat and my dog play with their toys, pets do the funniest things.", 8
        )
    ],
    "pasta.mp4": [
        _scene(
            "color=c=navy",
            "PASTA RECIPE",
            "This cooking tutorial shows my favourite pasta recipe, the food is great.",
            8,
        )
    ],
    "makeup.mp4": [
        _scene("color=c=purple", "MAKEUP ROUTINE", "Here is my makeup and skincare routine with cosmetic products.", 8)
    ],
    "sketchbook.mp4": [
        _scene("color=c=teal", "ART CLASS", "The artists show their artwork, sketching and drawing in a sketchbook.", 8)
    ],
}
