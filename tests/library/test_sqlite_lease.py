"""On SQLite a job's lease stays well above the database's busy timeout, checked at start-up.

A heartbeat is a write: on SQLite it can wait for a long write transaction of another
connection for up to the busy timeout. With the lease no longer than that wait, a live job's
lease ran out while its heartbeat queued, and the maintenance job resumed a job that was
still running. Each case starts the settings in a fresh interpreter, as a server does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.FRAMEWISE_TASK_LEASE_SECONDS, s.DATABASES['default'].get('OPTIONS', {}).get('timeout')]))"
)


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("FRAMEWISE_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="x" * 50,
        FRAMEWISE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("lease", [None, "30", "6", "300"])
def test_the_lease_is_at_least_three_busy_timeouts(tmp_path: Path, lease: str | None) -> None:
    started = _start(tmp_path, **({"FRAMEWISE_TASK_LEASE_SECONDS": lease} if lease else {}))
    assert started.returncode == 0, started.stderr[-2000:]
    lease_seconds, busy_timeout = json.loads(started.stdout.strip().splitlines()[-1])
    assert busy_timeout is not None and busy_timeout > 0
    assert lease_seconds >= 3 * busy_timeout, (lease_seconds, busy_timeout)


def test_a_busy_timeout_too_close_to_the_lease_stops_start_up(tmp_path: Path) -> None:
    started = _start(tmp_path, FRAMEWISE_TASK_LEASE_SECONDS="30", FRAMEWISE_SQLITE_BUSY_TIMEOUT="30")
    assert started.returncode != 0
    assert "FRAMEWISE_TASK_LEASE_SECONDS" in started.stderr and "FRAMEWISE_SQLITE_BUSY_TIMEOUT" in started.stderr


def test_a_chosen_busy_timeout_is_used(tmp_path: Path) -> None:
    started = _start(tmp_path, FRAMEWISE_TASK_LEASE_SECONDS="60", FRAMEWISE_SQLITE_BUSY_TIMEOUT="20")
    assert started.returncode == 0, started.stderr[-2000:]
    assert json.loads(started.stdout.strip().splitlines()[-1]) == [60, 20]
