"""One query text (or image) against one option of one index: the rows that pass, and why.

Semantic scoring is one matrix-vector product over the option's matrix, cut at the
raw cosine that maps to the threshold score (calibration.raw_floor), so only passing
rows are calibrated and carried on. Lexical scoring scans one normalised string per
kind with `str.find` (text.py). Both return `Hits` (hits.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.errors import ApplicationError
from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL, EngineError
from search import calibration
from search.embeddings import composed_vector, image_vector, text_vectors, visual_calibration, visual_text_vector
from search.hits import Hits, union
from search.matrix import IndexMatrices, SemanticRows, SpanTable
from search.spec import Leaf
from search.text import MIN_SQUASHED, find_phrase, find_substring, normalise, squash
from search.vectors import OptionMatrix

# Rows kept per option and query when more pass the threshold (threshold=none on a big
# index): the best ones, by argpartition. Ranking and paging happen within these.
MAX_CANDIDATES = 10_000


def query_vector(leaf: Leaf, option: str) -> np.ndarray:
    """The unit query vector of a leaf in an option's space (EngineError without a visual model)."""
    if option == VISUAL and (leaf.image is not None or leaf.image_vector is not None):
        if leaf.image is not None:
            vector = image_vector(leaf.image)
        else:
            vector = np.asarray(leaf.image_vector, dtype=np.float32)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)  # tokens carry it in float16
        # An image with words about it (a v1.3 composed query).
        return composed_vector(vector, leaf.text) if leaf.text else vector
    if option == VISUAL:
        return visual_text_vector(leaf.text)
    return text_vectors([leaf.text])[0]


def _query_vector(matrix: OptionMatrix, leaf: Leaf, option: str) -> np.ndarray:
    vector = query_vector(leaf, option)
    if vector.shape[0] != matrix.dimensions:
        raise ApplicationError(
            f"The {option} vectors of this index have {matrix.dimensions} dimensions but the configured model "
            f"makes {vector.shape[0]}: the index was built with another model; re-index its videos.",
            code="search_model_mismatch",
        )
    return vector


def semantic_hits(
    m: IndexMatrices, leaf: Leaf, option: str, *, floor_score: float, allowed: np.ndarray | None = None
) -> Hits:
    """Rows whose `option` vector passes the floor, best MAX_CANDIDATES among the `allowed` rows
    (a boolean mask over the matrix's segment rows; None: all): filters apply before the cut."""
    key = visual_calibration() if option == VISUAL else option
    if m.semantic is not None:
        # A vector backend (pg_backend.py) already cut them, inside the database, filters first.
        found = m.semantic.get((leaf, option))
        if isinstance(found, EngineError):
            raise found
        if found is None or not len(found.segment_id):
            return Hits.empty()
        rows = found.segment_id
        if allowed is not None:
            keep = allowed[rows]
            rows, found = rows[keep], SemanticRows(rows[keep], found.cosine[keep], found.start[keep], found.end[keep])
        return Hits.of_option(option, rows, calibration.scores(found.cosine, key), found.start, found.end)
    matrix = m.options.get(option)
    if matrix is None or not len(matrix.rows):
        return Hits.empty()
    floor = calibration.raw_floor(floor_score, key)
    mask = None if allowed is None else allowed[matrix.rows]
    passing, similarity = matrix.passing(_query_vector(matrix, leaf, option), floor, MAX_CANDIDATES, allowed=mask)
    rows = matrix.rows[passing].astype(np.int64)
    scores = calibration.scores(similarity, key)
    if option == CONVERSATION:
        # Tight around the words the segment's vector embedded.
        start = np.where(np.isnan(m.speech_start[rows]), m.segment_start[rows], m.speech_start[rows])
        end = np.where(np.isnan(m.speech_end[rows]), m.segment_end[rows], m.speech_end[rows])
    elif option == TEXT_IN_VIDEO:
        start, end = _span_bounds(m, m.texts, rows)
    else:
        start, end = m.segment_start[rows], m.segment_end[rows]
    return Hits.of_option(option, rows, scores, start, end)


def _rows_of_video(m: IndexMatrices, video: int) -> tuple[int, int]:
    """First and past-the-end segment rows of a video (rows are grouped by video)."""
    return (
        int(np.searchsorted(m.segment_video, video, side="left")),
        int(np.searchsorted(m.segment_video, video, side="right")),
    )


def _rows_overlapping(m: IndexMatrices, video: int, start: float, end: float) -> np.ndarray:
    first, stop = _rows_of_video(m, video)
    starts, ends = m.segment_start[first:stop], m.segment_end[first:stop]
    inside = np.flatnonzero((starts < max(end, start + 1e-3)) & (ends > start))
    return inside + first


def _span_bounds(m: IndexMatrices, table: SpanTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the time the table's spans in that segment were on screen, clamped to the segment."""
    start, end = m.segment_start[rows].copy(), m.segment_end[rows].copy()
    # Spans are stored grouped by video code (matrix.build_index_matrices), like rows.
    first = np.searchsorted(table.video, m.segment_video[rows], side="left")
    stop = np.searchsorted(table.video, m.segment_video[rows], side="right")
    for number in range(len(rows)):
        span_start, span_end = table.start[first[number] : stop[number]], table.end[first[number] : stop[number]]
        seen = (span_start < end[number]) & (span_end > start[number])
        if seen.any():
            start[number] = max(start[number], float(span_start[seen].min()))
            end[number] = min(end[number], float(span_end[seen].max()))
    return start, end


def exact_speech_hits(m: IndexMatrices, leaf: Leaf, *, floor_score: float) -> Hits:
    """The phrase spoken verbatim (case and punctuation aside): tight to its words' timestamps;
    then, where it was not said verbatim, the phrase heard one word off (speech.near_phrase_words),
    scored below every verbatim hit and kept only above `floor_score` (threshold=high: none).

    Vectorised: a common phrase can occur thousands of times in a big index.
    """
    first, last = m.speech.phrase_words(leaf.text)
    verbatim = _phrase_hits(m, first, last, calibration.verbatim_scores)
    near_first, near_last, similarity = m.speech.near_phrase_words(leaf.text)
    near = _phrase_hits(m, near_first, near_last, lambda cover: calibration.near_verbatim_scores(cover, similarity))
    if not len(near):
        return verbatim
    # A row with the words said verbatim keeps their clip; a near match would only widen it.
    return union([verbatim, near.select((near.score >= floor_score) & ~np.isin(near.rows, verbatim.rows))])


def _phrase_hits(
    m: IndexMatrices, first: np.ndarray, last: np.ndarray, scores: Callable[[np.ndarray], np.ndarray]
) -> Hits:
    """Hits of phrases said from word `first` to word `last`, scored by `scores(coverage)`, where
    coverage is the phrase's share of the speech in the cells it touches."""
    corpus = m.speech
    if not len(first) or not len(m.segment_start):
        return Hits.empty()
    video = corpus.word_video[first].astype(np.int64)
    begin = corpus.word_start[first].astype(np.float64)
    finish = corpus.word_end[last].astype(np.float64)
    # Rows are in (video, start) order: one (video, time) key finds the cells holding each end.
    span = float(max(m.segment_end.max(), finish.max())) + 1.0
    keys = m.segment_video * span + m.segment_start
    head = np.searchsorted(keys, video * span + begin, side="right") - 1
    tail = np.maximum(head, np.searchsorted(keys, video * span + np.maximum(begin, finish - 1e-6), side="right") - 1)
    spoken = np.fmax.reduce([m.speech_end[tail] - m.speech_start[head], finish - begin], axis=0)
    score = scores((finish - begin) / np.maximum(spoken, 1e-6))
    # One hit per (match, row it touches); a match rarely crosses more than one cell boundary.
    count = tail - head + 1
    match = np.repeat(np.arange(len(first)), count)
    rows = head[match] + (np.arange(len(match)) - np.repeat(np.cumsum(count) - count, count))
    starts = np.maximum(begin[match], m.segment_start[rows])
    ends = np.minimum(finish[match], m.segment_end[rows])
    return Hits.of_option(CONVERSATION, rows, score[match], starts, ends)


def _lexical_spans(table: SpanTable, query: str, *, reverse: bool = False) -> dict[int, float]:
    """span index -> coverage, for spans that contain the query verbatim (or, `reverse`, that the query contains)."""
    found: dict[int, float] = {}
    phrase, squashed = normalise(query), squash(query)
    if not phrase:
        return found
    if len(squashed) >= MIN_SQUASHED:
        for offset in find_substring(table.squashed, squashed):
            span = int(np.searchsorted(table.squashed_offsets, offset, side="right")) - 1
            found[span] = max(found.get(span, 0.0), len(squashed) / max(1, len(squash(table.values[span]))))
    else:
        for offset in find_phrase(table.words, phrase):
            span = int(np.searchsorted(table.word_offsets, offset, side="right")) - 1
            found[span] = max(found.get(span, 0.0), len(phrase) / max(1, len(normalise(table.values[span]))))
    if reverse:
        # "a man drinks Coca Cola" names the brand "Coca-Cola": the brand's share of the query.
        for span, value in enumerate(table.values):
            name = normalise(value)
            if name and span not in found and any(True for _ in find_phrase(phrase, name)):
                found[span] = len(name) / len(phrase)
    return found


def _span_hits(m: IndexMatrices, table: SpanTable, option: str, scored: dict[int, float]) -> Hits:
    """Hits on the segments each scored span overlaps, bounded by the span's time on screen."""
    rows, scores, starts, ends = [], [], [], []
    texts: dict[tuple[str, int], str] = {}
    for span, score in scored.items():
        begin, finish = float(table.start[span]), float(table.end[span])
        for row in _rows_overlapping(m, int(table.video[span]), begin, finish).tolist():
            rows.append(row)
            scores.append(score)
            starts.append(max(begin, m.segment_start[row]))
            ends.append(min(finish, m.segment_end[row]))
            previous = texts.get((option, row))
            if previous is None or previous.count("\n") < 8 and table.values[span] not in previous.split("\n"):
                texts[(option, row)] = table.values[span] if previous is None else f"{previous}\n{table.values[span]}"
    if not rows:
        return Hits.empty()
    return Hits.of_option(option, np.array(rows), np.array(scores), np.array(starts), np.array(ends), texts)


def text_hits(m: IndexMatrices, leaf: Leaf, *, floor_score: float, allowed: np.ndarray | None = None) -> Hits:
    """On-screen text: found verbatim (score >= 90), or similar in meaning (MiniLM, calibrated)."""
    lexical = {span: calibration.verbatim_score(c) for span, c in _lexical_spans(m.texts, leaf.text).items()}
    verbatim = _span_hits(m, m.texts, TEXT_IN_VIDEO, lexical)
    return union([verbatim, semantic_hits(m, leaf, TEXT_IN_VIDEO, floor_score=floor_score, allowed=allowed)])


def logo_hits(m: IndexMatrices, leaf: Leaf, *, floor_score: float) -> Hits:
    """Brand names seen on screen: named in the query, or close in meaning to it ("soft drink")."""
    table = m.logos
    if not len(table) or not leaf.text:
        return Hits.empty()
    scored = {span: calibration.verbatim_score(c) for span, c in _lexical_spans(table, leaf.text, reverse=True).items()}
    brands = sorted(set(table.values))
    similarity = text_vectors(brands) @ text_vectors([leaf.text])[0]
    brand_score = dict(zip(brands, calibration.scores(similarity, LOGO).tolist(), strict=True))
    for span, value in enumerate(table.values):
        if brand_score[value] >= floor_score and brand_score[value] > scored.get(span, 0.0):
            scored[span] = brand_score[value]
    return _span_hits(m, table, LOGO, scored)


def option_hits(
    m: IndexMatrices,
    leaf: Leaf,
    option: str,
    *,
    conversation_option: str,
    floor_score: float,
    allowed: np.ndarray | None = None,
) -> Hits:
    if option == CONVERSATION:
        if conversation_option == "exact_match":
            return exact_speech_hits(m, leaf, floor_score=floor_score)
        return semantic_hits(m, leaf, CONVERSATION, floor_score=floor_score, allowed=allowed)
    if option == TEXT_IN_VIDEO:
        return text_hits(m, leaf, floor_score=floor_score, allowed=allowed)
    if option == LOGO:
        return logo_hits(m, leaf, floor_score=floor_score)
    return semantic_hits(m, leaf, VISUAL, floor_score=floor_score, allowed=allowed)
