"""From an index's search matrices (search.matrix) to the grid and channels scoring needs.

Classification reads exactly what search reads: the same per-process matrices, the same
prompt-vector cache and the same calibration, so a clip score of 80 here means what a
search score of 80 means. Prompts are embedded once per distinct text per request (and
then served from search's LRU); the segment matrices are never copied for a whole index.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from core.errors import ApplicationError
from engines.base import CONVERSATION, TEXT_IN_VIDEO, VISUAL, EngineError
from search.public import IndexMatrices, calibration, normalise, text_vectors, visual_calibration, visual_text_vector
from taxonomy.params import ClassSpec
from taxonomy.scoring import Channel, Grid, ScoringClass

EXACT = "conversation:exact"


class SearchCalibration:
    """Search's calibration, so that a classification score means what a search score means."""

    def scores(self, option: str, similarities: np.ndarray) -> np.ndarray:
        return calibration.scores(similarities, _key(option))

    def floor(self, option: str, score: float) -> float:
        return calibration.raw_floor(score, _key(option))


def _key(option: str) -> str:
    """Visual similarities are calibrated for the engine's visual model (CLIP or concepts)."""
    return visual_calibration() if option == VISUAL else option


SEARCH_CALIBRATION = SearchCalibration()


@dataclass(frozen=True)
class Evidence:
    grid: Grid
    channels: list[Channel]
    classes: list[ScoringClass]
    # option -> why it contributed nothing (no model, never indexed): said in the response.
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Selection:
    codes: np.ndarray  # video codes in the grid, ascending
    rows: np.ndarray | None  # segment rows kept, ascending; None: every row (no copy)
    new_row: np.ndarray | None  # segment row -> grid row (-1: not kept); None: identity


def _select(matrices: IndexMatrices, video_ids: Collection[str] | None) -> _Selection:
    counts = np.bincount(matrices.segment_video, minlength=len(matrices.videos))
    wanted = np.ones(len(matrices.videos), dtype=bool)
    if video_ids is not None:
        wanted[:] = False
        wanted[[matrices.video_code[v] for v in video_ids if v in matrices.video_code]] = True
    # A video without segments has nothing to score, and would break the per-video sums.
    wanted &= counts > 0
    codes = np.nonzero(wanted)[0]
    if wanted.sum() == int((counts > 0).sum()) and len(matrices.segment_video) == counts[codes].sum():
        return _Selection(codes=codes, rows=None, new_row=None)
    rows = np.nonzero(wanted[matrices.segment_video])[0]
    new_row = np.full(len(matrices.segment_video), -1, dtype=np.int64)
    new_row[rows] = np.arange(len(rows))
    return _Selection(codes=codes, rows=rows, new_row=new_row)


def _grid(matrices: IndexMatrices, selection: _Selection) -> Grid:
    rows = selection.rows
    video = matrices.segment_video if rows is None else matrices.segment_video[rows]
    counts = np.bincount(video, minlength=len(matrices.videos))[selection.codes]
    return Grid(
        video_ids=tuple(matrices.videos[code] for code in selection.codes),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        starts=matrices.segment_start if rows is None else matrices.segment_start[rows],
        ends=matrices.segment_end if rows is None else matrices.segment_end[rows],
        durations=matrices.video_duration[selection.codes],
    )


def _prompt_columns(specs: Sequence[ClassSpec], key_of: dict[int, list[str]]) -> dict[str, list[str]]:
    """channel key -> its distinct prompts, in first-use order."""
    prompts: dict[str, dict[str, None]] = {}
    for number, spec in enumerate(specs):
        for key in key_of[number]:
            prompts.setdefault(key, {}).update(dict.fromkeys(spec.prompts))
    return {key: list(values) for key, values in prompts.items()}


def _channel_keys(spec: ClassSpec) -> list[str]:
    keys = []
    for option in spec.options:
        if option == CONVERSATION and spec.conversation_option == "exact_match":
            keys.append(EXACT)
        elif option in (VISUAL, CONVERSATION, TEXT_IN_VIDEO):
            keys.append(option)
    return keys


def _semantic_channel(
    matrices: IndexMatrices, selection: _Selection, option: str, prompts: list[str], queries: np.ndarray
) -> Channel | None:
    matrix = matrices.options.get(option)
    if matrix is None or not len(matrix.rows):
        return None
    if queries.shape[1] != matrix.dimensions:
        raise ApplicationError(
            f"The {option} vectors of this index have {matrix.dimensions} dimensions but the configured model "
            f"makes {queries.shape[1]}: the index was built with another model; re-index its videos.",
            code="search_model_mismatch",
        )
    rows, vectors = matrix.in_row_order()
    if selection.new_row is None:
        rows = rows.astype(np.int64)
    else:
        mapped = selection.new_row[rows]
        keep = mapped >= 0
        rows, vectors = mapped[keep], vectors[keep]
    return Channel(key=option, option=option, rows=rows, matrix=vectors, prompts=tuple(prompts), queries=queries)


def _exact_channel(matrices: IndexMatrices, selection: _Selection, prompts: list[str]) -> Channel | None:
    """Where each prompt was said word for word; scored like search's verbatim matches."""
    corpus = matrices.speech
    if not len(corpus) or not len(matrices.segment_start):
        return None
    # The segment of each word: the one holding its midpoint (as the engine assigns words).
    span = float(max(matrices.segment_end.max(), corpus.word_end.max())) + 1.0
    segment_keys = matrices.segment_video * span + matrices.segment_start
    middles = (corpus.word_start.astype(np.float64) + corpus.word_end) / 2
    word_row = np.searchsorted(segment_keys, corpus.word_video * span + middles, side="right") - 1
    word_row = np.maximum(word_row, 0)
    words_in_row = np.bincount(word_row, minlength=len(matrices.segment_start))
    found: dict[int, np.ndarray] = {}
    for column, prompt in enumerate(prompts):
        phrase = normalise(prompt)
        length = len(phrase.split())
        for word in corpus.phrase_words(phrase)[0].tolist():
            row = int(word_row[word])
            if selection.new_row is not None:
                row = int(selection.new_row[row])
                if row < 0:
                    continue
            score = calibration.verbatim_score(length / max(int(words_in_row[word_row[word]]), length))
            scores = found.setdefault(row, np.zeros(len(prompts), dtype=np.float32))
            scores[column] = max(scores[column], score)
    if not found:
        return None
    rows = np.array(sorted(found), dtype=np.int64)
    return Channel(
        key=EXACT,
        option=CONVERSATION,
        rows=rows,
        matrix=np.stack([found[int(row)] for row in rows]),
        prompts=tuple(prompts),
    )


def _visual_queries(prompts: list[str]) -> np.ndarray:
    return np.stack([visual_text_vector(prompt) for prompt in prompts])


def build_evidence(
    matrices: IndexMatrices, specs: Sequence[ClassSpec], *, video_ids: Collection[str] | None = None
) -> Evidence:
    """Grid, channels and scoring classes for `specs` over the index's (selected) ready videos.

    An option that cannot contribute is reported in `skipped`; if the only options asked
    for are visual and there is no visual model (now, or when the videos were indexed),
    that is an error the client must see, not an empty result.
    """
    selection = _select(matrices, video_ids)
    grid = _grid(matrices, selection)
    keys = {number: _channel_keys(spec) for number, spec in enumerate(specs)}
    prompts = _prompt_columns(specs, keys)
    skipped: dict[str, str] = {}
    channels: list[Channel] = []
    for key, texts in prompts.items():
        option = CONVERSATION if key == EXACT else key
        if option in matrices.skipped:
            skipped[option] = matrices.skipped[option]
            continue
        if key == EXACT:
            channel = _exact_channel(matrices, selection, texts)
        elif key == VISUAL:
            if VISUAL not in matrices.options:
                skipped[VISUAL] = (
                    "No video of this index has visual vectors: the visual model recognised nothing in them, "
                    "or they were indexed without one."
                )
                continue
            try:
                queries = _visual_queries(texts)
            except EngineError as error:
                skipped[VISUAL] = error.message
                continue
            channel = _semantic_channel(matrices, selection, key, texts, queries)
        else:
            channel = _semantic_channel(matrices, selection, key, texts, text_vectors(texts))
        if channel is not None:
            channels.append(channel)
    wanted = {option for spec in specs for option in spec.options}
    if VISUAL in skipped and wanted == {VISUAL}:
        raise ApplicationError(
            f"Only the visual option was requested, and it is unavailable: {skipped[VISUAL]} "
            "Add conversation or text_in_video to the options to classify by what is said or shown as text.",
            code="visual_model_unavailable",
        )
    columns = {key: {prompt: column for column, prompt in enumerate(texts)} for key, texts in prompts.items()}
    classes = [
        ScoringClass(
            name=spec.name,
            columns={key: tuple(columns[key][prompt] for prompt in spec.prompts) for key in keys[number]},
            parent=spec.parent,
        )
        for number, spec in enumerate(specs)
    ]
    return Evidence(grid=grid, channels=channels, classes=classes, skipped=skipped)
