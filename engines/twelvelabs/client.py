"""HTTP to Twelve Labs with `requests`: retries, error mapping and streamed multipart uploads.

Every failure leaves this module as an EngineError, never as a requests exception:
* 429, 5xx, timeouts and dropped connections are transient. They are retried here
  `max_retries` times with exponential backoff (or the server's Retry-After), and if
  the budget runs out the worker's own retry takes over (the task is re-queued).
* Other 4xx answers are permanent: asking again cannot help. 401/403 get their own
  code, so a bad cloud key is not mistaken for a bad Framewise key.

Retrying a POST that timed out may create a second remote task for the same file:
Twelve Labs has no idempotency keys, and a lost video is worse than a duplicate.
"""

from __future__ import annotations

import email.utils
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from engines.base import EngineError

UPLOAD_CHUNK_BYTES = 1024 * 1024
# Longest Retry-After we honour in-process; a longer wait is the worker's retry's job.
MAX_RETRY_AFTER_SECONDS = 120.0
MAX_BACKOFF_SECONDS = 30.0

UploadProgress = Callable[[int], None]  # called with the bytes sent so far


@dataclass(frozen=True)
class Upload:
    """A file sent as one field of a multipart form, with the form's other fields."""

    fields: dict[str, str]
    file_field: str
    path: str
    on_progress: UploadProgress


class MultipartBody:
    """A multipart/form-data body read from disk in chunks, so a 4 GB video never sits in memory.

    requests sends an iterable that has a length with a Content-Length header (not
    chunked), which every upload endpoint accepts.
    """

    def __init__(self, upload: Upload) -> None:
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in upload.fields.items()
        ]
        filename = os.path.basename(upload.path).replace('"', "_")
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.file_field}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self._head = "".join(parts).encode("utf-8")
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._upload = upload
        self._file_size = os.path.getsize(upload.path)

    def __len__(self) -> int:
        return len(self._head) + self._file_size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        with open(self._upload.path, "rb") as handle:
            while chunk := handle.read(UPLOAD_CHUNK_BYTES):
                yield chunk
                sent += len(chunk)
                self._upload.on_progress(sent)
        yield self._tail


def _retry_after_seconds(response: requests.Response) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date), None when absent or unreadable."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _remote_error(response: requests.Response) -> tuple[str, str]:
    """(code, message) from a Twelve Labs error body `{code, message}`, or from the status line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body.get("code") or ""), str(body["message"])
    text = response.text.strip()[:300]
    return "", text or f"HTTP {response.status_code} {response.reason}"


class TwelveLabsClient:
    """One keep-alive session per engine; `call` returns the decoded JSON answer."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        connect_timeout: float,
        read_timeout: float,
        max_retries: int,
        backoff: float,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = (connect_timeout, read_timeout)
        self._max_retries = max_retries
        self._backoff = backoff
        self._session = requests.Session()
        self._session.headers.update({"x-api-key": api_key, "Accept": "application/json"})

    def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        attachments: dict[str, tuple[str, bytes]] | None = None,
        upload: Upload | None = None,
    ) -> Any:
        """Send one request, retrying transient failures; `what` names it in error messages."""
        last: _Transient | None = None
        for attempt in range(self._max_retries + 1):
            if last is not None:
                time.sleep(self._delay(attempt, last))
            try:
                return self._send(
                    method,
                    path,
                    what=what,
                    params=params,
                    json_body=json_body,
                    form=form,
                    attachments=attachments,
                    upload=upload,
                )
            except _Transient as transient:
                last = transient
        assert last is not None
        raise EngineError(
            f"{last.message} (gave up after {self._max_retries + 1} attempts)", transient=True, code=last.code
        )

    def _delay(self, attempt: int, last: _Transient) -> float:
        if last.retry_after is not None:
            return min(last.retry_after, MAX_RETRY_AFTER_SECONDS)
        return min(self._backoff * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)

    def _send(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: dict[str, Any] | None,
        json_body: dict[str, Any] | None,
        form: dict[str, str] | None,
        attachments: dict[str, tuple[str, bytes]] | None,
        upload: Upload | None,
    ) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers: dict[str, str] = {}
        data: Any = None
        files: Any = None
        if upload is not None:
            body = MultipartBody(upload)  # a fresh body per attempt: the file is read again
            headers["Content-Type"] = body.content_type
            data = body
        elif form is not None:
            # (None, value): plain form fields, but multipart as the API requires; small
            # files (an image query) go in the same body from memory.
            files = {name: (None, value) for name, value in form.items()}
            files.update({name: (filename, content) for name, (filename, content) in (attachments or {}).items()})
        try:
            response = self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                files=files,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.Timeout as exc:
            raise _Transient(
                f"Twelve Labs did not answer {what} in time ({exc.__class__.__name__}).", code="remote_timeout"
            ) from exc
        except requests.RequestException as exc:
            raise _Transient(
                f"Could not reach Twelve Labs for {what} ({exc.__class__.__name__}).", code="remote_unreachable"
            ) from exc
        status = response.status_code
        if status == 429 or status >= 500:
            _, message = _remote_error(response)
            raise _Transient(
                f"Twelve Labs answered {status} to {what}: {message}",
                code="remote_rate_limited" if status == 429 else "remote_unavailable",
                retry_after=_retry_after_seconds(response),
            )
        if status >= 400:
            code, message = _remote_error(response)
            detail = f" [{code}]" if code else ""
            raise EngineError(
                f"Twelve Labs refused {what} ({status}{detail}): {message}",
                transient=False,
                code="remote_auth_failed" if status in (401, 403) else "remote_request_rejected",
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            # A 2xx that is not JSON is a proxy or gateway page, not the API: try again.
            raise _Transient(f"Twelve Labs sent an unreadable answer to {what}.", code="remote_bad_response") from exc


class _Transient(Exception):
    """Internal: a retryable failure and the wait the server asked for."""

    def __init__(self, message: str, *, code: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after
