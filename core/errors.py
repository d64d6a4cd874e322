"""One error shape for every API response: `{"code": ..., "message": ...}`.

Codes are the Twelve Labs ones where Twelve Labs has one, so clients that branch on
`code` keep working. Services raise `ApplicationError`; DRF and Django errors are
translated here; nothing reaches a client as an HTML page or a bare 500.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from engines.errors import FramewiseError

logger = logging.getLogger(__name__)


class ApplicationError(FramewiseError):
    """A refusal the caller can act on: `{code, message}` with an HTTP status on the APIs."""

    code = "parameter_invalid"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, transient: bool | None = None
    ) -> None:
        super().__init__(message, code=code, transient=transient)
        if status is not None:
            self.status = status


class NotFound(ApplicationError, Http404):
    """Also an Http404, so the admin and the pages answer 404 where the APIs answer `{code, message}`."""

    code = "resource_not_exist"
    status = 404


class Forbidden(ApplicationError, PermissionDenied):
    """The actor's role in the object's team does not allow the command (core/rules.py).

    Also a PermissionDenied, so the admin and the pages answer 403 like the APIs.
    """

    code = "forbidden"
    status = 403


class Conflict(ApplicationError):
    code = "resource_already_exists"
    status = 409


def _first_message(detail: Any, path: str = "") -> tuple[str, str]:
    """Flatten DRF's nested error detail into (field path, first message)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = key if key != "non_field_errors" else ""
            return _first_message(value, f"{path}.{field}" if path and field else field or path)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return path, str(detail)


def _validation_error(exc: drf.ValidationError) -> tuple[str, str]:
    field, message = _first_message(exc.detail)
    codes = exc.get_codes()
    flat = str(codes)
    if "required" in flat:
        return "parameter_not_provided", f"The {field} parameter is required." if field else message
    if field:
        return "parameter_invalid", f"The {field} parameter is invalid: {message}"
    return "parameter_invalid", message


def error_body(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message), status=exc.status)
    if isinstance(exc, Http404):
        code, message, status = "resource_not_exist", "The requested resource does not exist.", 404
    elif isinstance(exc, PermissionDenied | drf.PermissionDenied):
        code, message, status = "forbidden", "You do not have permission to do this.", 403
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        code, status = "api_key_invalid", 401
        message = (
            str(exc.detail)
            if isinstance(exc, drf.AuthenticationFailed)
            else ("Provide a valid API key in the x-api-key header.")
        )
    elif isinstance(exc, drf.Throttled):
        code, status = "too_many_requests", 429
        message = "Too many requests; slow down and try again."
        wait: float | None = getattr(exc, "wait", None)  # set by DRF's throttles, absent from its stubs
        if wait:
            message = f"Too many requests; try again in {int(wait) + 1} seconds."
            headers["Retry-After"] = str(int(wait) + 1)
    elif isinstance(exc, drf.ValidationError):
        (code, message), status = _validation_error(exc), 400
    elif isinstance(exc, drf.ParseError):
        code, message, status = "parameter_invalid", f"The request body could not be parsed: {exc.detail}", 400
    elif isinstance(exc, drf.UnsupportedMediaType):
        code, message, status = "parameter_invalid", str(exc.detail), 400
    elif isinstance(exc, drf.MethodNotAllowed):
        code, message, status = "method_not_allowed", str(exc.detail), 405
    elif isinstance(exc, drf.NotFound):
        code, message, status = "resource_not_exist", str(exc.detail), 404
    elif isinstance(exc, drf.APIException):
        code, message, status = exc.default_code, str(exc.detail), exc.status_code
    else:
        return None
    return Response(error_body(code, message), status=status, headers=headers)


# The API surfaces: every answer under them is JSON, errors included.
API_PATH = re.compile(r"^/(?:v1\.1|v1\.2|v1\.3|api/v1)(?:/|$)")

# The `code` of an error response that was produced without one (Django, a middleware).
STATUS_CODES = {
    400: ("parameter_invalid", "The request is malformed."),
    401: ("api_key_invalid", "Provide a valid API key in the x-api-key header."),
    403: ("forbidden", "You do not have permission to do this."),
    404: ("resource_not_exist", "The requested resource does not exist."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    429: ("too_many_requests", "Too many requests; slow down and try again."),
    500: ("internal_error", "Something went wrong on our side; the error was logged."),
}


def is_api_path(path: str) -> bool:
    return API_PATH.match(path) is not None


def status_error(status: int) -> dict[str, str]:
    """The `{code, message}` of a bare status (5xx without an entry count as internal errors)."""
    code, message = STATUS_CODES.get(status) or (
        STATUS_CODES[500] if status >= 500 else ("request_invalid", "The request was refused.")
    )
    return error_body(code, message)


def _wants_json(request: HttpRequest) -> bool:
    return is_api_path(request.path) or "application/json" in request.headers.get("Accept", "")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("resource_not_exist", f"No endpoint or resource at {request.path}."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def handler500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            error_body("internal_error", "Something went wrong on our side; the error was logged."), status=500
        )
    from django.views.defaults import server_error

    return server_error(request)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("parameter_invalid", "The request is malformed."), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception())
