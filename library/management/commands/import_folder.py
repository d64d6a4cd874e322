"""Upload every video of a folder into an index, the way the classification tutorial does.

Like the seed: files are uploaded concurrently, a file whose name already has a ready
or running task in the index is skipped, tasks are then watched until they finish,
and their final statuses go to a CSV. The upload goes through the same service as the
API, so validation, duplicate detection and indexing are identical.
"""

from __future__ import annotations

import csv
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from core.errors import ApplicationError
from core.rules import Actor, command_actor
from library import services
from library.models import Index, Task, TaskStatus
from library.models.tasks import ACTIVE_STATUSES, TaskSource
from library.spreadsheet import safe_cells

VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class Command(BaseCommand):
    help = "Upload all videos of FOLDER into INDEX_ID concurrently, wait for them, write a CSV of statuses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("index_id")
        parser.add_argument("folder", type=Path)
        parser.add_argument("--csv", type=Path, default=Path("upload_status.csv"), help="where to write statuses")
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-wait", action="store_true", help="upload and return without waiting")
        parser.add_argument("--timeout", type=float, default=0, help="stop waiting after N seconds (0: no limit)")
        parser.add_argument("--as-user", help="act as this user (their role decides); default: the system")

    def handle(self, *args: Any, **options: Any) -> None:
        index = Index.objects.filter(id=options["index_id"]).first()
        if index is None:
            raise CommandError(f"No index {options['index_id']}.")
        try:
            actor = command_actor(username=options["as_user"], command="import_folder")
        except LookupError as error:
            raise CommandError(str(error)) from None
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        if not files:
            raise CommandError(f"No video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in {folder}.")

        def upload(path: Path) -> tuple[str, Task | None]:
            try:
                return self._upload(actor, index, path)
            except ApplicationError as error:
                return f"Video '{path.name}' was refused: {error.message}", None
            finally:
                connections.close_all()  # each thread has its own connection

        with ThreadPoolExecutor(max_workers=max(1, options["threads"])) as pool:
            results = list(pool.map(upload, files))
        for message, _ in results:
            self.stdout.write(message)
        tasks = [task for _, task in results if task is not None]
        if options["no_wait"] or not tasks:
            return
        finished = self._wait(tasks, timeout=options["timeout"])
        with open(options["csv"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Task ID", "Status", "Filename", "Error"])
            for task in finished:
                writer.writerow(safe_cells([task.id, task.status, task.filename, task.error_message]))
        ready = sum(task.status == TaskStatus.READY for task in finished)
        self.stdout.write(self.style.SUCCESS(f"{ready}/{len(finished)} ready; statuses in {options['csv']}"))

    def _upload(self, actor: Actor, index: Index, path: Path) -> tuple[str, Task | None]:
        # The seed's duplicate check: a task with this filename that is ready or still running.
        existing = Task.objects.filter(index=index, filename=path.name).exclude(status=TaskStatus.FAILED).first()
        if existing is not None:
            if existing.status == TaskStatus.READY:
                return f"Video '{path.name}' already exists in index {index.id}", None
            return f"Video '{path.name}': task {existing.id} is {existing.status}", None
        try:
            with open(path, "rb") as handle:
                task = services.task_create_from_file(
                    actor=actor,
                    index=index,
                    content=File(handle, name=path.name),
                    filename=path.name,
                    source=TaskSource.FOLDER,
                )
        except ApplicationError as error:  # e.g. over FRAMEWISE_MAX_UPLOAD_BYTES: nothing was stored
            return f"Skipped {path.name}: {error.message}", None
        return f"Uploaded {path.name} as task {task.id}", task

    def _wait(self, tasks: list[Task], *, timeout: float) -> list[Task]:
        ids = [task.id for task in tasks]
        started = time.monotonic()
        while True:
            current = list(Task.objects.filter(id__in=ids))
            done = sum(task.status not in ACTIVE_STATUSES for task in current)
            progress = sum(task.progress for task in current) / len(current)
            sys.stderr.write(f"\r{_bar(done, len(current))} {progress:5.1f}%")
            sys.stderr.flush()
            if done == len(current):
                sys.stderr.write("\n")
                return current
            if timeout and time.monotonic() - started > timeout:
                sys.stderr.write("\n")
                self.stderr.write("Stopped waiting; tasks continue in the workers (is `manage.py qcluster` running?).")
                return current
            time.sleep(1.0)
