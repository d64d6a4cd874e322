"""Run the web server and the worker cluster together, as one foreground process.

For `make run` and small single-machine installs. Either child dying stops the other
and exits non-zero, so a supervisor (or the person at the terminal) sees it; Ctrl-C
stops both cleanly. Larger deployments run gunicorn and `manage.py qcluster` as
separate services instead (see README).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start gunicorn (web) and qcluster (workers); stop both when either stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('PORT', '8000')}")
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=8, help="threads per web worker (uploads block one)")

    def handle(self, *args: Any, **options: Any) -> None:
        python = sys.executable
        web = [
            python,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["web_workers"]),
            "--threads",
            str(options["threads"]),
            "--worker-class",
            "gthread",
            # Uploads of large videos take a while; the default 30 s would kill them.
            "--timeout",
            "600",
            "--access-logfile",
            "-",
        ]
        workers = [python, "manage.py", "qcluster"]
        children = [subprocess.Popen(web), subprocess.Popen(workers)]
        self.stdout.write(self.style.SUCCESS(f"Framewise is running on http://{options['bind']}/ (Ctrl-C stops)"))

        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    command = list(child.args) if isinstance(child.args, list | tuple) else [child.args]
                    name = command[2] if len(command) > 2 else command
                    self.stderr.write(f"{name!s} exited with {child.returncode}; stopping.")
                    exit_code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if exit_code:
            sys.exit(exit_code)
