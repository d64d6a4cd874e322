"""Demo data for `make run`: an admin, a team, an API key, an index and a few videos.

Idempotent: run again, it keeps what exists. The API key is stored only as a hash, so
the raw key is kept in var/demo-credentials.txt (a development convenience; never use
this command in production) and printed on every run.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandParser

from core import accounts
from core.models import ApiKey, Role
from core.rules import Actor
from library import services
from library.models import Index, Task
from library.models.tasks import TaskSource

DEMO_ACTOR = Actor.system("manage.py setup_demo")

DEMO_TEAM = "Demo"
DEMO_INDEX = "Demo videos"


def _demo_scenes() -> dict[str, list[Any]]:
    from library.synthetic import OnScreenText as T
    from library.synthetic import Scene as S

    return {
        "pasta-recipe.mp4": [
            S(
                6.0,
                "color=c=beige",
                texts=(T("Cooking Pasta Recipe", color="black", box=False),),
                speech="Today we are cooking pasta with tomato sauce.",
            ),
            S(
                6.0,
                "color=c=darkred",
                texts=(T("Barilla Spaghetti"),),
                speech="Boil the water, add salt, then the spaghetti.",
            ),
        ],
        "sneaker-sale.mp4": [
            S(6.0, "testsrc2", texts=(T("NIKE AIR MAX"),), speech="The new running shoes are here."),
            S(
                6.0,
                "color=c=navy",
                texts=(T("SALE 50% OFF"), T("this weekend only", y=0.6)),
                speech="Everything is half price this weekend only.",
            ),
        ],
        "weather-news.mp4": [
            S(6.0, "mandelbrot", texts=(T("BREAKING NEWS"),), speech="Good evening, here is the news."),
            S(
                6.0,
                "color=c=gray",
                texts=(T("Weather Update: heavy rain"),),
                speech="Heavy rain is expected tonight across the city.",
            ),
        ],
    }


class Command(BaseCommand):
    help = "Create demo user, team, API key and index, and upload generated demo videos."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-videos", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        credentials_file = Path(settings.VAR_DIR) / "demo-credentials.txt"
        saved = (
            dict(line.split("=", 1) for line in credentials_file.read_text().splitlines() if "=" in line)
            if credentials_file.exists()
            else {}
        )

        users = get_user_model().objects
        admin = users.filter(username="admin").first()
        password = saved.get("ADMIN_PASSWORD", "")
        if admin is None:
            password = secrets.token_urlsafe(12)
            admin = users.create_superuser("admin", "admin@example.com", password)
        team = accounts.team_create(actor=DEMO_ACTOR, name=DEMO_TEAM)
        accounts.membership_set(actor=DEMO_ACTOR, team=team, user=admin, role=Role.OWNER)

        raw_key = saved.get("API_KEY", "")
        if not raw_key or not ApiKey.objects.filter(key_hash=ApiKey.hash_key(raw_key), revoked_at=None).exists():
            _, raw_key = accounts.api_key_create(actor=DEMO_ACTOR, team=team, user=admin, name="demo")
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        credentials_file.write_text(f"ADMIN_PASSWORD={password}\nAPI_KEY={raw_key}\n")
        credentials_file.chmod(0o600)

        index = Index.objects.filter(team=team, name=DEMO_INDEX).first() or services.index_create(
            actor=DEMO_ACTOR,
            team=team,
            name=DEMO_INDEX,
            addons=["thumbnail"],
            engines=[
                {"engine_name": "marengo2.6", "engine_options": ["visual", "conversation", "text_in_video", "logo"]},
                {"engine_name": "pegasus1.1", "engine_options": ["visual", "conversation"]},
            ],
        )
        if not options["no_videos"]:
            self._upload_videos(index)
        self._classify(index)

        port = settings.FRAMEWISE_PUBLIC_URL or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Admin:    {port}/admin/  user admin  password {password or '(unchanged)'}")
        self.stdout.write(f"  API key:  {raw_key}   (team {team.name}, index {index.id})")
        self.stdout.write(f"  Try:      curl -H 'x-api-key: {raw_key}' {port}/v1.2/indexes")

    def _classify(self, index: Index) -> None:
        """A small flat taxonomy for the demo, classified once its videos are ready.

        Classification scores ready videos only, so on the first `make run` (videos still
        indexing) the run is left to the editor: "Classify whole library" in the admin,
        or the next `make run`.
        """
        from taxonomy.models import ClassificationRun
        from taxonomy.params import ClassSpec
        from taxonomy.run_services import run_create
        from taxonomy.scoring import Thresholds
        from taxonomy.services import taxonomy_save_classes

        taxonomy = taxonomy_save_classes(
            actor=DEMO_ACTOR,
            team=index.team,
            name="Demo topics",
            classes=[
                ClassSpec("Food & Cooking", ("cooking", "pasta recipe", "food"), ()),
                ClassSpec("Shopping & Sales", ("sale", "discount", "shoes", "shopping"), ()),
                ClassSpec("News & Weather", ("news", "weather forecast", "rain"), ()),
            ],
        )
        ready = index.videos.filter(indexed_at__isnull=False).count()
        if ready and not ClassificationRun.objects.filter(taxonomy=taxonomy, index=index).exists():
            run_create(
                actor=DEMO_ACTOR,
                taxonomy=taxonomy,
                index=index,
                options=["conversation", "text_in_video"],
                thresholds=Thresholds(min_video_score=50, min_clip_score=50, min_duration_ratio=0.3),
            )
            self.stdout.write("  queued a classification of the demo videos against 'Demo topics'")

    def _upload_videos(self, index: Index) -> None:
        if not (shutil.which("ffmpeg") and shutil.which("espeak-ng")):
            self.stdout.write("ffmpeg or espeak-ng is missing: skipping demo videos.")
            return
        from library.synthetic import make_video

        folder = Path(settings.VAR_DIR) / "demo-videos"
        folder.mkdir(parents=True, exist_ok=True)
        for name, scenes in _demo_scenes().items():
            if Task.objects.filter(index=index, filename=name).exists():
                continue
            path = folder / name
            if not path.exists():
                make_video(path, scenes=scenes, size=(960, 540))
            with open(path, "rb") as handle:
                services.task_create_from_file(
                    actor=DEMO_ACTOR,
                    index=index,
                    content=File(handle, name=name),
                    filename=name,
                    source=TaskSource.FOLDER,
                )
            self.stdout.write(f"  queued demo video {name}")
