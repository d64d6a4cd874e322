"""MiniLM in ONNX Runtime gives sentence-transformers' vectors, and search queries still find their meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.local.text_embedding import TextEmbedder

pytestmark = pytest.mark.models

SENTENCES = [
    "The chef slices ripe tomatoes for the pasta sauce.",
    "goal!",
    "Ein Hund läuft über die Wiese.",
    "A quarterly earnings call about cloud revenue and operating margins, " * 6,  # padded against short ones
]


def test_onnx_vectors_equal_sentence_transformers(tmp_path: Path) -> None:
    embedder = TextEmbedder(str(tmp_path))
    fast = embedder.embed(SENTENCES)
    assert embedder.runtime == "onnxruntime"
    assert [p.name for p in tmp_path.glob("*.onnx")] == ["all-MiniLM-L6-v2-pooled-0.1.0.onnx"]
    slow = embedder._model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    assert fast.shape == (4, 384)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert np.abs(fast - slow).max() < 1e-5
    # One at a time (a search query) equals the same sentence in a padded batch.
    assert np.abs(embedder.embed([SENTENCES[1]])[0] - fast[1]).max() < 1e-5
    # Meaning, not just numbers: a paraphrase is nearer its sentence than the others.
    (query,) = embedder.embed(["someone cuts tomatoes in a kitchen"])
    assert int(np.argmax(fast @ query)) == 0


def test_a_second_process_loads_the_export_and_a_failed_export_stays_on_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    TextEmbedder(str(tmp_path)).load()
    exported = tmp_path / "all-MiniLM-L6-v2-pooled-0.1.0.onnx"
    before = exported.stat().st_mtime_ns
    again = TextEmbedder(str(tmp_path))
    again.load()
    assert again.runtime == "onnxruntime" and exported.stat().st_mtime_ns == before

    import torch

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(torch.onnx, "export", broken)
    elsewhere = TextEmbedder(str(tmp_path / "other"))
    vectors = elsewhere.embed(SENTENCES[:2])
    assert elsewhere.runtime == "torch" and not list((tmp_path / "other").glob("*.onnx"))
    assert np.abs(vectors - TextEmbedder(str(tmp_path)).embed(SENTENCES[:2])).max() < 1e-5
