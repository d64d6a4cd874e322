"""The search service: a `SearchSpec` over one or more indexes -> ranked clips -> pages.

    outcome = search_run(spec=spec, indexes=[index])
    moments = outcome.page(offset=0, limit=spec.page_limit)

Every page of a search is answered by running it again from its spec (page tokens
carry the spec, tokens.py). On unchanged content the order is deterministic, so pages
neither repeat nor skip; the whole run costs about as much as the first page did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from core.errors import ApplicationError
from engines.base import CONVERSATION, ENGINE_OPTIONS, LOGO, TEXT_IN_VIDEO, VISUAL, EngineError
from library.models import Index, Segment
from search import backend, calibration
from search.clips import ClipSet, concatenate, form_clips, order_clips, video_groups
from search.filters import allowed_videos
from search.hits import Hits, difference, in_order, intersection, union
from search.matrix import IndexMatrices
from search.scoring import MAX_CANDIDATES, option_hits
from search.spec import Leaf, Query, SearchSpec, leaves

# What each option's metadata is called in a hit (Twelve Labs' `metadata[].type`).
OPTION_ORDER = (VISUAL, CONVERSATION, TEXT_IN_VIDEO, LOGO)


@dataclass(frozen=True)
class Moment:
    index_id: str
    video_id: str
    start: float
    end: float
    score: float
    confidence: str
    modules: tuple[tuple[str, str], ...]  # (option, confidence), strongest first
    metadata: tuple[tuple[str, str | None], ...]  # (option, matched text or None), strongest first


@dataclass(frozen=True)
class VideoGroup:
    index_id: str
    video_id: str
    clips: tuple[Moment, ...]


@dataclass(frozen=True)
class Pool:
    """What was searched: Twelve Labs' `search_pool`."""

    index_id: str
    total_count: int  # ready videos
    total_duration: float


def _leaf_options(spec: SearchSpec, leaf: Leaf) -> tuple[str, ...]:
    return leaf.options if leaf.options is not None else spec.options


def _unsearchable(m: IndexMatrices, option: str) -> bool:
    """Every ready video skipped the option at indexing: there is nothing to search."""
    return option in m.skipped and not m.has_content(option)


def check_spec(spec: SearchSpec, index: Index, m: IndexMatrices) -> None:
    """400 with a code and what to do, for options this index cannot search.

    A skipped option is an error only when it is all a query asks for: `visual` with
    `conversation` on an index whose videos skipped visual searches conversation.
    """
    enabled = index.embedding_options
    for leaf in leaves(spec.query):
        options = _leaf_options(spec, leaf)
        usable = [option for option in options if not _unsearchable(m, option)]
        for option in options:
            if option not in ENGINE_OPTIONS:
                raise ApplicationError(
                    f"Unknown search option {option!r}; use any of {', '.join(ENGINE_OPTIONS)}.",
                    code="parameter_invalid",
                )
            if option not in enabled:
                raise ApplicationError(
                    f"The index {index.id} was created without the {option} option; search it with "
                    f"{', '.join(sorted(enabled)) or 'no option'} or create an index with {option} enabled.",
                    code="index_option_not_enabled",
                )
            if not usable and _unsearchable(m, option):
                code = "visual_model_unavailable" if option == VISUAL else "search_option_skipped"
                raise ApplicationError(
                    f"The {option} option was skipped when the videos of index {index.id} were indexed "
                    f"({m.skipped[option]}). Search other options, or fix that and re-index the videos.",
                    code=code,
                )


def _leaf_hits(m: IndexMatrices, leaf: Leaf, spec: SearchSpec, floor: float, allowed: np.ndarray | None) -> Hits:
    conversation_option = leaf.conversation_option or spec.conversation_option
    options = [option for option in _leaf_options(spec, leaf) if not _unsearchable(m, option)]
    parts = []
    for option in options:
        try:
            parts.append(
                option_hits(
                    m, leaf, option, conversation_option=conversation_option, floor_score=floor, allowed=allowed
                )
            )
        except EngineError as exc:
            # This process cannot embed the query for one option (its visual model is
            # missing): the other options still answer; alone, the error is the answer.
            if exc.code != "visual_model_unavailable" or len(options) == 1:
                raise
    return union(parts) if spec.operator == "or" else intersection(parts)


def _evaluate(m: IndexMatrices, query: Query, spec: SearchSpec, floor: float, allowed: np.ndarray | None) -> Hits:
    if isinstance(query, Leaf):
        return _leaf_hits(m, query, spec, floor, allowed)
    parts = [_evaluate(m, child, spec, floor, allowed) for child in query.children]
    if query.operator == "and":
        return intersection(parts)
    if query.operator == "not":
        return difference(parts[0], union(parts[1:]))
    if query.operator == "then":
        return in_order(parts, m.segment_video, m.segment_start)
    return union(parts)


def search_floor(spec: SearchSpec) -> float:
    """The score a hit must reach: the threshold's, moved by adjust_confidence_level."""
    floor = calibration.THRESHOLDS[spec.threshold]
    if floor > 0:
        floor += calibration.cut_shift(spec.adjust_confidence_level)
    return floor


def _index_hits(m: IndexMatrices, spec: SearchSpec) -> Hits:
    # The filter restricts the rows before any option is cut to its best candidates, so a
    # selective filter still gets every row above the threshold (scoring.MAX_CANDIDATES).
    mask = allowed_videos(m, spec.filter)
    allowed = mask[m.segment_video] if mask is not None else None
    try:
        hits = _evaluate(m, spec.query, spec, search_floor(spec), allowed)
    except EngineError as exc:
        raise ApplicationError(exc.message, code=exc.code) from exc
    if mask is not None and len(hits):
        hits = hits.select(mask[m.segment_video[hits.rows]])
    return hits


class SearchOutcome:
    """The ranked clips of a search, materialised page by page.

    `complete`: every clip of the answer is here. A page-driven search (search_run's `need`)
    may hold only the best ones: `certain` of them are exactly the answer's first clips, and
    `total_results` counts the clips found so far (a lower bound).
    """

    def __init__(self, spec: SearchSpec, matrices: list[IndexMatrices], hits: list[Hits], clips: ClipSet) -> None:
        self.spec = spec
        self.matrices = matrices
        self.hits = hits
        self.clips = order_clips(clips, sort_option=spec.sort_option)
        self.groups = video_groups(self.clips, sort_option=spec.sort_option) if spec.group_by == "video" else None
        self._shift = calibration.cut_shift(spec.adjust_confidence_level)
        bounds = [m.certain_from for m in matrices if m.certain_from is not None]
        self.complete = not bounds
        # Clips are best first: the certain ones are a prefix (strictly above every unseen row).
        self.certain = len(self.clips) if not bounds else int((self.clips.score > max(bounds)).sum())

    @property
    def total_results(self) -> int:
        return len(self.groups) if self.groups is not None else len(self.clips)

    def more_after(self, position: int) -> bool:
        """Whether the answer goes on past `position` (a partial one may, beyond what it holds)."""
        return position < self.total_results or not self.complete

    def pools(self) -> list[Pool]:
        return [Pool(m.index_id, m.pool[0], round(m.total_duration, 3)) for m in self.matrices]

    def page(self, *, offset: int, limit: int) -> list[Moment] | list[VideoGroup]:
        if self.groups is None:
            return self._moments(list(range(offset, min(offset + limit, len(self.clips)))))
        groups = self.groups[offset : offset + limit]
        moments = self._moments([int(p) for group in groups for p in group])
        result, used = [], 0
        for group in groups:
            clips = tuple(moments[used : used + len(group)])
            used += len(group)
            result.append(VideoGroup(clips[0].index_id, clips[0].video_id, clips))
        return result

    def _moments(self, positions: list[int]) -> list[Moment]:
        clips = self.clips
        transcripts = self._transcripts(positions)
        moments = []
        for p in positions:
            m, hits = self.matrices[clips.source[p]], self.hits[clips.source[p]]
            rows = range(int(clips.first_row[p]), int(clips.last_row[p]) + 1)
            found = sorted(
                ((float(values[p]), option) for option, values in clips.option_score.items() if values[p] > 0),
                key=lambda pair: (-pair[0], OPTION_ORDER.index(pair[1])),
            )
            metadata = []
            for _, option in found:
                if option == CONVERSATION:
                    text = " ".join(t for row in rows if (t := transcripts.get(int(m.segment_id[row]), "")))
                elif option == VISUAL:
                    text = None
                else:
                    text = self._seen_text(m, hits, option, rows, float(clips.start[p]), float(clips.end[p]))
                metadata.append((option, text))
            score = float(clips.score[p])
            moments.append(
                Moment(
                    index_id=m.index_id,
                    video_id=m.videos[int(clips.video[p])],
                    start=round(float(clips.start[p]), 3),
                    end=round(float(clips.end[p]), 3),
                    score=round(score, 2),
                    confidence=calibration.confidence(score, shift=self._shift),
                    modules=tuple((option, calibration.confidence(s, shift=self._shift)) for s, option in found),
                    metadata=tuple(metadata),
                )
            )
        return moments

    def _transcripts(self, positions: list[int]) -> dict[int, str]:
        """Segment id -> transcript of the page's conversation clips, in one query."""
        values = self.clips.option_score.get(CONVERSATION)
        ids = [
            int(segment_id)
            for p in positions
            if values is not None and values[p] > 0
            for segment_id in self.matrices[self.clips.source[p]].segment_id[
                self.clips.first_row[p] : self.clips.last_row[p] + 1
            ]
        ]
        return dict(Segment.objects.filter(pk__in=ids).values_list("pk", "transcript")) if ids else {}

    @staticmethod
    def _seen_text(m: IndexMatrices, hits: Hits, option: str, rows: range, start: float, end: float) -> str:
        """The on-screen text (or brands) that matched verbatim, else what was on screen during the clip."""
        matched: list[str] = []
        for row in rows:
            for value in hits.texts.get((option, row), "").split("\n"):
                if value and value not in matched:
                    matched.append(value)
        if matched:
            return "\n".join(matched)
        table = m.texts if option == TEXT_IN_VIDEO else m.logos
        video = m.segment_video[rows.start]
        first, stop = np.searchsorted(table.video, video, "left"), np.searchsorted(table.video, video, "right")
        seen = [
            table.values[i]
            for i in range(int(first), int(stop))
            if table.start[i] < end and table.end[i] > start - 1e-3
        ]
        return "\n".join(dict.fromkeys(seen))


def _searchable_options(spec: SearchSpec, index: Index, m: IndexMatrices) -> tuple[str, ...]:
    return tuple(o for o in spec.options if o in index.embedding_options and not _unsearchable(m, o))


# Rows read per (query, option) by a page-driven search, deeper each time its page is not
# certain yet, up to the whole answer's cut.
PAGE_DEPTHS: tuple[int, ...] = (100, 1_000, MAX_CANDIDATES)


def _page_driven(spec: SearchSpec, indexes: list[Index]) -> bool:
    """A search whose first clips can be known from the best rows alone: one index, one query
    in semantic options only (visual, conversation by meaning, or both: the backend scores
    every cell it read in each option), clips ranked by score.

    Trees, groups and clip counts rank by what the whole answer holds; verbatim hits (exact
    phrases, on-screen text, logos) are found whole in the database and join the semantic
    ones: those read the whole answer."""
    if len(indexes) != 1 or not isinstance(spec.query, Leaf):
        return False
    options = set(_leaf_options(spec, spec.query))
    conversation = spec.query.conversation_option or spec.conversation_option
    semantic = bool(options) and options <= {VISUAL, CONVERSATION}
    if CONVERSATION in options and conversation == "exact_match":
        semantic = False
    return semantic and spec.sort_option == "score" and spec.group_by != "video"


def search_run(
    *, spec: SearchSpec, indexes: list[Index], lenient: bool = False, need: int | None = None
) -> SearchOutcome:
    """Run `spec` over `indexes` (already checked to belong to the caller's teams).

    Strict (one index, the Twelve Labs API): an option the index cannot search is a 400.
    `lenient` (several indexes, the native API): each index is searched with the options
    it can search, and an index with none of them is left out.

    `need`: the caller shows clips up to this position (a page's offset + limit). On a vector
    backend's graph the search then reads the best rows only, deeper until those clips are
    certain (`SearchOutcome.certain`): the page is the whole answer's page, at the cost of
    the rows it needs, not of every row above the threshold (a `low` search of a million
    segments passes ~1 % of them).
    """
    depths: tuple[int | None, ...] = (None,)
    if need is not None and _page_driven(spec, indexes):
        # Every clip holds a row at least: a read shallower than `need` cannot make the page certain.
        depths = tuple(depth for depth in PAGE_DEPTHS if depth >= need) or PAGE_DEPTHS[-1:]
    for depth in depths:
        outcome = _search_at(spec, indexes, lenient, depth)
        if outcome.complete or need is None or outcome.certain >= need:
            break
    return outcome


def _search_at(spec: SearchSpec, indexes: list[Index], lenient: bool, depth: int | None) -> SearchOutcome:
    floor = search_floor(spec)
    # Adjacent cells join one clip from this score on (below it, threshold=none's guesses stay apart).
    merge_floor = calibration.LOW + calibration.cut_shift(spec.adjust_confidence_level)
    pairs = [(index, backend.search_matrices(index, spec, floor, depth, merge_floor)) for index in indexes]
    specs = []
    for index, m in pairs:
        if lenient:
            options = _searchable_options(spec, index, m)
            specs.append(replace(spec, options=options) if options else None)
        else:
            check_spec(spec, index, m)
            specs.append(spec)
    searched = [(m, s) for (_, m), s in zip(pairs, specs, strict=True) if s is not None]
    if not searched:
        raise ApplicationError(
            f"None of your indexes can be searched with {', '.join(spec.options)}.", code="index_option_not_enabled"
        )
    matrices = [m for m, _ in searched]
    hits = [_index_hits(m, s) for m, s in searched]
    clips = concatenate(
        [
            form_clips(m, h, source=n, merge_floor=merge_floor)
            for n, (m, h) in enumerate(zip(matrices, hits, strict=True))
        ]
    )
    return SearchOutcome(spec, matrices, hits, clips)
