"""Production hardening: login throttling, one atomic API rate limit, HTTPS settings, check --deploy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import RequestFactory

from core import ratelimit
from core.models import RateCounter
from library.media import media_url
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "9f3Qz!a7Lw0#pR2xV8mN4bT6yH1cJ5dG",
    "ALLOWED_HOSTS": "framewise.example.com",
    "TRUSTED_PROXY_HEADER": "1",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY"} and not k.startswith("SECURE_") and not k.endswith("_COOKIE_SECURE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_check_deploy_with_production_values_has_no_warnings() -> None:
    done = _manage("check", "--deploy", env=PRODUCTION_ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    issues = re.findall(r"\(([a-z_]+\.[WE]\d+)\)", done.stdout + done.stderr)
    # drf-spectacular's schema warnings are the OpenAPI schema's business (issue #12, item 7);
    # every deployment check (security.*, axes.*, ...) must be silent.
    assert [issue for issue in issues if not issue.startswith("drf_spectacular.")] == [], done.stderr
    insecure = _manage("check", "--deploy", env={**PRODUCTION_ENV, "SECURE_HSTS_SECONDS": "0"})
    assert "security.W004" in insecure.stderr  # the check does look at our settings


def test_production_defaults_are_secure_and_debug_relaxes_them() -> None:
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER)"
    )
    production = _manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert production.stdout.split() == [
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    development = _manage("shell", "--no-imports", "-c", code, env={"DEBUG": "1", "FRAMEWISE_VAR_DIR": "var/test"})
    assert development.stdout.split() == ["False", "False", "False", "0", "False", "None"]
    plain_http = _manage("shell", "--no-imports", "-c", code, env={**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "0"})
    assert plain_http.stdout.split()[2] == "False"


def test_media_urls_are_https_behind_a_tls_proxy(settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = RequestFactory().get("/v1.2/indexes", HTTP_X_FORWARDED_PROTO="https", HTTP_HOST="testserver")
    assert media_url("videos/a.mp4", request=request).startswith("https://testserver/media/videos/a.mp4?e=")
    settings.FRAMEWISE_PUBLIC_URL = "https://cdn.example.com"
    assert media_url("videos/a.mp4").startswith("https://cdn.example.com/media/videos/a.mp4?e=")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_logins_are_locked_after_repeated_failures(client: Any, path: str) -> None:
    user = UserFactory(username="carol", is_superuser=True)
    statuses = [client.post(path, {"username": "carol", "password": "wrong"}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the form again four times; the fifth failure locks
    locked = client.post(path, {"username": "carol", "password": "pw-12345-long"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session  # not even the right password gets in now
    # Another address is counted on its own.
    elsewhere = client.post(path, {"username": "carol", "password": "pw-12345-long"}, REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_the_api_rate_limit_answers_429_json(api: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}
    statuses = [api.get("/v1.2/indexes").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = api.get("/v1.2/indexes")
    assert limited.json()["code"] == "too_many_requests" and int(limited["Retry-After"]) <= 60


@pytest.mark.django_db(transaction=True)
def test_the_database_counter_loses_no_increment_under_concurrency(settings: Any) -> None:
    settings.REDIS_URL = ""
    now = 1_000_000.0
    errors: list[BaseException] = []

    def burst() -> None:
        try:
            for _ in range(25):
                ratelimit.hit("api_key:concurrent", window_seconds=60, now=now)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=burst) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert RateCounter.objects.get(key="api_key:concurrent").count == 150
    # The next window starts again at one.
    assert ratelimit.hit("api_key:concurrent", window_seconds=60, now=now + 60) == 1


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI starts Redis)")
def test_the_redis_counter_is_shared_and_expires(settings: Any) -> None:
    key = f"api_key:redis-{os.getpid()}"
    counts = [ratelimit.hit(key, window_seconds=60, now=2_000_000.0) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert ratelimit.hit(key, window_seconds=60, now=2_000_060.0) == 1
