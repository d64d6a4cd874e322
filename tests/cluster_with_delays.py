"""`manage.py qcluster` with test-only pauses, so a test can kill a worker at a known point of a job.

A kill point found by polling depends on the machine's load: on a quiet machine a 30-s video
indexed before the poll saw it working ("never reached the point to kill it: ready"). So the
worker itself stops at the point and says so, and the test kills it there:

* FRAMEWISE_TEST_HOLD_DIR=<folder> turns the holds on. A hold is taken once per folder, by the
  first worker process that reaches it (an exclusive link of a marker file holding the row's
  id); that worker then waits to be killed. The job's next attempt finds the marker and goes on.
* the `index` hold: in an indexing job of the file named FRAMEWISE_TEST_INDEX_HOLD_FILE, right
  after the task's progress (at least 5 %) has been written;
* the `labels` hold: in a classification run, before the second video's labels are written,
  after FRAMEWISE_TEST_LABEL_DELAY seconds spent before the first (so the run's progress write
  of `videos_done=1`, due once a second, has happened).

Nothing else changes: the real cluster, the real worker code. A hold nobody ends lasts
HOLD_SECONDS, then the job goes on (a failed test must not leave a worker behind).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

HOLD_SECONDS = 300.0


def hold_once(folder: Path, name: str, row_id: str) -> bool:
    """Take the hold `name` for `row_id` and wait (True), unless it was taken before (False)."""
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False) as draft:
        draft.write(row_id)
    try:
        os.link(draft.name, folder / name)  # atomic: the marker appears with its content, once
    except FileExistsError:
        return False
    finally:
        os.unlink(draft.name)
    time.sleep(HOLD_SECONDS)  # the test SIGKILLs this process meanwhile
    return True


def _install_holds(folder: Path) -> None:
    from library import pipeline
    from taxonomy import runs

    held_file = os.environ.get("FRAMEWISE_TEST_INDEX_HOLD_FILE", "")
    write_progress = pipeline.ProgressReporter.write

    def write_then_hold(self: pipeline.ProgressReporter, stage: str) -> None:
        write_progress(self, stage)
        task = self.lease.row
        if self.percentage >= 5.0 and (not held_file or task.filename == held_file):
            hold_once(folder, "index", str(task.pk))

    pipeline.ProgressReporter.write = write_then_hold  # type: ignore[method-assign]  # a test's stand-in

    delay = float(os.environ.get("FRAMEWISE_TEST_LABEL_DELAY") or 0)
    write_labels = runs.write_video_labels
    written: dict[str, int] = {}

    def write_labels_then_hold(**kwargs: Any) -> int:
        run_id = str(kwargs["run"].pk)
        written[run_id] = written.get(run_id, 0) + 1
        if written[run_id] == 1:
            time.sleep(delay)
        else:
            hold_once(folder, "labels", run_id)
        return write_labels(**kwargs)

    runs.write_video_labels = write_labels_then_hold  # type: ignore[assignment]  # a test's stand-in


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    folder = os.environ.get("FRAMEWISE_TEST_HOLD_DIR")
    if folder:
        _install_holds(Path(folder))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", "qcluster"])


if __name__ == "__main__":
    main()
