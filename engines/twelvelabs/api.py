"""The Twelve Labs v1.3 endpoints the engine calls, with their answers read into plain values.

Request and response shapes follow the official SDK (twelvelabs 1.3.6: assets/raw_client.py,
indexes/indexed_assets/raw_client.py, embed/v_2/raw_client.py, embed/v_2/tasks/raw_client.py
and their types). v1.2's one-step `POST /tasks` and `POST /embed` are retired; here a file is
uploaded once as an asset, and that asset is both indexed (for the transcript) and embedded
(embed-v2 task, for the visual clip vectors). An answer missing a field we need is a permanent
`remote_bad_response`: it means the API changed, and asking again will not bring the field back.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np

from engines.base import EngineError
from engines.twelvelabs.client import TwelveLabsClient, Upload, UploadProgress

INDEX_PAGE_LIMIT = 50
# Marengo 3.0 refuses a text over 500 tokens with a 400 (auto_truncate needs Marengo 3.5);
# 1500 characters stay under it for any language we transcribe, and a cell's text is far shorter.
MAX_TEXT_CHARACTERS = 1500


@dataclass(frozen=True)
class RemoteStatus:
    """An asset, indexed asset or embedding task as its GET reports it."""

    status: str  # assets: processing|ready|failed; indexed assets: validating|pending|queued|indexing|ready|failed
    error_code: str = ""
    error_message: str = ""


@dataclass(frozen=True)
class ClipEmbedding:
    start: float
    end: float
    vector: np.ndarray  # float32, as sent (not normalised)


@dataclass(frozen=True)
class TimedValue:
    """One entry of an indexed asset's transcription."""

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


def _status(body: Any, what: str) -> RemoteStatus:
    body = _dict(body, what)
    status = body.get("status")
    if not isinstance(status, str):
        raise _bad_response(what, "no status")
    error = body.get("error")
    error = error if isinstance(error, dict) else {}
    return RemoteStatus(status, str(error.get("code") or ""), str(error.get("message") or ""))


def _vector(values: Any, what: str) -> np.ndarray:
    try:
        vector = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise _bad_response(what, "an embedding is not a list of numbers") from None
    if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
        raise _bad_response(what, "an embedding is empty or not a flat list of finite numbers")
    return vector


def remote_model_options(options: frozenset[str]) -> list[str]:
    """Marengo 3.0's index options for Framewise options: `visual` and `audio` (speech is audio).

    v1.3 has no on-screen text or logo extraction, so `text_in_video` and `logo` map to nothing
    (the engine reports them skipped).
    """
    return sorted({"visual": "visual", "conversation": "audio"}[o] for o in options if o in ("visual", "conversation"))


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

    def create_index(self, name: str, *, model_name: str, model_options: list[str]) -> str:
        what = "creating an index"
        body = {"index_name": name, "models": [{"model_name": model_name, "model_options": model_options}]}
        return _id(self.client.call("POST", "indexes", what=what, json_body=body), what)

    # -- assets and indexing ---------------------------------------------------------

    def create_asset(self, path: str, on_progress: UploadProgress) -> str:
        """POST /assets, method=direct: the file streamed from disk; the asset starts `processing`."""
        what = "the video upload"
        # No HLS or thumbnails: Framewise streams and pictures the file itself.
        fields = {"method": "direct", "enable_hls": "false", "enable_thumbnail": "false"}
        upload = Upload(fields=fields, file_field="file", path=path, on_progress=on_progress)
        return _id(self.client.call("POST", "assets", what=what, upload=upload), what)

    def asset(self, asset_id: str) -> RemoteStatus:
        what = f"asset {asset_id}"
        return _status(self.client.call("GET", f"assets/{asset_id}", what=what), what)

    def index_asset(self, index_id: str, asset_id: str) -> str:
        what = "indexing the asset"
        body = {"asset_id": asset_id, "enable_video_stream": False}
        return _id(self.client.call("POST", f"indexes/{index_id}/indexed-assets", what=what, json_body=body), what)

    def indexed_asset(self, index_id: str, indexed_asset_id: str) -> RemoteStatus:
        what = f"indexed asset {indexed_asset_id}"
        path = f"indexes/{index_id}/indexed-assets/{indexed_asset_id}"
        return _status(self.client.call("GET", path, what=what), what)

    def transcription(self, index_id: str, indexed_asset_id: str) -> list[TimedValue]:
        """The indexed asset's spoken lines; entries without a value are dropped."""
        what = "the video's transcription"
        path = f"indexes/{index_id}/indexed-assets/{indexed_asset_id}"
        body = _dict(self.client.call("GET", path, what=what, params={"transcription": "true"}), what)
        values = []
        for entry in body.get("transcription") or []:
            try:
                value = TimedValue(float(entry["start"]), float(entry["end"]), str(entry["value"]).strip())
            except (KeyError, TypeError, ValueError):
                raise _bad_response(what, "an entry without start, end and value") from None
            if value.value:
                values.append(value)
        return values

    # -- embeddings (embed-v2) ---------------------------------------------------------

    def _embedding(self, body: dict[str, Any], what: str) -> np.ndarray:
        answer = _dict(self.client.call("POST", "embed-v2", what=what, json_body=body), what)
        try:
            values = answer["data"][0]["embedding"]
        except (KeyError, IndexError, TypeError):
            raise _bad_response(what, "no data[0].embedding") from None
        return _vector(values, what)

    def embed_text(self, text: str, *, model_name: str) -> np.ndarray:
        body = {"input_type": "text", "model_name": model_name, "text": {"input_text": text[:MAX_TEXT_CHARACTERS]}}
        return self._embedding(body, "a text embedding")

    def embed_image(self, jpeg: bytes, *, model_name: str) -> np.ndarray:
        source = {"base64_string": base64.b64encode(jpeg).decode("ascii")}
        body = {"input_type": "image", "model_name": model_name, "image": {"media_source": source}}
        return self._embedding(body, "an image embedding")

    def create_embed_task(self, asset_id: str, *, model_name: str, clip_seconds: int) -> str:
        """An embed-v2 task of the uploaded asset: visual vectors of fixed `clip_seconds` clips."""
        what = "the video embedding task"
        video = {
            "media_source": {"asset_id": asset_id},
            "segmentation": {"strategy": "fixed", "fixed": {"duration_sec": clip_seconds}},
            "embedding_option": ["visual"],
            "embedding_scope": ["clip"],
        }
        body = {"input_type": "video", "model_name": model_name, "video": video}
        return _id(self.client.call("POST", "embed-v2/tasks", what=what, json_body=body), what)

    def embed_task(self, task_id: str) -> tuple[RemoteStatus, list[ClipEmbedding]]:
        """(status, the clip embeddings once ready) of an embed-v2 task: one GET answers both."""
        what = f"embedding task {task_id}"
        body = _dict(self.client.call("GET", f"embed-v2/tasks/{task_id}", what=what), what)
        status = _status(body, what)
        clips = []
        for item in body.get("data") or [] if status.status == "ready" else []:
            # Only visual clip vectors map onto times; an asset vector would blur every cell.
            if not isinstance(item, dict) or item.get("embedding_scope", "clip") != "clip":
                continue
            if item.get("embedding_option", "visual") != "visual":
                continue
            try:
                start, end = float(item["start_sec"]), float(item["end_sec"])
            except (KeyError, TypeError, ValueError):
                raise _bad_response(what, "a clip without start_sec and end_sec") from None
            clips.append(ClipEmbedding(start=start, end=end, vector=_vector(item.get("embedding"), what)))
        return status, clips
