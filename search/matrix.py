"""Per-index, in-memory search matrices, rebuilt when the index's content changes.

`index_matrices(index_id)` is the one entry point search and classification share.
It reads `Index.content_version` (one cheap query) and returns the process's cached
`IndexMatrices` for that version, building it from the Segment and Video rows when
the version moved (indexing.store_analysis and video deletion bump it). A build
loads every ready video's segments once; afterwards a query touches no table.

Layout, chosen for the speed target (docs/search.md):
* segments are rows in (video, position) order, so adjacent rows of one video are
  adjacent cells of the time grid and clip formation is a vectorised run-length pass;
* each option keeps a C-contiguous float16 (n, d) matrix of unit vectors plus the
  segment row of every vector (`OptionMatrix`), as the database stores them. A search
  is one matrix-vector product, bound by memory bandwidth, so half the bytes of float32
  is half the time and memory. numpy has no float16 kernel, so products go through
  `similarities` (torch's float16 kernels, accumulating in float32; torch is loaded
  anyway for the query embedding). From partition.PARTITION_FROM vectors on, the
  matrix is stored in inverted lists and a query multiplies the nearest lists only;
* spoken words are token ids with posting lists (speech.py), so exact_match looks a
  phrase up instead of scanning the transcript; on-screen text and logo spans (far
  fewer) are one normalised string per kind plus numpy arrays, so a text is found with
  `str.find` over one string, not a Python loop over rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL
from library.models import Index, Segment, Video
from library.vector_codec import vector_from_bytes
from search.speech import SpeechCorpus, speech_corpus
from search.text import SEPARATOR, normalise, squash
from search.vectors import OptionMatrix, unit_matrix

# Which Segment column feeds each option's matrix. `logo` has no vector column: it is
# matched against the brand names of its spans (see scoring.py).
VECTOR_COLUMNS = {CONVERSATION: "conversation_vector", TEXT_IN_VIDEO: "text_vector", VISUAL: "visual_vector"}
# Cached matrices across all indexes, counted in segments. About 0.7 GiB per million
# segments per 384-d option (docs/search.md): beyond this the least recently searched
# index is dropped and rebuilt on its next search.
MAX_CACHED_SEGMENTS = 4_000_000


@dataclass(frozen=True)
class SpanTable:
    """On-screen text (or logo) spans: what was seen, in which video, from when to when."""

    video: np.ndarray  # int32 (s,) video codes
    start: np.ndarray  # float64 (s,)
    end: np.ndarray  # float64 (s,)
    values: tuple[str, ...]  # as read on screen (or the canonical brand name)
    words: str  # normalised values joined by SEPARATOR, for whole-word matches
    word_offsets: np.ndarray  # int64 (s,) where each value starts in `words`
    squashed: str  # space-free values joined by SEPARATOR, for OCR that lost its spaces
    squashed_offsets: np.ndarray  # int64 (s,)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class IndexMatrices:
    """Everything a query needs about one index at one content version."""

    index_id: str
    version: int
    videos: tuple[str, ...]  # video id by code
    video_duration: np.ndarray  # float64 (v,)
    segment_id: np.ndarray  # int64 (n,) Segment primary keys
    segment_video: np.ndarray  # int32 (n,) video code
    segment_start: np.ndarray  # float64 (n,)
    segment_end: np.ndarray  # float64 (n,)
    # First and last spoken word of each segment (NaN without speech): conversation clip bounds.
    speech_start: np.ndarray  # float64 (n,)
    speech_end: np.ndarray  # float64 (n,)
    options: dict[str, OptionMatrix]
    speech: SpeechCorpus
    texts: SpanTable
    logos: SpanTable
    # option -> reason, for options every ready video skipped at indexing (nothing to search).
    skipped: dict[str, str] = field(default_factory=dict)
    video_code: dict[str, int] = field(default_factory=dict)
    # Position of each segment in its video: rows of one video are adjacent cells only when
    # their positions are (a vector backend's candidates leave gaps; clips.py).
    segment_position: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # A vector backend's answers, (leaf, option) -> SemanticRows (rows of this matrix) or the
    # EngineError that stopped it; None: the options' matrices are here, search them (scoring.py).
    semantic: dict[Any, Any] | None = None
    # (ready videos, total duration) of the whole index: the search pool, even when this
    # matrix holds only a search's candidates.
    pool: tuple[int, float] = (0, 0.0)
    # A partial read (a vector backend asked for the best rows only): clips scoring at least
    # this are exactly those of the whole answer, in the same order; below it, some may be
    # missing. None: the whole answer is here.
    certain_from: float | None = None

    @property
    def segment_count(self) -> int:
        return len(self.segment_id)

    @property
    def total_duration(self) -> float:
        return self.pool[1]

    def has_content(self, option: str) -> bool:
        if option == LOGO:
            return len(self.logos) > 0
        if option == TEXT_IN_VIDEO and len(self.texts):
            return True
        if option == CONVERSATION and len(self.speech):
            return True
        matrix = self.options.get(option)
        return matrix is not None and len(matrix.rows) > 0

    def nbytes(self) -> int:
        """Bytes held by the arrays and strings (what a million segments cost, docs/search.md)."""
        arrays = [
            self.video_duration, self.segment_id, self.segment_video, self.segment_start, self.segment_end,
            self.speech_start, self.speech_end,
        ]  # fmt: skip
        for table in (self.texts, self.logos):
            arrays += [table.video, table.start, table.end, table.word_offsets, table.squashed_offsets]
        for matrix in self.options.values():
            arrays += [matrix.rows, matrix.vectors]
            if matrix.partitions is not None:
                arrays += [matrix.partitions.centroids, matrix.partitions.offsets]
        strings = sum(len(t.words) + len(t.squashed) for t in (self.texts, self.logos))
        return sum(a.nbytes for a in arrays) + strings + self.speech.nbytes


def _joined(values: list[str]) -> tuple[str, np.ndarray]:
    offsets = np.zeros(len(values), dtype=np.int64)
    position = 0
    for number, value in enumerate(values):
        offsets[number] = position
        position += len(value) + len(SEPARATOR)
    return SEPARATOR.join(values), offsets


def span_table(rows: list[tuple[int, float, float, str]]) -> SpanTable:
    """rows: (video code, start, end, value as seen)."""
    values = [value for _, _, _, value in rows]
    words, word_offsets = _joined([normalise(value) for value in values])
    squashed, squashed_offsets = _joined([squash(value) for value in values])
    return SpanTable(
        video=np.array([row[0] for row in rows], dtype=np.int32),
        start=np.array([row[1] for row in rows], dtype=np.float64),
        end=np.array([row[2] for row in rows], dtype=np.float64),
        values=tuple(values),
        words=words,
        word_offsets=word_offsets,
        squashed=squashed,
        squashed_offsets=squashed_offsets,
    )


def speech_bounds(
    corpus: SpeechCorpus, segment_video: np.ndarray, segment_start: np.ndarray, segment_end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First word start and last word end of each segment, a word going to the segment holding its midpoint.

    The engine assigns words to cells the same way (engines/local/segments.py), so these
    are the bounds of exactly the words the segment's conversation vector embedded.
    """
    first = np.full(len(segment_start), np.nan)
    last = np.full(len(segment_start), np.nan)
    if not len(corpus) or not len(segment_start):
        return first, last
    # Rows are in (video, start) order, so a (video, time) key sorts segments and words alike.
    span = float(max(segment_end.max(), corpus.word_end.max())) + 1.0
    segment_keys = segment_video * span + segment_start
    middles = (corpus.word_start.astype(np.float64) + corpus.word_end) / 2
    word_keys = corpus.word_video * span + middles
    rows = np.searchsorted(segment_keys, word_keys, side="right") - 1
    valid = rows >= 0
    valid[valid] &= segment_video[rows[valid]] == corpus.word_video[valid]
    rows = rows[valid]
    np.fmin.at(first, rows, corpus.word_start[valid].astype(np.float64))
    np.fmax.at(last, rows, corpus.word_end[valid].astype(np.float64))
    return first, last


def _vector_matrix(rows: list[int], vectors: list[np.ndarray]) -> OptionMatrix | None:
    if not rows:
        return None
    return OptionMatrix.of(np.array(rows, dtype=np.int32), unit_matrix(np.stack(vectors)))


@dataclass(frozen=True)
class SemanticRows:
    """A vector backend's answer to one (query, option): segments with their raw cosine (>= the
    threshold's floor, best first) and the bounds of the evidence in each (library/evidence.py)."""

    segment_id: np.ndarray  # int64
    cosine: np.ndarray  # float32
    start: np.ndarray  # float64
    end: np.ndarray  # float64


def build_index_matrices(
    index_id: str, version: int, *, video_ids: list[str] | None = None, skipped: dict[str, str] | None = None
) -> IndexMatrices:
    """Load every ready video's segments, words and spans of the index (or of `video_ids`) from the database."""
    videos = Video.objects.filter(index_id=index_id, indexed_at__isnull=False)
    segments = Segment.objects.filter(index_id=index_id, video__indexed_at__isnull=False)
    if video_ids is not None:
        videos = videos.filter(id__in=video_ids)
        segments = segments.filter(video_id__in=video_ids)
    video_rows = list(videos.order_by("id").values_list("id", "duration", "transcript", "texts", "logos", "skipped"))
    segment_rows = (
        segments.order_by("video_id", "position")
        .values_list("id", "video_id", "position", "start", "end", *VECTOR_COLUMNS.values())
        .iterator(chunk_size=2000)
    )
    if skipped is None:
        # An option is "skipped" for search when every ready video skipped it: then there is
        # nothing to search and the caller must say why instead of answering with no hits.
        skipped_by: dict[str, list[str]] = {}
        for row in video_rows:
            for option, reason in (row[5] or {}).items():
                skipped_by.setdefault(option, []).append(str(reason))
        skipped = {
            option: reasons[0]
            for option, reasons in skipped_by.items()
            if video_rows and len(reasons) == len(video_rows)
        }
    return assemble_matrices(
        index_id, version=version, video_rows=[row[:5] for row in video_rows], segment_rows=segment_rows,
        skipped=skipped, with_vectors=True,
    )  # fmt: skip


def assemble_matrices(
    index_id: str,
    *,
    version: int,
    video_rows: list[tuple[Any, ...]],
    segment_rows: Iterable[tuple[Any, ...]],
    skipped: dict[str, str],
    with_vectors: bool = False,
    semantic: dict[Any, Any] | None = None,
    pool: tuple[int, float] | None = None,
) -> IndexMatrices:
    """IndexMatrices from (id, duration, transcript, texts, logos) video rows in id order and
    (id, video id, position, start, end[, vector bytes per VECTOR_COLUMNS]) segment rows in
    (video, position) order: a whole index (build_index_matrices) or a vector backend's
    candidates (pg_backend.py)."""
    videos = tuple(row[0] for row in video_rows)
    code = {video_id: number for number, video_id in enumerate(videos)}
    words: list[tuple[int, float, float, str]] = []
    texts: list[tuple[int, float, float, str]] = []
    logos: list[tuple[int, float, float, str]] = []
    for video_id, _, transcript, seen, brands in video_rows:
        number = code[video_id]
        for line in transcript or []:
            for start, end, word in line.get("words") or [[line["start"], line["end"], line["value"]]]:
                words.append((number, float(start), float(end), str(word)))
        texts += [(number, float(s["start"]), float(s["end"]), str(s["value"])) for s in seen or []]
        logos += [(number, float(s["start"]), float(s["end"]), str(s["value"])) for s in brands or []]

    ids, video_codes, positions, starts, ends = [], [], [], [], []
    by_option: dict[str, tuple[list[int], list[np.ndarray]]] = {option: ([], []) for option in VECTOR_COLUMNS}
    for segment_id, video_id, position, start, end, *vectors in segment_rows:
        if video_id not in code:  # became ready after the video list was read: next version has it
            continue
        ids.append(segment_id)
        video_codes.append(code[video_id])
        positions.append(position)
        starts.append(start)
        ends.append(end)
        for option, data in zip(VECTOR_COLUMNS, vectors if with_vectors else (), strict=False):
            vector = vector_from_bytes(data)
            if vector is not None:
                by_option[option][0].append(len(ids) - 1)
                by_option[option][1].append(vector)

    segment_id = np.array(ids, dtype=np.int64)
    segment_video = np.array(video_codes, dtype=np.int32)
    segment_start = np.array(starts, dtype=np.float64)
    segment_end = np.array(ends, dtype=np.float64)
    speech = speech_corpus(words)
    speech_start, speech_end = speech_bounds(speech, segment_video, segment_start, segment_end)
    options = {option: m for option, (r, v) in by_option.items() if (m := _vector_matrix(r, v)) is not None}
    durations = np.array([row[1] for row in video_rows], dtype=np.float64)
    return IndexMatrices(
        index_id=index_id,
        version=version,
        videos=videos,
        video_duration=durations,
        segment_id=segment_id,
        segment_video=segment_video,
        segment_start=segment_start,
        segment_end=segment_end,
        speech_start=speech_start,
        speech_end=speech_end,
        options=options,
        speech=speech,
        texts=span_table(texts),
        logos=span_table(logos),
        skipped=skipped,
        video_code=code,
        segment_position=np.array(positions, dtype=np.int64),
        semantic=_semantic_rows(semantic, segment_id),
        pool=pool if pool is not None else (len(videos), float(durations.sum())),
    )


def _semantic_rows(semantic: dict[Any, Any] | None, segment_id: np.ndarray) -> dict[Any, Any] | None:
    """The backend's candidates with segment ids turned into rows of this matrix."""
    if semantic is None:
        return None
    order = np.argsort(segment_id)
    rows: dict[Any, Any] = {}
    for key, found in semantic.items():
        if isinstance(found, SemanticRows):
            at = (
                order[np.searchsorted(segment_id[order], found.segment_id)]
                if len(found.segment_id)
                else found.segment_id
            )
            found = SemanticRows(np.asarray(at, dtype=np.int64), found.cosine, found.start, found.end)
        rows[key] = found
    return rows


class _Cache:
    """index id -> IndexMatrices, least recently used first; one build per index at a time."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, IndexMatrices] = OrderedDict()
        self._lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}

    def get(self, index_id: str, version: int) -> IndexMatrices:
        with self._lock:
            cached = self._entries.get(index_id)
            if cached is not None and cached.version == version:
                self._entries.move_to_end(index_id)
                return cached
            build_lock = self._build_locks.setdefault(index_id, threading.Lock())
        with build_lock:
            # Another thread may have built this version while we waited.
            with self._lock:
                cached = self._entries.get(index_id)
            if cached is not None and cached.version >= version:
                return cached
            built = build_index_matrices(index_id, version)
            with self._lock:
                self._entries[index_id] = built
                self._entries.move_to_end(index_id)
                self._evict()
            return built

    def _evict(self) -> None:
        total = sum(entry.segment_count for entry in self._entries.values())
        while len(self._entries) > 1 and total > MAX_CACHED_SEGMENTS:
            _, dropped = self._entries.popitem(last=False)
            total -= dropped.segment_count

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _Cache()


def index_matrices(index_id: str) -> IndexMatrices:
    """The index's matrices at its current content version (built on first use, then cached).

    Raises Index.DoesNotExist for an unknown id; callers check team access first.
    """
    version = Index.objects.filter(id=index_id).values_list("content_version", flat=True).first()
    if version is None:
        raise Index.DoesNotExist(index_id)
    return _cache.get(index_id, version)


def clear_cache() -> None:
    """Forget every cached matrix (tests; a process never needs it: versions keep caches honest)."""
    _cache.clear()
