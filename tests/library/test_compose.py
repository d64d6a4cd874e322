"""docker-compose.yml (Docker is not run here): it parses, has the topology the cluster test runs,
and sets only variables the settings read, with values the settings accept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
_SUBSTITUTION = re.compile(r"\$\{(\w+)(?::[-?]([^}]*))?\}")
_READ = re.compile(r"env_(?:str|bool|int|float|choice|list|secret)\(\s*\"([A-Z0-9_]+)\"")


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def _resolved(environment: dict[str, Any]) -> dict[str, str]:
    """${VAR:-default} as compose would resolve it with nothing set (${VAR:?...}: a test value)."""

    def value(match: re.Match[str]) -> str:
        return match.group(2) if match.group(0).count(":-") else f"compose-test-{match.group(1).lower()}"

    return {name: _SUBSTITUTION.sub(value, str(raw)) for name, raw in environment.items()}


def _variables_the_settings_read() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "config").glob("*.py"):
        names |= set(_READ.findall(path.read_text()))
    return names


def test_the_compose_file_runs_two_webs_and_two_workers_on_shared_services_only() -> None:
    services = _compose()["services"]
    shared = {"postgres", "redis", "minio", "bucket", "migrate"}
    assert set(services) == shared | {"web-1", "web-2", "worker-1", "worker-2"}
    assert services["postgres"]["image"] == "pgvector/pgvector:pg17"
    for name in ("web-1", "web-2"):
        assert services[name]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    for name in ("worker-1", "worker-2"):
        assert services[name]["command"] == ["python", "manage.py", "qcluster"]
    for name in ("web-1", "web-2", "worker-1", "worker-2"):
        # No shared media volume: each container's /data (the image's VOLUME) is its own.
        assert "volumes" not in services[name], name
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    environment = _resolved(services["web-1"]["environment"])
    assert environment == _resolved(services["worker-2"]["environment"])
    bucket_command = " ".join(services["bucket"]["command"])
    assert f"local/{environment['AWS_STORAGE_BUCKET_NAME']}" in bucket_command
    assert environment["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_the_compose_environment_names_only_settings_and_the_settings_accept_it() -> None:
    environment = _resolved(_compose()["services"]["web-1"]["environment"])
    unknown = set(environment) - _variables_the_settings_read()
    assert unknown == set(), f"set in docker-compose.yml, read by no setting: {sorted(unknown)}"

    probe = (
        "from django.conf import settings as s; o = s.STORAGES['default']['OPTIONS'];"
        "print(s.STORAGES['default']['BACKEND'], o['bucket_name'], o['endpoint_url'], o['addressing_style'],"
        " s.FRAMEWISE_MEDIA_DELIVERY, s.DATABASES['default']['HOST'], s.Q_CLUSTER['redis'], s.DEBUG)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in environment}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", probe],
        cwd=ROOT, env={**clean, **environment}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "storages.backends.s3.S3Storage", "framewise-media", "http://minio:9000", "path", "stream", "postgres",
        "redis://redis:6379/0", "False",
    ]  # fmt: skip
