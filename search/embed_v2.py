"""Embeddings as v1.3's embed-v2 hands them out: Framewise's own models' vectors, as floats.

* text, image and text+image queries are embedded in the **visual space** (the space of the
  stored visual clip vectors: CLIP ViT-B/32, 512-d, or, on the offline default without CLIP
  weights, the concept classifier's MiniLM space, 384-d), so a text or an image embedding
  compares directly with a video's visual clip embeddings; text+image is the normalised sum
  of the two, the composed query search uses;
* a video's embeddings are not computed again: they are the vectors indexing stored for the
  asset's indexed video. `visual` clip vectors are its segments' visual vectors and
  `transcription` clip vectors its segments' speech vectors (MiniLM, 384-d: the space of
  Framewise's conversation search, not of the visual one); the `asset` scope is the
  duration-weighted mean of the clip vectors, normalised.

Nothing here writes: an embedding task is the asset's indexing, read when it is done, so a
task id is a signed token of what was asked (tokens.py's approach) and no row is stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core import signing

from core.errors import ApplicationError, NotFound
from engines.base import EngineError
from library.models import Asset, Video
from library.vector_codec import vector_from_bytes
from search.embeddings import composed_vector, image_vector, visual_text_vector

VIDEO_OPTIONS = ("visual", "transcription")
SCOPES = ("clip", "asset")
_SALT = "framewise.embed-v2.task"


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _vector(compute: Any, *args: Any) -> np.ndarray:
    try:
        return np.asarray(compute(*args), dtype=np.float32)
    except EngineError as exc:
        # No visual model in this process (visual_model_unavailable), or an image that does not decode.
        raise ApplicationError(exc.message, code=exc.code) from exc


def text_embedding(text: str) -> np.ndarray:
    return _vector(visual_text_vector, text)


def image_embedding(data: bytes) -> np.ndarray:
    return _vector(image_vector, data)


def text_image_embedding(text: str, data: bytes) -> np.ndarray:
    """The composed query, as search composes it: the text and the image vectors added."""
    return _vector(composed_vector, image_embedding(data), text)


@dataclass(frozen=True)
class VideoEmbeddings:
    status: str  # processing | ready
    video: Video | None
    items: list[dict[str, Any]]


def _clip_items(video: Video, options: list[str], scopes: list[str]) -> list[dict[str, Any]]:
    fields = {"visual": "visual_vector", "transcription": "conversation_vector"}
    segments = list(video.segments.order_by("position").values("start", "end", *fields.values()))
    items: list[dict[str, Any]] = []
    for option in options:
        clips = [
            (float(s["start"]), float(s["end"]), vector)
            for s in segments
            if (vector := vector_from_bytes(s[fields[option]])) is not None
        ]
        if "clip" in scopes:
            items += [
                {"embedding": [float(x) for x in vector], "embedding_option": option, "embedding_scope": "clip",
                 "start_sec": start, "end_sec": end}
                for start, end, vector in clips
            ]  # fmt: skip
        if "asset" in scopes and clips:
            weights = np.array([max(end - start, 1e-3) for start, end, _ in clips], dtype=np.float32)
            pooled = _unit((weights[:, None] * np.stack([_unit(v) for _, _, v in clips])).sum(axis=0))
            items.append(
                {"embedding": [float(x) for x in pooled], "embedding_option": option, "embedding_scope": "asset",
                 "start_sec": 0.0, "end_sec": float(video.duration or clips[-1][1])}
            )  # fmt: skip
    return items


def asset_video(asset_id: str, team_ids: list[int]) -> Video | None:
    """The asset's indexed video whose vectors answer: the most recently indexed ready one, else
    the newest still indexing; None when the asset is in none of the team's indexes."""
    if not Asset.objects.visible_to(team_ids).filter(id=asset_id).exists():
        raise NotFound(f"The asset {asset_id} does not exist.")
    videos = Video.objects.visible_to(team_ids).filter(asset_id=asset_id)
    ready = [v for v in videos.order_by("-indexed_at") if v.is_ready]
    return ready[0] if ready else videos.order_by("-created_at").first()


def video_embeddings(asset_id: str, team_ids: list[int], *, options: list[str], scopes: list[str]) -> VideoEmbeddings:
    video = asset_video(asset_id, team_ids)
    if video is None:
        raise ApplicationError(
            f"The asset {asset_id} is not indexed: Framewise embeds a video when it indexes it. Index the asset "
            "(POST /indexes/{index_id}/indexed-assets), then ask for its embeddings.",
            code="asset_not_indexed",
        )
    if video.is_ready:
        return VideoEmbeddings("ready", video, _clip_items(video, options, scopes))
    # Still indexing (a video whose indexing fails for good is deleted: then it is not indexed).
    return VideoEmbeddings("processing", video, [])


# -- embedding task ids -------------------------------------------------------------------


def task_id(asset_id: str, team_ids: list[int], options: list[str], scopes: list[str]) -> str:
    payload = {"a": asset_id, "t": sorted(team_ids), "o": options, "s": scopes, "c": int(time.time())}
    return signing.dumps(payload, salt=_SALT, compress=True)


def read_task_id(value: str, team_ids: list[int]) -> dict[str, Any]:
    try:
        payload = signing.loads(value, salt=_SALT)
    except signing.BadSignature:
        raise NotFound(f"The embedding task {value[:40]} does not exist.") from None
    if not isinstance(payload, dict) or not set(payload.get("t") or ()) & set(team_ids):
        raise NotFound(f"The embedding task {value[:40]} does not exist.")
    return payload
