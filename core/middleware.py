"""The boundary of the API paths (/v1.1, /v1.2, /api/v1): JSON in, JSON out, errors included.

DRF's exception handler covers what views raise through DRF. What it cannot see is
answered here: an unknown path (Django's 404, its technical HTML page under DEBUG),
an exception that escaped a view (Django's 500 page, or the DEBUG traceback page), a
body over Django's size limits, and any error response a middleware built as HTML or
plain text (rate limits, CSRF). Query strings and paths with NUL characters are refused
before routing: PostgreSQL cannot compare text containing them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.core import signals
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from core.errors import ApplicationError, error_body, is_api_path, status_error
from core.parsers import NUL

logger = logging.getLogger("django.request")

# Headers of an error response worth keeping when its body is rewritten as JSON.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _is_json(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "") or ""
    return content_type.split(";")[0].strip() in ("application/json", "application/problem+json")


def _json_error(status: int, body: dict[str, str], source: HttpResponseBase | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for header in _KEPT_HEADERS:
        if source is not None and source.has_header(header):
            response[header] = source[header]
    return response


def _refused_input(request: HttpRequest) -> JsonResponse | None:
    if NUL in request.path:
        return _json_error(400, error_body("parameter_invalid", "The path contains a NUL character (%00)."))
    for key, values in request.GET.lists():
        if NUL in key or any(NUL in value for value in values):
            name = key.replace(NUL, "")
            return _json_error(
                400, error_body("parameter_invalid", f"The {name} parameter contains a NUL character (%00).")
            )
    return None


class ApiBoundaryMiddleware:
    """First in MIDDLEWARE, so it sees every response of the inner stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not is_api_path(request.path):
            return self.get_response(request)
        refused = _refused_input(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and not _is_json(response):
            body = status_error(response.status_code)
            if response.status_code == 404:
                body = error_body("resource_not_exist", f"No endpoint or resource at {request.path}.")
            return _json_error(response.status_code, body, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """An exception that left a view: the JSON answer, also under DEBUG (no traceback page)."""
        if not is_api_path(request.path):
            return None
        if isinstance(exception, ApplicationError):
            return _json_error(exception.status, error_body(exception.code, exception.message))
        if isinstance(exception, RequestDataTooBig):
            return _json_error(413, status_error(413))
        if isinstance(exception, Http404):
            return _json_error(404, error_body("resource_not_exist", f"No endpoint or resource at {request.path}."))
        if isinstance(exception, PermissionDenied):
            return _json_error(403, status_error(403))
        if isinstance(exception, SuspiciousOperation):
            logger.warning("Suspicious request to %s: %s", request.path, exception)
            return _json_error(400, status_error(400))
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        # Error reporters (and the test client) listen for this signal, as for Django's own 500s.
        signals.got_request_exception.send(sender=None, request=request)
        return _json_error(500, status_error(500))


# The request header of the Twelve Labs API key (core/auth.py reads it too).
API_KEY_HEADER = "x-api-key"
# Where the key found here is kept for DRF's authentication, so it is looked up once.
API_KEY_ATTRIBUTE = "framewise_api_key"
# An anonymous visitor posts only small forms (a login), kept in memory, never spooled to disk.
ANONYMOUS_FORM_BYTES = 64 * 1024
_READS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_MISSING_KEY = "Provide a valid API key in the x-api-key header."
_INVALID_KEY = "The API key is invalid, revoked or expired, or its user is no longer a member of its team."


def _anonymous_upload(request: HttpRequest) -> bool:
    """A multipart body larger than a login form's worth, from someone not logged in."""
    if request.content_type != "multipart/form-data" or request.user.is_authenticated:
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        length = -1
    return not 0 <= length <= ANONYMOUS_FORM_BYTES  # no length (chunked) or too long: refused unread


def _unauthenticated(message: str) -> JsonResponse:
    response = JsonResponse(error_body("api_key_invalid", message), status=401)
    response["WWW-Authenticate"] = API_KEY_HEADER  # as DRF answers a missing key
    return response


# Paths whose URL carries its own authorisation (a signed, expiring token), checked without reading
# the body: e.g. v1.3 multipart chunk URLs, which the SDK PUTs without the API key. Apps register a
# pattern and a verifier when ready; only a request whose token verifies passes without a key.
SignedPathVerifier = Callable[["re.Match[str]"], bool]
_SIGNED_PATHS: list[tuple[re.Pattern[str], SignedPathVerifier]] = []


def register_signed_path(pattern: str, verifier: SignedPathVerifier) -> None:
    compiled = re.compile(pattern)
    if all(existing.pattern != compiled.pattern for existing, _ in _SIGNED_PATHS):
        _SIGNED_PATHS.append((compiled, verifier))


def _signed_path_verified(path: str) -> bool:
    for pattern, verifier in _SIGNED_PATHS:
        match = pattern.fullmatch(path)
        if match is not None:
            return verifier(match)
    return False


class AuthenticateBeforeBodyMiddleware:
    """No request body is read for someone who is not authenticated.

    A rule on the API prefixes (core/errors.py API_PATH), not on routes: a write to any path
    under them, known or not, is answered 401 unless it carries a valid API key or a logged-in
    session, before anything reads or spools its body (an anonymous client could otherwise
    fill the disk with uploads that end in a 401). On the pages, an anonymous multipart body
    larger than ANONYMOUS_FORM_BYTES is refused unread; a login form is far smaller.

    Placed after AuthenticationMiddleware (the session user is needed) and before everything
    that reads a body: library/uploads.py's early parse and CSRF's view check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in _READS:
            if is_api_path(request.path):
                refused = self._api_refusal(request)
                if refused is not None:
                    return refused
            elif _anonymous_upload(request):
                return HttpResponse("Log in to upload files.", status=403, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _api_refusal(request: HttpRequest) -> JsonResponse | None:
        from core.accounts import api_key_authenticate

        raw = request.headers.get(API_KEY_HEADER)
        if _signed_path_verified(request.path):
            # The URL's token authorises it, whatever key header comes along (the SDK sends none);
            # the view checks the token again, and the uploader's membership, with the body.
            return None
        if raw is not None:
            key = api_key_authenticate(raw_key=raw.strip())
            if key is None:
                return _unauthenticated(_INVALID_KEY)
            setattr(request, API_KEY_ATTRIBUTE, key)
            return None
        if request.user.is_authenticated:
            return None
        return _unauthenticated(_MISSING_KEY)
