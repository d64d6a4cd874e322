"""The one error shape of Framewise: a stable `code`, a `message` for people, and whether trying again
can help (`transient`). Engines raise it without knowing Django; core's ApplicationError adds an HTTP
status; the job lifecycle (core/jobs.py) retries transient ones and fails the rest with their code."""

from __future__ import annotations


class FramewiseError(Exception):
    code = "error"
    transient = False

    def __init__(self, message: str, *, code: str | None = None, transient: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient


def decoder_reason(exc: BaseException) -> str:
    """What a decoder (FFmpeg, through PyAV) said went wrong, without the file's path.

    `str()` of PyAV's error is "[Errno n] reason: '/absolute/path'": the path is ours, not the
    user's, and must not reach a stored or returned message; the reason alone is kept.
    """
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else "the data could not be decoded"
