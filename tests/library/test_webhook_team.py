"""A webhook endpoint stays in the team it was created in, with its deliveries.

An owner of two teams edits an endpoint in the admin (or the native API) and names the other
team: the endpoint, its secret and its delivery history stay where they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core import accounts
from core.models import Membership, Role
from library.models import WebhookDelivery, WebhookEndpoint
from library.webhooks import services as webhooks
from tests.factories import SYSTEM, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_of_two(settings: Any) -> tuple[Any, Any, Any, WebhookEndpoint]:
    # The receiver URLs must pass the fetcher's check (nothing is sent to them).
    settings.FRAMEWISE_OUTBOUND_ALLOW = settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]
    user = UserFactory()
    first, second = TeamFactory(), TeamFactory()
    for team in (first, second):
        Membership.objects.create(team=team, user=user, role=Role.OWNER)
    endpoint = WebhookEndpoint.objects.create(team=first, url="http://127.0.0.1:9/a", events=["index.task.ready"])
    webhooks.webhook_test_send(actor=SYSTEM, endpoint=endpoint)  # some history
    return user, first, second, endpoint


def _inline_fields(client: Client, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    fields: dict[str, Any] = {}
    for inline in page.context.get("inline_admin_formsets", []):
        management = inline.formset.management_form
        fields.update({management.add_prefix(name): value for name, value in management.initial.items()})
        for form in inline.formset.forms:
            fields.update({field.html_name: field.value() or "" for field in form.hidden_fields()})
    return fields


def test_the_admin_change_form_cannot_move_an_endpoint(owner_of_two: tuple[Any, Any, Any, WebhookEndpoint]) -> None:
    user, first, second, endpoint = owner_of_two
    client = Client()
    client.force_login(user)
    url = f"/admin/library/webhookendpoint/{endpoint.pk}/change/"
    data = {
        **_inline_fields(client, url),
        "team": second.pk,
        "url": "http://127.0.0.1:9/b",
        "events": ["index.task.ready"],
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:9/b"  # the edit itself went through
    assert endpoint.team_id == first.pk
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


@pytest.mark.parametrize(
    ("url", "said"), [("http://no-such-host.invalid/hook", "resolve"), ("http://10.1.2.3/hook", "not allowed")]
)
def test_the_admin_says_what_is_wrong_with_a_receiver_url(
    owner_of_two: tuple[Any, Any, Any, WebhookEndpoint], url: str, said: str
) -> None:
    user, first, _, endpoint = owner_of_two
    client = Client()
    client.force_login(user)
    response = client.post(
        "/admin/library/webhookendpoint/add/", {"team": first.pk, "url": url, "events": ["index.task.ready"]}
    )
    assert response.status_code == 200  # the form again, not a server error
    errors = response.context["adminform"].form.errors["url"]
    assert said in " ".join(errors).lower(), errors
    assert list(WebhookEndpoint.objects.values_list("pk", flat=True)) == [endpoint.pk]


def test_the_admin_change_page_shows_the_team_read_only(owner_of_two: tuple[Any, Any, Any, WebhookEndpoint]) -> None:
    user, first, _, endpoint = owner_of_two
    client = Client()
    client.force_login(user)
    page = client.get(f"/admin/library/webhookendpoint/{endpoint.pk}/change/")
    assert "team" not in page.context["adminform"].form.fields
    assert first.name in page.content.decode()


def test_the_native_api_cannot_move_an_endpoint(owner_of_two: tuple[Any, Any, Any, WebhookEndpoint]) -> None:
    user, first, second, endpoint = owner_of_two
    _, raw = accounts.api_key_create(actor=SYSTEM, team=first, user=user, name="k")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"team": second.name}, format="json")
    assert response.status_code in (200, 400), response.content
    endpoint.refresh_from_db()
    assert endpoint.team_id == first.pk
