"""Frame and prompt embeddings from a CLIP checkpoint, loaded with transformers, offline.

No CLIP weights ship with any installed package (offline-models.md §1), so the model is
whatever `LocalEngineConfig.clip_model` names: a local folder written by
`save_pretrained`, or a hub name already in the local cache. Nothing is downloaded
(`local_files_only=True`).

The two towers load separately and only when needed, from the one checkpoint: a
worker that indexes video never loads the text tower, a web process that embeds
search prompts never loads the vision tower (ViT-B/32: about 350 and 250 MB in fp32).

Speed choices, measured on this 2-core machine:
* Frames are resized by PyAV's swscale during the decode (`to_ndarray(width=,
  height=)`, bicubic like CLIP's training) and centre-cropped and normalised here in
  torch: 6-8 ms per frame cheaper than the PIL image processor (§3e). The processor
  is only read for its sizes, mean and std.
* The vision tower's Linear layers are dynamically quantised to int8 (`int8=True`):
  ViT-B/32 goes from ~48 to ~22 ms per frame at batch 8 (§3e), and here from 121 to
  40 ms of CPU per frame on one thread. Only the vision tower: quantising the whole
  model broke the text tower (§1), and prompts are cheap anyway.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import av
import numpy as np

BATCH_SIZE = 8
NO_MODEL_REASON = (
    "no visual model configured: FRAMEWISE_VISUAL_CONCEPTS is off and FRAMEWISE_CLIP_MODEL is unset "
    "(set it to a folder written by CLIPModel.save_pretrained with its processor)"
)


class VisualModelUnavailable(Exception):
    """The configured CLIP model cannot be used; the message says why, for humans."""


@contextlib.contextmanager
def _loading(model_ref: str) -> Iterator[None]:
    """Quiet transformers while loading, and turn any failure into VisualModelUnavailable.

    Loading one tower from a full CLIP checkpoint makes transformers report the other
    tower's weights as unexpected: expected here, so warnings are muted.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logger = logging.getLogger("transformers")
    level = hf_logger.level
    hf_logger.setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        yield
    except Exception as exc:  # whatever the cause, the video is indexed without visual vectors
        raise VisualModelUnavailable(
            f"visual model {model_ref!r} could not be loaded offline ({type(exc).__name__}: {exc})"
        ) from exc
    finally:
        hf_logger.setLevel(level)


class VisualEncoder:
    """A CLIP checkpoint: `frame_pixels` per sample, `embed_images` in batches, `embed_texts`.

    The constructor reads only the configuration and the image processor (cheap, and
    enough to tell a usable checkpoint); each tower loads on first use or `load_vision`.
    """

    kind = "clip"

    def __init__(self, model_ref: str, *, int8: bool = True) -> None:
        if not model_ref:
            raise VisualModelUnavailable(NO_MODEL_REASON)
        with _loading(model_ref):
            from transformers import CLIPConfig, CLIPImageProcessorPil

            # transformers types sub-configs as dict | config | None; a CLIP checkpoint has both.
            config: Any = CLIPConfig.from_pretrained(model_ref, local_files_only=True)
            processor = CLIPImageProcessorPil.from_pretrained(model_ref, local_files_only=True)
        self.model_ref = model_ref
        self.int8 = int8
        self._config = config
        self.dimensions = int(config.projection_dim)
        self.version = f"{model_ref} (CLIP {self.dimensions}-d{', vision int8' if int8 else ''})"
        self._max_text_tokens = int(config.text_config.max_position_embeddings)
        self._lock = threading.Lock()
        self._vision: Any = None
        self._text: Any = None
        self._tokenizer: Any = None

        size, crop = processor.size, processor.crop_size
        image_size = int(config.vision_config.image_size)
        short = _side(size, "shortest_edge", 0)
        self._resize_short = short or None
        self._resize_exact = None if short else (_side(size, "height", image_size), _side(size, "width", image_size))
        self._crop = (
            (_side(crop, "height", image_size), _side(crop, "width", image_size)) if processor.do_center_crop else None
        )
        self._mean = np.asarray(processor.image_mean, dtype=np.float32).reshape(1, 3, 1, 1) * 255.0
        self._std = np.asarray(processor.image_std, dtype=np.float32).reshape(1, 3, 1, 1) * 255.0

    def _tower_config(self, tower: str) -> Any:
        """A tower's own config, with the projection size of the whole model: older and
        hand-made checkpoints set `projection_dim` only at the top level."""
        config = getattr(self._config, f"{tower}_config")
        config.projection_dim = self._config.projection_dim
        return config

    def load_vision(self) -> Any:
        """The vision tower with its projection, loaded (and quantised) once."""
        with self._lock:
            if self._vision is None:
                with _loading(self.model_ref):
                    import torch
                    from transformers import CLIPVisionModelWithProjection

                    vision = CLIPVisionModelWithProjection.from_pretrained(
                        self.model_ref, config=self._tower_config("vision"), local_files_only=True
                    )
                    vision.eval()
                    if self.int8:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")  # quantize_dynamic's deprecation notice
                            torch.ao.quantization.quantize_dynamic(
                                vision, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
                            )
                self._vision = vision
            return self._vision

    def _load_text(self) -> tuple[Any, Any]:
        with self._lock:
            if self._text is None:
                with _loading(self.model_ref):
                    from transformers import AutoTokenizer, CLIPTextModelWithProjection

                    self._tokenizer = AutoTokenizer.from_pretrained(self.model_ref, local_files_only=True)
                    self._text = CLIPTextModelWithProjection.from_pretrained(
                        self.model_ref, config=self._tower_config("text"), local_files_only=True
                    )
                    self._text.eval()
            return self._text, self._tokenizer

    def frame_pixels(self, frame: av.VideoFrame) -> np.ndarray:
        """The frame resized (by swscale) and centre-cropped: uint8 (h, w, 3) RGB."""
        if self._resize_short is not None:
            scale = self._resize_short / min(frame.width, frame.height)
            height, width = round(frame.height * scale), round(frame.width * scale)
        else:
            height, width = self._resize_exact  # type: ignore[misc]
        pixels = frame.to_ndarray(format="rgb24", width=max(1, width), height=max(1, height), interpolation="BICUBIC")
        if self._crop is None:
            return pixels
        crop_h, crop_w = self._crop
        top = max(0, (pixels.shape[0] - crop_h) // 2)
        left = max(0, (pixels.shape[1] - crop_w) // 2)
        return np.ascontiguousarray(pixels[top : top + crop_h, left : left + crop_w])

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(n, d) float32 unit vectors for `frame_pixels` outputs, run in batches of 8."""
        import torch

        vision = self.load_vision()
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), BATCH_SIZE):
                batch = np.stack(images[start : start + BATCH_SIZE]).transpose(0, 3, 1, 2).astype(np.float32)
                pixels = torch.from_numpy((batch - self._mean) / self._std)
                out.append(vision(pixel_values=pixels).image_embeds.numpy())
        if not out:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return _normalise(np.concatenate(out))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) float32 unit vectors for prompts, in the space of `embed_images`."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        import torch

        model, tokenizer = self._load_text()
        with torch.inference_mode():
            tokens = tokenizer(
                list(texts), padding=True, truncation=True, max_length=self._max_text_tokens, return_tensors="pt"
            )
            output = model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"])
            return _normalise(output.text_embeds.numpy())


@functools.lru_cache(maxsize=4)
def get_encoder(model_ref: str, int8: bool) -> VisualEncoder:
    """The process's encoder for a checkpoint: engines rebuilt in one process share the
    loaded towers. Raises VisualModelUnavailable (not cached: a fixed path is retried)."""
    return VisualEncoder(model_ref, int8=int8)


def _side(size: Any, key: str, default: int) -> int:
    value = getattr(size, key, None) if not isinstance(size, dict) else size.get(key)
    return int(value) if value else default


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def pool(vectors: np.ndarray) -> np.ndarray | None:
    """Mean of unit vectors, re-normalised: the segment's visual vector."""
    if len(vectors) == 0:
        return None
    return _normalise(vectors.mean(axis=0, keepdims=True))[0]
