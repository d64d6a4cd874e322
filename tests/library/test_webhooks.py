"""Signed webhooks: a loopback receiver verifies Twelve Labs signatures, sees retries, never misses an event."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.utils import timezone
from rest_framework.test import APIClient

from core import jobs
from core.models import Role
from library import services
from library.models import WebhookDelivery, WebhookEndpoint
from library.webhooks import services as webhooks
from library.webhooks.delivery import DELIVERY, deliveries_due
from tests.factories import SYSTEM, ApiKeyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def twelve_labs_verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """As a Twelve Labs receiver does: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    parts = [item.split("=", 1) for item in header.split(",")]
    timestamp = next(value for key, value in parts if key == "t")
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.{body.decode()}".encode(), hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in parts if key == "v1")


class Receiver:
    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any], str, bytes]] = []
        self.fail_next = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the base class's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((time.time(), json.loads(body), self.headers["TL-Signature"], body))
                status = 500 if receiver.fail_next > 0 else 200
                receiver.fail_next -= 1
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"nope" if status == 500 else b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self) -> list[str]:
        return [payload["type"] for _, payload, _, _ in self.received]


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]  # the loopback receiver
    found = Receiver()
    yield found
    found.server.shutdown()


def _upload(index: Any, path: Path) -> Any:
    with open(path, "rb") as handle:
        return services.task_create_from_file(
            actor=SYSTEM, index=index, content=File(handle, name=path.name), filename=path.name
        )


def _endpoint(index: Any, receiver: Receiver) -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(
        actor=SYSTEM, team=index.team, url=receiver.url, events=["index.task.ready", "index.task.failed"]
    )


def test_ready_and_failed_uploads_arrive_signed_the_twelve_labs_way(
    index: Any, receiver: Receiver, worker: Any, short_clips: dict[str, Path], tmp_path: Path
) -> None:
    endpoint = _endpoint(index, receiver)
    task = _upload(index, next(iter(short_clips.values())))
    worker.wait_idle()
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video at all" * 40)
    failed = _upload(index, bad)
    worker.wait_idle()

    assert receiver.types() == ["index.task.ready", "index.task.failed"]
    for _, payload, header, body in receiver.received:
        assert twelve_labs_verify(endpoint.secret, header, body)
        assert not twelve_labs_verify("whsec_wrong", header, body)
        assert payload["id"].startswith("whe_") and payload["created_at"]
    ready, fail = (payload["data"] for _, payload, _, _ in receiver.received)
    assert ready["id"] == task.id and ready["status"] == "ready" and ready["tags"] == []
    assert ready["metadata"]["duration"] > 0
    assert ready["engines"] == [
        {"name": engine["engine_name"], "options": engine["engine_options"]} for engine in index.engines
    ]
    assert fail["id"] == failed.id and fail["status"] == "failed"
    assert WebhookDelivery.objects.filter(status="delivered").count() == 2
    task.refresh_from_db()
    latency = receiver.received[0][0] - task.finished_at.timestamp()
    assert 0 < latency < 10
    print(f"ready -> receipt: {latency * 1000:.1f} ms")


def test_a_500_is_retried_with_backoff_and_each_attempt_is_recorded(
    index: Any, receiver: Receiver, worker: Any, short_clips: dict[str, Path]
) -> None:
    _endpoint(index, receiver)
    receiver.fail_next = 2
    _upload(index, next(iter(short_clips.values())))
    worker.wait_idle()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "scheduled" and delivery.tries == 1
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)  # 30 s backoff
    assert deliveries_due() == 0  # not due yet
    for _ in range(2):
        assert deliveries_due(now=timezone.now() + timedelta(days=1)) == 1
        worker.wait_idle()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == ("delivered", 3)
    attempts = list(delivery.attempt_rows.values_list("status_code", "response_snippet"))
    assert [code for code, _ in attempts] == [500, 500, 200]
    ids = {payload["id"] for _, payload, _, _ in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # the same event id each time


def test_killed_before_the_send_still_delivers_the_event_after_recovery(
    index: Any,
    receiver: Receiver,
    worker: Any,
    short_clips: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    _endpoint(index, receiver)
    lost: list[Any] = []
    real_enqueue = jobs.enqueue

    def drop_deliveries(kind: Any, row_id: Any) -> None:  # the process dies after the commit, before the broker
        if kind is DELIVERY:
            lost.append(row_id)
            return
        real_enqueue(kind, row_id)

    monkeypatch.setattr("core.jobs.enqueue", drop_deliveries)
    monkeypatch.setattr("library.webhooks.events.jobs.enqueue", drop_deliveries)
    _upload(index, next(iter(short_clips.values())))
    worker.wait_idle()
    assert lost and receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"  # committed with the task's ready status

    monkeypatch.setattr("core.jobs.enqueue", real_enqueue)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.FRAMEWISE_TASK_REQUEUE_SECONDS + 1)
    )
    assert jobs.recover_stale(kinds=[DELIVERY])["resumed"] == 1
    worker.wait_idle()
    assert [payload["id"] for _, payload, _, _ in receiver.received] == [delivery.event_id]


def test_rotation_signs_with_both_secrets_and_failing_endpoints_get_disabled(
    index: Any, receiver: Receiver, worker: Any, settings: Any
) -> None:
    endpoint = _endpoint(index, receiver)
    old = endpoint.secret
    new = webhooks.webhook_secret_rotate(actor=SYSTEM, endpoint=endpoint)
    webhooks.webhook_test_send(actor=SYSTEM, endpoint=endpoint)
    worker.wait_idle()
    _, payload, header, body = receiver.received[0]
    assert payload["type"] == "webhook.test" and header.count("v1=") == 2
    assert twelve_labs_verify(old, header, body) and twelve_labs_verify(new, header, body)

    settings.FRAMEWISE_WEBHOOK_DISABLE_AFTER = 2
    webhooks.webhook_endpoint_update(actor=SYSTEM, endpoint=endpoint, url="http://127.0.0.1:9/closed")
    for _ in range(2):  # a refused connection is retried; skip ahead through the schedule
        webhooks.webhook_test_send(actor=SYSTEM, endpoint=endpoint)
        worker.wait_idle()
        while deliveries_due(now=timezone.now() + timedelta(days=2)):
            worker.wait_idle()
    endpoint.refresh_from_db()
    assert not endpoint.active and "2 consecutive failed deliveries" in endpoint.disabled_reason


def _client(team: Any, role: str) -> APIClient:
    key, raw = ApiKeyFactory.create_with_raw(team=team, role=role)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    return client


def test_permission_matrix_owners_manage_others_403_other_teams_404(
    index: Any, other_api: APIClient, receiver: Receiver
) -> None:
    owner, editor, viewer = (_client(index.team, role) for role in (Role.OWNER, Role.EDITOR, Role.VIEWER))
    created = owner.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["index.task.ready"]}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    pk = created.json()["id"]
    base = f"/api/v1/webhooks/{pk}/"
    routes = [
        ("get", "/api/v1/webhooks/", None), ("get", base, None), ("patch", base, {"active": False}),
        ("get", f"{base}deliveries/", None), ("post", f"{base}test/", None), ("post", f"{base}rotate-secret/", None),
        ("delete", base, None),
    ]  # fmt: skip
    for method, url, body in routes:
        for client in (editor, viewer):
            assert getattr(client, method)(url, body, format="json").status_code == 403, (method, url)
        if url != "/api/v1/webhooks/":
            assert getattr(other_api, method)(url, body, format="json").status_code == 404, (method, url)
    assert "secret" not in owner.get(base).json()
    assert owner.get("/api/v1/webhooks/").json()["results"][0]["id"] == pk
    assert (
        other_api.post(
            "/api/v1/webhooks/", {"url": "http://127.0.0.1/x", "events": ["index.task.ready"]}, format="json"
        ).status_code
        == 403
    )  # its key is an editor's
    assert (
        owner.post(
            "/api/v1/webhooks/", {"url": "http://10.0.0.1/x", "events": ["index.task.ready"]}, format="json"
        ).json()["code"]
        == "url_not_allowed"
    )
    assert owner.delete(base).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_admin_owners_send_a_test_event_and_editors_do_not_see_webhooks(
    index: Any, receiver: Receiver, worker: Any, client: Any
) -> None:
    from tests.factories import MembershipFactory

    endpoint = _endpoint(index, receiver)
    owner = MembershipFactory(team=index.team, role=Role.OWNER).user
    editor = MembershipFactory(team=index.team, role=Role.EDITOR).user
    for user in (owner, editor):
        user.is_staff = True
        user.save()
    client.force_login(editor)
    assert client.get("/admin/library/webhookendpoint/").status_code == 403
    client.force_login(owner)
    page = client.get(f"/admin/library/webhookendpoint/{endpoint.pk}/change/")
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
    answer = client.post(
        "/admin/library/webhookendpoint/", {"action": "send_test_event", "_selected_action": [endpoint.pk]}
    )
    assert answer.status_code == 302
    worker.wait_idle()
    assert receiver.types() == ["webhook.test"]
