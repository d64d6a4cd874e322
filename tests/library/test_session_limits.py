"""Browser sessions are held to the limits API keys are held to, and media URLs follow membership.

* The API rate limit counts a logged-in session's requests as it counts a key's, on the APIs
  and on the pages that do work (search, generation): beyond it, 429 with Retry-After.
* Failed logins are also counted per client address, whatever the user names: past
  LOGIN_ADDRESS_FAILURE_LIMIT the address is locked out, even for a right password.
* A signed media URL lives FRAMEWISE_MEDIA_URL_TTL (1 h by default), names the user it was
  made for, and stops working as soon as that user leaves the video's team.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from core import accounts
from core.models import Membership, Role
from tests.api_checks import make_library
from tests.factories import SYSTEM, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> Any:
    """As a browser posts the login form (url-encoded)."""
    form = urlencode({"username": username, "password": password})
    return client.post("/login/", form, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def three_per_minute(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}


def _member(role: str = Role.EDITOR) -> tuple[Any, Membership]:
    membership = MembershipFactory(role=role)
    return membership.user, membership


def test_a_session_on_the_api_is_rate_limited(three_per_minute: None) -> None:
    user, _ = _member()
    client = APIClient()
    client.force_login(user)
    answers = [client.get("/api/v1/indexes/") for _ in range(4)]
    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and answers[3].json()["code"] == "too_many_requests"
    assert int(answers[3]["Retry-After"]) >= 1


def test_a_session_on_the_search_page_is_rate_limited(three_per_minute: None) -> None:
    user, membership = _member()
    make_library(membership.team)
    client = Client()
    client.force_login(user)
    answers = [client.get("/search/", {"q": "pasta"}) for _ in range(4)]
    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and int(answers[3]["Retry-After"]) >= 1
    other, _ = _member()  # per user: another member is not slowed down
    client.force_login(other)
    assert client.get("/search/", {"q": "pasta"}).status_code == 200


def test_generating_from_the_page_is_rate_limited(three_per_minute: None) -> None:
    user, membership = _member()
    library = make_library(membership.team)
    client = Client()
    client.force_login(user)
    answers = [client.post(f"/videos/{library.video.id}/generate/", {"kind": "nothing"}) for _ in range(4)]
    assert [answer.status_code for answer in answers[:3]] == [302, 302, 302]
    assert answers[3].status_code == 429


# --- logins ------------------------------------------------------------------------------------------


def test_failed_logins_are_limited_per_address_whatever_the_user_name(settings: Any) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10
    UserFactory(username="alice", password="right-password-123")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(9):  # nine names, one guess each: under the per-name limit every time
        response = _login(attacker, f"name{number}", "guess")
        assert response.status_code == 200, number
    assert _login(attacker, "name9", "guess").status_code == 429  # the tenth failure from the address
    locked = _login(attacker, "alice", "right-password-123")
    assert locked.status_code == 429  # the address is locked out, even with a right password
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert _login(elsewhere, "alice", "right-password-123").status_code == 302


# --- media URLs --------------------------------------------------------------------------------------


@pytest.fixture
def stored_video(settings: Any) -> tuple[Any, Any, str]:
    """(user, membership, the video's signed URL as the user's key received it)."""
    user, membership = _member(Role.VIEWER)
    library = make_library(membership.team)
    default_storage.save(library.video.file.name, ContentFile(b"\x00" * 1000))
    _, raw = accounts.api_key_create(actor=SYSTEM, team=membership.team, user=user, name="k")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    answer = client.get(f"/api/v1/videos/{library.video.id}/")
    assert answer.status_code == 200
    return user, membership, answer.json()["video_url"]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_signed_media_url_lives_an_hour(stored_video: tuple[Any, Any, str]) -> None:
    _, _, url = stored_video
    expires = int(parse_qs(urlsplit(url).query)["e"][0])
    assert 3600 <= expires - time.time() <= 3600 + 15 * 60 + 5


def test_a_signed_media_url_stops_working_when_its_user_leaves_the_team(stored_video: tuple[Any, Any, str]) -> None:
    _, membership, url = stored_video
    assert Client().get(_path(url)).status_code == 200  # no session needed: the signature names the user
    accounts.membership_remove(actor=SYSTEM, membership=membership)
    assert Client().get(_path(url)).status_code == 404


def test_a_signed_media_url_cannot_be_moved_to_another_user(stored_video: tuple[Any, Any, str]) -> None:
    user, _, url = stored_video
    other, _ = _member()
    forged = _path(url).replace(f"u={user.pk}", f"u={other.pk}")
    assert forged != _path(url)
    assert Client().get(forged).status_code == 404
