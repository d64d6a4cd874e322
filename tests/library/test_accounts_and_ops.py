"""Keys, teams, health, settings helpers and management commands."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone

from config import env
from core import accounts
from core.models import ApiKey, Team
from library.models import Task, TaskStatus, WorkerHeartbeat
from tests.factories import SYSTEM, IndexFactory, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_an_api_key_is_stored_only_as_a_hash_and_works_until_revoked(api, team_key):
    key, raw = team_key
    assert raw.startswith("fw_") and len(raw) > 40
    assert raw not in {key.key_hash, key.prefix} and key.prefix == raw[:10]
    assert not ApiKey.objects.filter(key_hash=raw).exists()

    assert api.get("/v1.2/indexes").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None

    accounts.api_key_revoke(actor=SYSTEM, key=key)
    response = api.get("/v1.2/indexes")
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_invalid"


@pytest.mark.django_db
def test_requests_without_a_key_get_a_json_401(client):
    response = client.get("/v1.2/indexes")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "api_key_invalid"


@pytest.mark.django_db
def test_health_reports_database_and_worker_liveness(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": {"ok": True}, "worker": {"ok": False, "last_seen": None}}
    assert client.get("/healthz?scope=web").status_code == 200

    from library.tasks import maintenance

    assert maintenance() == {
        "resumed": 0,
        "failed": 0,
        "webhooks_due": 0,
        "uploads_expired": 0,
        "local_copies_removed": 0,
    }
    assert client.get("/healthz").json()["status"] == "ok"

    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503


def test_settings_helpers_reject_bad_values(monkeypatch):
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_INT must be an integer"):
        env.env_int("X_INT", 1)
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL must be a boolean"):
        env.env_bool("X_BOOL", False)
    monkeypatch.setenv("X_CHOICE", "cloud9")
    with pytest.raises(ImproperlyConfigured, match="one of"):
        env.env_choice("X_CHOICE", "local", {"local", "twelvelabs"})
    monkeypatch.setenv("X_INT", "3")
    assert env.env_int("X_INT", 1, minimum=1) == 3


@pytest.mark.django_db
def test_create_team_and_create_api_key_commands(capsys):
    owner = UserFactory(username="olga")
    call_command("create_team", "Newsroom", "--owner", "olga")
    team = Team.objects.get(name="Newsroom")
    assert team.memberships.get(user=owner).role == "owner"

    call_command("create_api_key", "--team", "Newsroom", "--user", "olga")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert accounts.api_key_authenticate(raw_key=raw).team == team


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_import_folder_uploads_concurrently_skips_duplicates_and_writes_statuses(worker, videos, tmp_path, capsys):
    from tests.videos import Scene

    folder = tmp_path / "classify"
    folder.mkdir()
    for name, background in [("cats.mp4", "testsrc2"), ("dogs.mp4", "mandelbrot")]:
        (folder / name).write_bytes(videos(name, [Scene(4.5, background)], size=(640, 360), audio=False).read_bytes())
    (folder / "notes.txt").write_text("not a video")
    index = IndexFactory()
    status_csv = tmp_path / "upload_status.csv"

    # import_folder waits in-process; the inline worker runs the jobs meanwhile.
    call_command("import_folder", index.id, str(folder), "--csv", str(status_csv))

    rows = list(csv.DictReader(status_csv.open()))
    assert sorted((row["Filename"], row["Status"]) for row in rows) == [("cats.mp4", "ready"), ("dogs.mp4", "ready")]
    assert Task.objects.filter(index=index, status=TaskStatus.READY).count() == 2

    capsys.readouterr()
    call_command("import_folder", index.id, str(folder), "--csv", str(status_csv))
    output = capsys.readouterr().out
    assert f"Video 'cats.mp4' already exists in index {index.id}" in output
    assert Task.objects.filter(index=index).count() == 2


@pytest.mark.django_db
def test_a_viewer_cannot_create_indexes_through_the_native_api(client):
    membership = MembershipFactory(role="viewer")
    client.force_login(membership.user)
    response = client.post(
        "/api/v1/indexes/",
        {"name": "x", "engines": [{"engine_name": "marengo2.6", "engine_options": ["visual"]}]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not membership.team.indexes.exists()
