"""The upload size limit, enforced while the body arrives, for every surface that takes a file.

`FRAMEWISE_MAX_UPLOAD_BYTES` is the one limit (library/intake_policy.py decides); three places apply it:

* `UploadLimitMiddleware` refuses a multipart request whose Content-Length is over the limit
  before reading any of it, and parses the others early, so that a refusal is a 413 on every
  surface (the admin's and the pages' forms too, whose CSRF check would read the body first).
  It runs after core.middleware.AuthenticateBeforeBodyMiddleware: a body is parsed only for
  an authenticated request (an anonymous upload is a 401 on the APIs, unread);
* `LimitedUploadHandler`, first in FILE_UPLOAD_HANDLERS, counts each file's bytes as they
  arrive and stops the parse as soon as one is over the limit, so no more than the limit is
  ever written to a temporary file (DRF's parsers, e.g. for PUT, use the same handlers);
* the services' check (library/intake_policy.py), for files that do not come over HTTP (`import_folder`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import error_body, is_api_path
from library import intake_policy
from library.intake_policy import UploadRefused, max_upload_bytes

# Room for the multipart boundaries and the small form fields that travel with the file.
FORM_OVERHEAD = 1024 * 1024
API_PREFIXES = ("/v1.1/", "/v1.2/", "/v1.3/", "/api/")


def _refusal() -> UploadRefused:
    return intake_policy.too_large()


class LimitedUploadHandler(FileUploadHandler):
    """Passes chunks on to the storing handlers until a file exceeds the limit, then aborts."""

    def handle_raw_input(
        self, input_data: Any, META: dict[str, Any], content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        if content_length and content_length > max_upload_bytes() + FORM_OVERHEAD:
            raise _refusal()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_upload_bytes():
            raise _refusal()  # before the storing handlers see this chunk
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler builds the file


def _response(request: HttpRequest, error: UploadRefused) -> HttpResponse:
    body = {"code": error.code, "message": error.message}
    if request.path.startswith(API_PREFIXES) or "json" in request.headers.get("Accept", ""):
        return JsonResponse(body, status=413)
    return HttpResponse(error.message, status=413, content_type="text/plain; charset=utf-8")


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            try:
                if length > max_upload_bytes() + FORM_OVERHEAD:
                    raise _refusal()
                request.POST  # noqa: B018 - parse now, through LimitedUploadHandler
                request.FILES  # noqa: B018
            except UploadRefused as error:
                return _response(request, error)
            except RequestDataTooBig:
                if not is_api_path(request.path):
                    raise
                return JsonResponse(
                    error_body("request_too_large", "The request's form fields are too large."), status=413
                )
        forms = ("multipart/form-data", "application/x-www-form-urlencoded")
        if request.method == "POST" and request.content_type in forms and is_api_path(request.path):
            # A form parsed by Django (here, or by CSRF) never reaches the API's strict parsers
            # (core/parsers.py): refuse NUL characters the way they would.
            try:
                request.POST  # noqa: B018
            except RequestDataTooBig:
                return JsonResponse(
                    error_body("request_too_large", "The request's form fields are too large."), status=413
                )
            for key, values in request.POST.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    name = key.replace("\x00", "")
                    return JsonResponse(
                        error_body("parameter_invalid", f"The {name} parameter contains a NUL character (%00)."),
                        status=400,
                    )
        return self.get_response(request)
