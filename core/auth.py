"""`x-api-key` authentication (the Twelve Labs header) and per-key rate limiting."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from core.accounts import api_key_authenticate
from core.middleware import API_KEY_ATTRIBUTE, API_KEY_HEADER
from core.models import ApiKey, Team
from core.rules import Actor, actor_for_request

HEADER = API_KEY_HEADER


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        raw = request.headers.get(HEADER)
        if raw is None:
            return None
        # Looked up once: AuthenticateBeforeBodyMiddleware checked it before the body was read.
        key = getattr(request._request, API_KEY_ATTRIBUTE, None) or api_key_authenticate(raw_key=raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(
                "The API key is invalid, revoked or expired, or its user is no longer a member of its team."
            )
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when the header is missing.
        return HEADER


def request_actor(request: Request) -> Actor:
    """Who acts: the request's API key (with its user's current role) or its session user."""
    return actor_for_request(request)


def request_teams(request: Request) -> list[Team]:
    """The teams a request may see: the key's team, or the session user's teams."""
    return list(request_actor(request).teams())
