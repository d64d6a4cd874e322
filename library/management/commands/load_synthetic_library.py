from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]  # no stubs; one call

from core.rules import Actor
from library import vector_store
from library.models import Index
from library.synthetic_library import SEGMENTS_PER_VIDEO, synthetic_library_load


class Command(BaseCommand):
    help = (
        "Write N synthetic segments (ready videos, vectors for every option of the index, transcripts of a "
        "fixed vocabulary) into an index, through the indexing write path (load tests: bench/search_scale.py)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("index_id")
        parser.add_argument("--segments", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--segments-per-video", type=int, default=SEGMENTS_PER_VIDEO)
        parser.add_argument("--videos-per-batch", type=int, default=10, help="videos per transaction")
        parser.add_argument(
            "--defer-hnsw",
            action="store_true",
            help="drop the pgvector HNSW graphs during the load and build them once after (bulk loads; "
            "searches of every index scan exactly until the build ends, uploads keep working)",
        )
        parser.add_argument("--maintenance-work-mem", default="2GB", help="for the HNSW build (--defer-hnsw)")

    def handle(self, *args: Any, **options: Any) -> None:
        index = Index.objects.filter(id=options["index_id"]).first()
        if index is None:
            raise CommandError(f"No index {options['index_id']!r}.")
        if options["segments"] <= 0 or options["segments_per_video"] <= 0:
            raise CommandError("--segments and --segments-per-video must be positive.")
        if options["defer_hnsw"]:
            vector_store.drop_hnsw_indexes()
        with tqdm(total=options["segments"], unit="seg", disable=options["verbosity"] == 0) as bar:
            videos = synthetic_library_load(
                actor=Actor.system("manage.py load_synthetic_library"),
                index=index,
                segments=options["segments"],
                seed=options["seed"],
                segments_per_video=options["segments_per_video"],
                videos_per_batch=options["videos_per_batch"],
                progress=bar.update,
            )
        self.stdout.write(self.style.SUCCESS(f"{options['segments']} segments over {videos} videos in {index.id}."))
        if options["defer_hnsw"]:
            seconds = vector_store.build_hnsw_indexes(maintenance_work_mem=options["maintenance_work_mem"])
            self.stdout.write(f"HNSW build: {seconds:.1f} s")
