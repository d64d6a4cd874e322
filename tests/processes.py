"""Stopping the real processes a test started (workers, web servers, moto)."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def stop(*processes: subprocess.Popen[Any], timeout: float = 30) -> None:
    """SIGTERM to all at once (django-q2 and gunicorn shut down cleanly), SIGKILL whoever outlives `timeout`."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
