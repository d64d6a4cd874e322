"""`manage.py qcluster` with test-only slowness, so a test can kill a worker in the middle of a job.

FRAMEWISE_TEST_LABEL_DELAY=<seconds> makes a classification run wait that long before it
writes each video's labels (a real run over a small library is over before a test could
kill it). Nothing else changes: the real cluster, the real worker code.
"""

from __future__ import annotations

import os
import time
from typing import Any


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    delay = float(os.environ.get("FRAMEWISE_TEST_LABEL_DELAY") or 0)
    if delay:
        from taxonomy import runs

        write = runs.write_video_labels

        def slow_write(**kwargs: Any) -> int:
            time.sleep(delay)
            return write(**kwargs)

        runs.write_video_labels = slow_write  # type: ignore[assignment]  # a test's stand-in
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", "qcluster"])


if __name__ == "__main__":
    main()
