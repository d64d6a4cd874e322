"""The search building blocks on small hand-made data: calibration, lexical matching, hit operators,
clip formation, page tokens and the matrix cache's invalidation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL
from library.models import Index, Segment, Video
from library.vector_codec import vector_to_bytes
from search import calibration, matrix, tokens
from search.clips import form_clips, order_clips, video_groups
from search.hits import Hits, difference, in_order, intersection, union
from search.spec import Leaf, Node, SearchSpec
from search.speech import speech_corpus
from search.text import find_phrase, normalise, squash
from search.vectors import similarities
from tests.factories import IndexFactory

OPTIONS = (CONVERSATION, TEXT_IN_VIDEO, LOGO, VISUAL)


@pytest.mark.parametrize("option", OPTIONS)
def test_calibration_maps_the_measured_points_to_the_same_scores_for_every_option(option: str) -> None:
    anchors = calibration.ANCHORS[option]
    points = [anchors.unrelated_p50, anchors.unrelated_p99, anchors.related_p10, anchors.related_p50]
    assert calibration.scores(np.array(points), option).tolist() == pytest.approx([20, 50, 65, 80])
    raw = np.linspace(-1, 1, 201)
    mapped = calibration.scores(raw, option)
    assert np.all(np.diff(mapped) >= 0) and mapped[0] == 0 and mapped[-1] == 100
    for level, score in (("low", 50.0), ("medium", 65.0), ("high", 80.0)):
        assert calibration.scores(np.array([calibration.raw_floor(score, option)]), option)[0] == pytest.approx(score)
        assert calibration.confidence(score) == level
    assert calibration.confidence(calibration.verbatim_score(0.0)) == "high"
    assert calibration.verbatim_score(5 / 16) == pytest.approx(93.125)


def test_the_confidence_knob_moves_every_cut_point() -> None:
    assert calibration.confidence(72, shift=calibration.cut_shift(0.0)) == "high"
    assert calibration.confidence(72, shift=calibration.cut_shift(1.0)) == "low"
    assert calibration.cut_shift(0.5) == 0


def test_lexical_matching_ignores_case_accents_punctuation_and_lost_spaces() -> None:
    assert normalise("Crème BRÛLÉE, s'il-vous plaît!") == "creme brulee s il vous plait"
    assert squash("STUDY ABROAD  Paris") == "studyabroadparis"
    corpus = "throw like a girl\nthrowing things"
    assert list(find_phrase(corpus, "throw")) == [0]  # not inside "throwing"
    assert list(find_phrase(corpus, "like a girl")) == [6]
    assert list(find_phrase(corpus, "girl throwing")) == []  # never across items


def hits(rows: list[int], scores: list[float], option: str = CONVERSATION) -> Hits:
    rows_array = np.array(rows, dtype=np.int64)
    return Hits.of_option(option, rows_array, np.array(scores), rows_array * 4.0 + 1, rows_array * 4.0 + 3)


def test_hit_operators() -> None:
    a, b = hits([1, 2, 5], [60, 70, 90]), hits([2, 5, 7], [80, 55, 66], TEXT_IN_VIDEO)
    either = union([a, b])
    assert either.rows.tolist() == [1, 2, 5, 7] and either.score.tolist() == [60, 80, 90, 66]
    assert either.by_option[CONVERSATION].tolist() == [60, 70, 90, 0]
    both = intersection([a, b])
    assert both.rows.tolist() == [2, 5] and both.score.tolist() == [70, 55]
    assert difference(a, b).rows.tolist() == [1]
    assert len(intersection([a, Hits.empty()])) == 0 and union([Hits.empty(), a]).rows.tolist() == [1, 2, 5]
    # then: rows 0-3 are video 0, 4-7 video 1; a row of the second part must follow one of the first.
    video, start = np.array([0, 0, 0, 0, 1, 1, 1, 1]), np.array([0, 4, 8, 12, 0, 4, 8, 12], dtype=float)
    ordered = in_order([hits([1, 6], [70, 70]), hits([2, 4], [75, 75])], video, start)
    assert ordered.rows.tolist() == [1, 2]  # video 1 has its second part (row 4) before its first (row 6)
    assert len(in_order([hits([2], [70]), hits([1], [70])], video, start)) == 0


def small_matrices(videos: int = 2, per_video: int = 5) -> matrix.IndexMatrices:
    n = videos * per_video
    segment_start = np.tile(np.arange(per_video) * 4.0, videos)
    return matrix.IndexMatrices(
        index_id="i", version=0, videos=tuple(f"v{n}" for n in range(videos)), video_duration=np.full(videos, 20.0),
        segment_id=np.arange(n), segment_video=np.repeat(np.arange(videos), per_video).astype(np.int32),
        segment_start=segment_start, segment_end=segment_start + 4, speech_start=np.full(n, np.nan),
        speech_end=np.full(n, np.nan), options={}, speech=speech_corpus([]), texts=matrix.span_table([]),
        logos=matrix.span_table([]),
    )  # fmt: skip


def test_adjacent_hits_of_one_video_merge_into_one_tight_clip() -> None:
    m = small_matrices()
    found = hits([1, 2, 4, 5, 8], [60, 85, 70, 90, 30])
    clips = form_clips(m, found)
    # Rows 4 and 5 are adjacent but in two videos; row 8 scores under `low`: its own clip.
    assert clips.first_row.tolist() == [1, 4, 5, 8] and clips.last_row.tolist() == [2, 4, 5, 8]
    assert clips.start.tolist() == [5, 17, 21, 33] and clips.end.tolist() == [11, 19, 23, 35]
    assert clips.score.tolist() == [85, 70, 90, 30]
    ordered = order_clips(clips, sort_option="score")
    assert ordered.score.tolist() == [90, 85, 70, 30]
    groups = video_groups(ordered, sort_option="score")
    assert [ordered.video[g].tolist() for g in groups] == [[1, 1], [0, 0]]
    by_count = order_clips(form_clips(m, hits([0, 2, 6], [60, 61, 99])), sort_option="clip_count")
    assert by_count.video.tolist() == [0, 0, 1]


def spec(**changes: Any) -> SearchSpec:
    query = Node("or", (Leaf(text="pasta", options=(CONVERSATION,)), Leaf(image_vector=(0.6, 0.8))))
    return SearchSpec(query=query, index_ids=("i1",), options=(CONVERSATION, VISUAL), **changes)


def test_page_tokens_round_trip_and_refuse_tampering(settings: Any) -> None:
    cursor = tokens.new_cursor(spec(filter={"duration": {"gte": 3}}, threshold="medium"), [7])
    token = tokens.encode(cursor.moved(20))
    back = tokens.decode(token, team_ids=[7])
    assert back.offset == 20 and back.spec.threshold == "medium" and back.spec.filter == {"duration": {"gte": 3}}
    leaf = back.spec.query.children[1]
    assert np.allclose(leaf.image_vector, (0.6, 0.8), atol=1e-3)
    with pytest.raises(Exception) as other_team:
        tokens.decode(token, team_ids=[8])
    assert other_team.value.code == "parameter_invalid"
    with pytest.raises(Exception) as tampered:
        tokens.decode(token.replace(token[5], "A" if token[5] != "A" else "B"), team_ids=[7])
    assert tampered.value.code == "parameter_invalid"
    with pytest.raises(ValueError):
        tokens.encode(tokens.new_cursor(SearchSpec(Leaf(image=b"png"), ("i",), (VISUAL,)), [7]))


@pytest.mark.django_db
def test_matrices_are_cached_per_content_version(team_key: tuple[Any, str]) -> None:
    index = IndexFactory(team=team_key[0].team)
    video = Video.objects.create(
        index=index, filename="a.mp4", sha256="x", duration=8.0, fps=25, width=640, height=360, size=1,
        indexed_at="2026-01-01T00:00:00Z", skipped={"visual": "no model"},
        transcript=[{"start": 0.5, "end": 1.5, "value": "Hello there",
                     "words": [[0.5, 0.9, "Hello"], [1.0, 1.5, "there"]]}],
        texts=[{"start": 4.0, "end": 8.0, "value": "SALE", "box": None, "confidence": 1.0}],
    )  # fmt: skip
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    Segment.objects.create(video=video, index=index, position=0, start=0, end=4, transcript="Hello there",
                           conversation_vector=vector_to_bytes(vector))  # fmt: skip
    Segment.objects.create(video=video, index=index, position=1, start=4, end=8, text_vector=vector_to_bytes(vector))
    matrix.clear_cache()
    first = matrix.index_matrices(index.id)
    assert matrix.index_matrices(index.id) is first  # unchanged version: the same object
    assert first.segment_video.tolist() == [0, 0] and first.videos == (video.id,)
    assert first.options[CONVERSATION].rows.tolist() == [0] and first.options[TEXT_IN_VIDEO].rows.tolist() == [1]
    vectors = first.options[CONVERSATION].vectors
    assert vectors.dtype == np.float16 and np.linalg.norm(vectors[0].astype(float)) == pytest.approx(1.0, abs=1e-3)
    assert first.options[CONVERSATION].similarities(vector) == pytest.approx([1.0], abs=1e-3)
    assert similarities(vectors, np.stack([vector, -vector]))[0].tolist() == pytest.approx([1, -1], abs=1e-3)
    assert first.speech.phrase_words("Hello, there!")[0].tolist() == [0] and first.speech_start.tolist()[0] == 0.5
    assert np.isnan(first.speech_start[1]) and first.texts.values == ("SALE",)
    assert first.skipped == {"visual": "no model"} and not first.has_content(VISUAL)
    Index.objects.filter(id=index.id).update(content_version=first.version + 1)
    assert matrix.index_matrices(index.id) is not first
