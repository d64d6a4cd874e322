"""The Twelve Labs v1.2 endpoints the engine calls, with their answers read into plain values.

Request and response shapes follow the official SDK (twelvelabs 0.3.2: resources/task.py,
resources/index.py, resources/embed.py, models/embed.py). An answer missing a field we
need is a permanent `remote_bad_response`: it means the API changed, and asking again
will not bring the field back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engines.base import EngineError
from engines.twelvelabs.client import TwelveLabsClient, Upload, UploadProgress

INDEX_PAGE_LIMIT = 50


@dataclass(frozen=True)
class RemoteTask:
    """A video indexing task as GET /tasks/{id} reports it."""

    status: str  # validating, pending, queued, indexing, ready, failed
    percentage: float  # process.percentage, 0-100
    video_id: str
    error_code: str
    error_message: str


@dataclass(frozen=True)
class ClipEmbedding:
    start: float
    end: float
    vector: np.ndarray  # float32, as sent (not normalised)


@dataclass(frozen=True)
class TimedValue:
    """One entry of /transcription, /text-in-video or /logo."""

    start: float
    end: float
    value: str


def _bad_response(what: str, detail: str) -> EngineError:
    return EngineError(
        f"Twelve Labs answered {what} in an unexpected shape ({detail}).", transient=False, code="remote_bad_response"
    )


def _dict(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad_response(what, f"expected an object, got {type(body).__name__}")
    return body


def _id(body: Any, what: str) -> str:
    value = _dict(body, what).get("_id")
    if not isinstance(value, str) or not value:
        raise _bad_response(what, "no _id")
    return value


def _vector(values: Any, what: str) -> np.ndarray:
    try:
        vector = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise _bad_response(what, "an embedding is not a list of numbers") from None
    if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
        raise _bad_response(what, "an embedding is empty or not a flat list of finite numbers")
    return vector


class TwelveLabsApi:
    def __init__(self, client: TwelveLabsClient) -> None:
        self.client = client

    # -- indexes -------------------------------------------------------------------

    def find_index(self, name: str) -> dict[str, Any] | None:
        """The index named exactly `name` (the API's name filter may match loosely), or None."""
        page, total_pages = 1, 1
        while page <= total_pages:
            what = "the index list"
            params = {"index_name": name, "page": page, "page_limit": INDEX_PAGE_LIMIT}
            body = _dict(self.client.call("GET", "indexes", what=what, params=params), what)
            for index in body.get("data") or []:
                if isinstance(index, dict) and index.get("index_name") == name:
                    return index
            total_pages = int((body.get("page_info") or {}).get("total_page") or 1)
            page += 1
        return None

    def create_index(self, name: str, *, engine_name: str, options: list[str]) -> str:
        what = "creating an index"
        body = {"index_name": name, "engines": [{"engine_name": engine_name, "engine_options": options}]}
        return _id(self.client.call("POST", "indexes", what=what, json_body=body), what)

    # -- video indexing tasks --------------------------------------------------------

    def create_task(self, index_id: str, path: str, on_progress: UploadProgress, *, language: str = "") -> str:
        what = "the video upload"
        fields = {"index_id": index_id, **({"language": language} if language else {})}  # "" : the cloud detects
        upload = Upload(fields=fields, file_field="video_file", path=path, on_progress=on_progress)
        return _id(self.client.call("POST", "tasks", what=what, upload=upload), what)

    def task(self, task_id: str) -> RemoteTask:
        what = f"task {task_id}"
        body = _dict(self.client.call("GET", f"tasks/{task_id}", what=what), what)
        status = body.get("status")
        if not isinstance(status, str):
            raise _bad_response(what, "no status")
        if status == "ready" and not body.get("video_id"):
            raise _bad_response(what, "ready without a video_id")
        process = body.get("process") or {}
        error = body.get("error") or {}
        return RemoteTask(
            status=status,
            percentage=float(process.get("percentage") or 0.0) if isinstance(process, dict) else 0.0,
            video_id=str(body.get("video_id") or ""),
            error_code=str(error.get("code") or "") if isinstance(error, dict) else "",
            error_message=str(error.get("message") or "") if isinstance(error, dict) else "",
        )

    def video_values(self, index_id: str, video_id: str, kind: str) -> list[TimedValue]:
        """`kind` is transcription, text-in-video or logo; entries without a value are dropped."""
        what = f"the video's {kind}"
        body = _dict(self.client.call("GET", f"indexes/{index_id}/videos/{video_id}/{kind}", what=what), what)
        values = []
        for entry in body.get("data") or []:
            try:
                value = TimedValue(float(entry["start"]), float(entry["end"]), str(entry["value"]).strip())
            except (KeyError, TypeError, ValueError):
                raise _bad_response(what, "an entry without start, end and value") from None
            if value.value:
                values.append(value)
        return values

    # -- embeddings ------------------------------------------------------------------

    def embed_text(self, text: str, *, engine_name: str) -> np.ndarray:
        what = "a text embedding"
        # "end": cut a text longer than the model's window rather than fail the whole video.
        form = {"engine_name": engine_name, "text": text, "text_truncate": "end"}
        body = _dict(self.client.call("POST", "embed", what=what, form=form), what)
        try:
            values = body["text_embedding"]["segments"][0]["float"]
        except (KeyError, IndexError, TypeError):
            raise _bad_response(what, "no text_embedding.segments[0].float") from None
        return _vector(values, what)

    def embed_image(self, jpeg: bytes, *, engine_name: str) -> np.ndarray:
        what = "an image embedding"
        body = _dict(
            self.client.call(
                "POST",
                "embed",
                what=what,
                form={"engine_name": engine_name},
                attachments={"image_file": ("query.jpg", jpeg)},
            ),
            what,
        )
        try:
            values = body["image_embedding"]["segments"][0]["float"]
        except (KeyError, IndexError, TypeError):
            raise _bad_response(what, "no image_embedding.segments[0].float") from None
        return _vector(values, what)

    def create_embed_task(self, path: str, *, engine_name: str, clip_seconds: int, on_progress: UploadProgress) -> str:
        what = "the video embedding upload"
        fields = {"engine_name": engine_name, "video_clip_length": str(clip_seconds), "video_embedding_scope": "clip"}
        upload = Upload(fields=fields, file_field="video_file", path=path, on_progress=on_progress)
        return _id(self.client.call("POST", "embed/tasks", what=what, upload=upload), what)

    def embed_task_status(self, task_id: str) -> str:
        what = f"embedding task {task_id}"
        status = _dict(self.client.call("GET", f"embed/tasks/{task_id}/status", what=what), what).get("status")
        if not isinstance(status, str):
            raise _bad_response(what, "no status")
        return status

    def embed_task_result(self, task_id: str) -> tuple[list[ClipEmbedding], str]:
        """(clip embeddings, the task's error message) of a finished embedding task."""
        what = f"embedding task {task_id}"
        body = _dict(self.client.call("GET", f"embed/tasks/{task_id}", what=what), what)
        embedding = body.get("video_embedding") or {}
        if not isinstance(embedding, dict):
            raise _bad_response(what, "video_embedding is not an object")
        clips = []
        for segment in embedding.get("segments") or []:
            # Only clip vectors map onto times; a whole-video vector would blur every cell.
            if not isinstance(segment, dict) or segment.get("embedding_scope", "clip") != "clip":
                continue
            try:
                start, end = float(segment["start_offset_sec"]), float(segment["end_offset_sec"])
            except (KeyError, TypeError, ValueError):
                raise _bad_response(what, "a segment without start_offset_sec and end_offset_sec") from None
            clips.append(ClipEmbedding(start=start, end=end, vector=_vector(segment.get("float"), what)))
        return clips, str(embedding.get("error_message") or "")
