"""The visual concept stage on real photographs (scikit-image's, scikit-learn's) turned into clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.base import VISUAL, VideoAnalysis
from engines.local.concepts import TRACK_MIN_PROBABILITY, imagenet_classes
from engines.local.engine import LocalEngine, LocalEngineConfig
from tests.engines.conftest import Analyze
from tests.photos import photo
from tests.videos import Scene, VideoTruth, make_video

pytestmark = pytest.mark.models
SCENE = 5.0
SHOWN = ("cat", "coffee", "motorcycle")


@pytest.fixture(scope="session")
def photo_clip(video_dir: Path) -> VideoTruth:
    """The cat, the coffee and the motorcycle, 5 s each, then a generated test pattern; no audio."""
    scenes = [Scene(SCENE, image=str(photo(name).path)) for name in SHOWN]
    return make_video(video_dir / "photos.mp4", scenes=[*scenes, Scene(SCENE, "testsrc2")], audio=False)


@pytest.fixture(scope="session")
def concept_engine() -> LocalEngine:
    return LocalEngine(LocalEngineConfig())


@pytest.fixture(scope="session")
def seen(concept_engine: LocalEngine, photo_clip: VideoTruth, analyze: Analyze) -> VideoAnalysis:
    return analyze(concept_engine, photo_clip, frozenset({VISUAL}))


def _scene(time: float) -> int:
    return int(time // SCENE)


def test_the_class_table_is_imagenet_in_the_classifiers_order() -> None:
    classes = imagenet_classes()
    assert len(classes) == 1000 and [c.index for c in classes] == list(range(1000))
    assert (classes[0].synset, classes[0].label) == ("n01440764", "tench")
    assert (classes[281].label, classes[281].names) == ("tabby", ("tabby", "tabby cat"))
    assert classes[967].label == "espresso" and "coffee" in classes[967].gloss


def test_visual_is_indexed_by_default_with_the_concept_classifier(seen: VideoAnalysis) -> None:
    assert VISUAL not in seen.skipped
    assert seen.versions["visual"].startswith("efficientnet-lite0 ImageNet-1k concepts")
    for segment in seen.segments:
        if _scene(segment.start) == len(SHOWN):
            # The generated test pattern is nothing ImageNet names: no vector, so it matches no query.
            assert segment.visual_vector is None
            continue
        assert segment.visual_vector is not None and segment.visual_vector.shape == (384,)
        assert np.linalg.norm(segment.visual_vector) == pytest.approx(1.0, abs=1e-4)


def test_the_track_names_what_each_photo_shows(seen: VideoAnalysis) -> None:
    labels: dict[int, set[str]] = {}
    for span in seen.concepts:
        assert 0 <= span.start < span.end <= 4 * SCENE + 1e-6
        assert TRACK_MIN_PROBABILITY <= span.confidence <= 1.0
        labels.setdefault(_scene(span.start), set()).add(span.value)
    assert labels[0] & {"tabby", "tiger cat", "Egyptian cat"}
    assert "espresso" in labels[1]
    assert labels[2] & {"moped", "motor scooter"}
    # A photo's concept is one span for the whole scene, not one per frame.
    espresso = [span for span in seen.concepts if span.value == "espresso"]
    assert len(espresso) == 1 and espresso[0].end - espresso[0].start >= SCENE - 1.1


def test_a_description_in_other_words_finds_its_photo(concept_engine: LocalEngine, seen: VideoAnalysis) -> None:
    vectors = np.stack([s.visual_vector for s in seen.segments if s.visual_vector is not None])
    scenes = np.array([_scene(s.start) for s in seen.segments if s.visual_vector is not None])
    for number, name in enumerate(SHOWN):
        queries = concept_engine.embed_visual_texts(list(photo(name).descriptions))
        for query, similarity in zip(photo(name).descriptions, queries @ vectors.T, strict=True):
            assert scenes[int(np.argmax(similarity))] == number, (query, similarity.round(3))


def test_an_image_query_goes_through_the_same_classifier(concept_engine: LocalEngine, seen: VideoAnalysis) -> None:
    vectors = np.stack([s.visual_vector for s in seen.segments if s.visual_vector is not None])
    scenes = np.array([_scene(s.start) for s in seen.segments if s.visual_vector is not None])
    for number, name in enumerate(SHOWN):
        (query,) = concept_engine.embed_visual_images([photo(name).path.read_bytes()])
        assert query.shape == (384,) and scenes[int(np.argmax(vectors @ query))] == number


def test_a_configured_clip_takes_precedence(tiny_clip: Path, photo_clip: VideoTruth, analyze: Analyze) -> None:
    analysis = analyze(LocalEngine(LocalEngineConfig(clip_model=str(tiny_clip))), photo_clip, frozenset({VISUAL}))
    assert analysis.versions["visual"].startswith(str(tiny_clip)) and analysis.concepts == ()
    assert analysis.segments[0].visual_vector is not None and analysis.segments[0].visual_vector.shape == (16,)


def test_the_network_runs_in_onnx_runtime_with_torchs_numbers(tmp_path: Path, photo_clip: VideoTruth) -> None:
    import av
    import torch

    from engines.local.concepts import ConceptClassifier

    classifier = ConceptClassifier(str(tmp_path))
    network = classifier.load_vision()
    assert classifier.runtime == "onnxruntime"
    assert [p.name for p in tmp_path.glob("*.onnx")] == ["efficientnet-lite0-0.1.0.onnx"]
    with av.open(str(photo_clip.path)) as container:
        frames = [f for i, f in enumerate(container.decode(video=0)) if i % 125 == 60][:3]
    pixels = [classifier.frame_pixels(frame) for frame in frames]
    fast = classifier.classify(pixels)
    batch = (np.stack(pixels).transpose(0, 3, 1, 2).astype(np.float32) - 127.0) / 128.0
    with torch.inference_mode():
        slow = torch.softmax(network(torch.from_numpy(batch)), dim=1).numpy()
    assert np.abs(fast - slow).max() < 1e-4
    assert fast.argmax(axis=1).tolist() == slow.argmax(axis=1).tolist()
    # A second classifier (another worker) loads the file instead of exporting again.
    before = (tmp_path / "efficientnet-lite0-0.1.0.onnx").stat().st_mtime_ns
    again = ConceptClassifier(str(tmp_path))
    again.load_vision()
    assert again.runtime == "onnxruntime"
    assert (tmp_path / "efficientnet-lite0-0.1.0.onnx").stat().st_mtime_ns == before


def test_a_failed_export_leaves_the_network_on_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from engines.local.concepts import ConceptClassifier

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(torch.onnx, "export", broken)
    classifier = ConceptClassifier(str(tmp_path))
    classifier.load_vision()
    assert classifier.runtime == "torch"
    assert not list(tmp_path.glob("*.onnx")) and not list(tmp_path.glob(".*.onnx"))
    flat = np.full((224, 224, 3), 128, dtype=np.uint8)
    assert classifier.classify([flat]).sum() == pytest.approx(1.0, abs=1e-4)
