"""The admin as editors use it: scoped to their team, uploads and actions go through services."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from library.models import Index, Task, TaskStatus
from tests.factories import IndexFactory, MembershipFactory


@pytest.fixture
def editor(client):
    membership = MembershipFactory(role="editor")
    client.force_login(membership.user)
    return membership


@pytest.mark.django_db
def test_an_editor_sees_only_their_teams_indexes_and_tasks(client, editor):
    mine = IndexFactory(team=editor.team, name="Our ads")
    theirs = IndexFactory(name="Their secret index")
    Task.objects.create(index=theirs, filename="their-video.mp4")

    page = client.get("/admin/library/index/").content.decode()
    assert "Our ads" in page and "Their secret index" not in page
    assert client.get(f"/admin/library/index/{theirs.pk}/change/").status_code == 404  # as on the APIs
    assert "their-video.mp4" not in client.get("/admin/library/task/").content.decode()
    assert client.get(f"/admin/library/index/{mine.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_an_editor_uploads_a_video_from_the_admin(client, editor, two_shot_video, run_on_commit):
    index = IndexFactory(team=editor.team)
    with run_on_commit(execute=False) as callbacks:
        response = client.post(
            "/admin/library/task/add/",
            {
                "index": index.pk,
                "language": "en",
                "video_file": SimpleUploadedFile("from-admin.mp4", two_shot_video.read_bytes()),
            },
        )
    assert response.status_code == 302
    task = Task.objects.get(index=index)
    assert (task.filename, task.status, task.created_by) == ("from-admin.mp4", TaskStatus.VALIDATING, editor.user)
    assert len(callbacks) == 1  # validation enqueued on commit


@pytest.mark.django_db
def test_an_editor_creates_an_index_with_chosen_options(client, editor):
    response = client.post(
        "/admin/library/index/add/",
        {
            "team": editor.team.pk,
            "name": "Lectures",
            "options": ["conversation", "text_in_video"],
            "generative": "on",
            "addons": '["thumbnail"]',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    index = Index.objects.get(name="Lectures")
    assert index.engines == [
        {"engine_name": "marengo2.6", "engine_options": ["conversation", "text_in_video"]},
        {"engine_name": "pegasus1.1", "engine_options": ["conversation"]},
    ]


@pytest.mark.django_db
def test_retry_failed_action_only_enqueues(client, editor, run_on_commit):
    index = IndexFactory(team=editor.team)
    failed = Task.objects.create(
        index=index,
        filename="x.mp4",
        status=TaskStatus.FAILED,
        error_code="worker_lost",
        source_url="http://example.invalid/x.mp4",
    )
    ready = Task.objects.create(index=index, filename="y.mp4", status=TaskStatus.READY)
    with run_on_commit(execute=False) as callbacks:
        client.post("/admin/library/task/", {"action": "retry_failed", "_selected_action": [failed.pk, ready.pk]})
    failed.refresh_from_db()
    ready.refresh_from_db()
    assert (failed.status, failed.error_code) == (TaskStatus.VALIDATING, "")
    assert ready.status == TaskStatus.READY
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_viewer_cannot_upload(client):
    viewer = MembershipFactory(role="viewer")
    client.force_login(viewer.user)
    assert client.get("/admin/library/task/add/").status_code == 403


@pytest.mark.django_db
def test_a_refused_admin_create_says_why_and_writes_nothing(client, editor, monkeypatch):
    from core.errors import ApplicationError
    from library import services

    def refused(**kwargs):
        raise ApplicationError("The team's index quota is used up.", code="quota_exceeded")

    monkeypatch.setattr(services, "index_create", refused)
    data = {"team": editor.team.pk, "name": "Lectures", "options": ["conversation"], "addons": '["thumbnail"]'}
    response = client.post("/admin/library/index/add/", data, follow=True)
    assert response.status_code == 200  # back on the form, not a server error
    assert "quota is used up" in response.content.decode()
    assert not Index.objects.filter(name="Lectures").exists()
