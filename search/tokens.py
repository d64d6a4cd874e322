"""Page tokens: signed, self-contained, expiring.

A token is `django.core.signing` of {spec, offset, team, expiry} (compressed, URL
safe). Nothing is stored server-side: any web process can answer any token, a
restart loses nothing, and a token cannot be forged or pointed at another team's
index (the team is inside the signature and the index is re-checked against the
caller's teams anyway). Every page of one search expires together,
FRAMEWISE_PAGE_TOKEN_TTL seconds after the first page was served, as Twelve Labs'
`page_expired_at` says.

The cost of statelessness: a page re-runs the search (tens of milliseconds). If the
index changed in between, later pages reflect the new content.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing

from core.errors import ApplicationError
from search.spec import SearchSpec

_SALT = "framewise.search.page"
_VERSION = 1


@dataclass(frozen=True)
class PageCursor:
    spec: SearchSpec
    offset: int
    team_ids: tuple[int, ...]
    expires_at: int  # unix seconds

    @property
    def expires_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, tz=UTC)

    def moved(self, offset: int) -> PageCursor:
        return PageCursor(self.spec, offset, self.team_ids, self.expires_at)


def new_cursor(spec: SearchSpec, team_ids: list[int]) -> PageCursor:
    return PageCursor(spec, 0, tuple(sorted(team_ids)), int(time.time()) + settings.FRAMEWISE_PAGE_TOKEN_TTL)


def encode(cursor: PageCursor) -> str:
    payload = {
        "v": _VERSION,
        "s": cursor.spec.to_data(),
        "o": cursor.offset,
        "t": cursor.team_ids,
        "e": cursor.expires_at,
    }
    return signing.dumps(payload, salt=_SALT, compress=True)


def decode(token: str, *, team_ids: list[int]) -> PageCursor:
    """The cursor a token carries; 400 `token_expired` or `parameter_invalid` otherwise."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise ApplicationError(
            "The page token is invalid: use the next_page_token or prev_page_token of a search response, unchanged.",
            code="parameter_invalid",
        ) from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise ApplicationError("The page token is from an incompatible version; run the search again.")
    if payload["e"] < time.time():
        expired = datetime.fromtimestamp(payload["e"], tz=UTC).isoformat(timespec="seconds")
        raise ApplicationError(
            f"The page token expired at {expired}; run the search again to get fresh pages.", code="token_expired"
        )
    if not set(payload["t"]) & set(team_ids):
        # Signed for another team: the same answer as for an unknown token, so nothing leaks.
        raise ApplicationError("The page token is invalid for this API key.", code="parameter_invalid")
    return PageCursor(SearchSpec.from_data(payload["s"]), int(payload["o"]), tuple(payload["t"]), int(payload["e"]))
