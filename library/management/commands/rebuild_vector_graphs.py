from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from library import vector_store


class Command(BaseCommand):
    help = (
        "Rebuild the pgvector HNSW graphs with FRAMEWISE_HNSW_M and FRAMEWISE_HNSW_EF_CONSTRUCTION, while "
        "searches and writes go on (each new graph is built beside the old one and replaces it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--maintenance-work-mem", default="2GB", help="a graph that fits builds faster")
        parser.add_argument("--workers", type=int, default=2, help="parallel build workers")

    def handle(self, *args: Any, **options: Any) -> None:
        if not vector_store.table_exists():
            self.stdout.write("No pgvector table in this database: nothing to rebuild.")
            return
        took = vector_store.rebuild_hnsw_indexes(
            maintenance_work_mem=options["maintenance_work_mem"], workers=options["workers"]
        )
        for name, seconds in took.items():
            self.stdout.write(f"{name}: {seconds:.1f} s")
