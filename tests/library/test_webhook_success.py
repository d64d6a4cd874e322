"""A webhook delivery succeeds on a 2xx status, whatever the receiver's body does after it.

The receiver's body is only a snippet for owners to read: a 2xx answer with a body of 200 KB,
or one whose body trickles and never ends, is delivered on the first try, sent once, and never
counts towards disabling the endpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from library.models import WebhookDelivery, WebhookEndpoint
from library.webhooks import services as webhooks
from library.webhooks.delivery import delivery_send
from tests.factories import SYSTEM, TeamFactory

BIG = b"<html>" + b"x" * 200_000 + b"</html>"


class _Receiver(BaseHTTPRequestHandler):
    posts: list[str] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802 - the base class's name
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).posts.append(self.path)
        self.send_response(200)
        if self.path == "/big":
            self.send_header("Content-Length", str(len(BIG)))
            self.end_headers()
            self.wfile.write(BIG)
            return
        # /slow: the status and headers at once, then a body that trickles for a minute.
        self.send_header("Content-Length", "60")
        self.end_headers()
        for _ in range(60):
            try:
                self.wfile.write(b"y")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(1.0)


@pytest.fixture
def receiver(settings: Any) -> Iterator[str]:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]  # before the webhook setting existed
    settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]
    _Receiver.posts = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _send_to(url: str) -> tuple[WebhookDelivery, WebhookEndpoint]:
    endpoint = WebhookEndpoint.objects.create(team=TeamFactory(), url=url, events=["index.task.ready"])
    delivery = webhooks.webhook_test_send(actor=SYSTEM, endpoint=endpoint)
    delivery_send(delivery.pk)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    return delivery, endpoint


@pytest.mark.django_db
def test_a_2xx_with_a_big_body_is_delivered(receiver: str, settings: Any) -> None:
    settings.FRAMEWISE_WEBHOOK_DISABLE_AFTER = 1  # one counted failure would disable it
    delivery, endpoint = _send_to(f"{receiver}/big")
    assert (delivery.status, delivery.tries, delivery.error_code) == ("delivered", 1, "")
    assert endpoint.active and endpoint.consecutive_failures == 0
    attempt = delivery.attempt_rows.get()
    assert attempt.status_code == 200 and attempt.error == ""
    assert attempt.response_snippet.startswith("<html>xxx") and len(attempt.response_snippet) <= 500
    assert _Receiver.posts == ["/big"]


@pytest.mark.django_db
def test_a_2xx_whose_body_never_ends_is_delivered_once(receiver: str, settings: Any) -> None:
    settings.FRAMEWISE_WEBHOOK_DISABLE_AFTER = 1
    delivery, endpoint = _send_to(f"{receiver}/slow")
    assert (delivery.status, delivery.tries, delivery.error_code) == ("delivered", 1, "")
    assert endpoint.active and endpoint.consecutive_failures == 0
    assert delivery.attempt_rows.get().status_code == 200
    assert _Receiver.posts == ["/slow"]  # not sent again
