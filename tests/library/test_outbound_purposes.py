"""Each kind of outbound URL has its own allow-list, and a host name on a list is still checked.

`FRAMEWISE_OUTBOUND_ALLOW` is for on-premise video sources only: search images (any viewer
can send one) and webhooks (whose answers are stored and shown) stay on public addresses
unless their own setting (`FRAMEWISE_WEBHOOK_ALLOW`) lists a range. A host name on a list is
resolved and its addresses checked: it may stand for a private address, never for loopback,
link-local (cloud metadata) or unspecified ones.

A loopback server counts what reaches it; name lookups are answered from a table, and address
checks that must not connect run with every connection path patched to fail the test.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from core.models import Role
from library.models import WebhookDelivery, WebhookEndpoint
from library.webhooks import services as webhooks
from library.webhooks.delivery import delivery_send
from tests.factories import SYSTEM, ApiKeyFactory, IndexFactory
from tests.library import test_outbound_surfaces as surfaces

# The loopback server that counts what reaches it (GET and POST), and its fixture.
_Counting = surfaces._Counting
port = surfaces.port


@pytest.fixture
def video_sources_on_loopback(settings: Any) -> None:
    """The operator lists the on-premise media range, and only that."""
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]


@pytest.fixture
def owner_api(db: None) -> Any:
    from rest_framework.test import APIClient

    key, raw = ApiKeyFactory.create_with_raw(role=Role.OWNER)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    client.team = key.team  # type: ignore[attr-defined]
    return client


def test_video_sources_use_the_allow_list(api: Any, index: Any, port: int, video_sources_on_loopback: None) -> None:
    created = api.post("/v1.2/tasks", {"index_id": index.id, "video_url": f"http://127.0.0.1:{port}/a.mp4"})
    assert created.status_code == 201, created.content


def test_a_search_image_url_does_not_use_the_video_allow_list(
    api: Any, index: Any, port: int, video_sources_on_loopback: None
) -> None:
    response = api.post(
        "/v1.2/search-v2",
        {"index_id": index.id, "query_media_type": "image", "search_options": ["visual"],
         "query_media_url": f"http://127.0.0.1:{port}/q.png"},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "url_not_allowed"
    assert _Counting.hits == []


def test_a_webhook_url_does_not_use_the_video_allow_list(
    owner_api: Any, port: int, video_sources_on_loopback: None
) -> None:
    response = owner_api.post(
        "/api/v1/webhooks/", {"url": f"http://127.0.0.1:{port}/hook", "events": ["index.task.ready"]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "url_not_allowed"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_webhook_is_not_sent_to_a_range_only_video_sources_may_reach(
    port: int, video_sources_on_loopback: None
) -> None:
    """Checked again at send time: an endpoint stored earlier (or by another route) is refused too."""
    from tests.factories import TeamFactory

    endpoint = WebhookEndpoint.objects.create(
        team=TeamFactory(), url=f"http://127.0.0.1:{port}/hook", events=["index.task.ready"]
    )
    delivery = webhooks.webhook_test_send(actor=SYSTEM, endpoint=endpoint)
    delivery_send(delivery.pk)
    delivery = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (delivery.status, delivery.error_code) == ("failed", "url_not_allowed")
    assert _Counting.hits == []


def test_webhooks_have_their_own_allow_list(owner_api: Any, port: int, settings: Any) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = []
    settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]
    response = owner_api.post(
        "/api/v1/webhooks/", {"url": f"http://127.0.0.1:{port}/hook", "events": ["index.task.ready"]}, format="json"
    )
    assert response.status_code == 201, response.content
    delivery = webhooks.webhook_test_send(actor=SYSTEM, endpoint=WebhookEndpoint.objects.get())
    delivery_send(delivery.pk)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered"
    assert _Counting.hits == ["/hook"]
    # ... which video sources do not share.
    refused = owner_api.post("/v1.2/tasks", {"index_id": IndexFactory(team=owner_api.team).id,
                                             "video_url": f"http://127.0.0.1:{port}/a.mp4"})  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (400, "url_not_allowed")


# --- host names on a list are resolved and their addresses checked --------------------------------


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def _names(monkeypatch: pytest.MonkeyPatch, table: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def fake(host: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in table:
            address = table[host]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, service or 80))]
        return real(host, service, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _video_url(api: Any, index: Any, url: str) -> Any:
    return api.post("/v1.2/tasks", {"index_id": index.id, "video_url": url})


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_a_listed_host_name_that_resolves_to_loopback_or_metadata_is_refused(
    api: Any, index: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, no_connections: None, address: str,
    reason: str,
) -> None:  # fmt: skip
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["media.onprem.test"]
    _names(monkeypatch, {"media.onprem.test": address})
    response = _video_url(api, index, "http://media.onprem.test/a.mp4")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "url_not_allowed" and reason in response.json()["message"]


@pytest.mark.parametrize("address", ["10.20.0.7", "192.168.1.20", "fd00::7", "100.64.3.4"])
def test_a_listed_host_name_may_stand_for_a_private_address(
    api: Any, index: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, no_connections: None, address: str
) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["media.onprem.test"]
    _names(monkeypatch, {"media.onprem.test": address, "other.onprem.test": address})
    assert _video_url(api, index, "http://media.onprem.test/a.mp4").status_code == 201
    refused = _video_url(api, index, "http://other.onprem.test/a.mp4")  # the same address, a name nobody listed
    assert (refused.status_code, refused.json()["code"]) == (400, "url_not_allowed")


def test_a_listed_cidr_still_opens_loopback_to_video_sources(
    api: Any, index: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, no_connections: None
) -> None:
    """The tests' loopback media server, or a media proxy on the same host, is listed as a range."""
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8", "media.onprem.test"]
    _names(monkeypatch, {"media.onprem.test": "127.0.0.1"})
    assert _video_url(api, index, "http://media.onprem.test/a.mp4").status_code == 201
