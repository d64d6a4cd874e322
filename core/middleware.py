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
