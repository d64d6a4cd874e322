"""Classify videos of one index against classes: scores, duration ratios, clips and detailed scores.

Shared by the /classify endpoints (ad-hoc classes, answered at once) and by runs
(taxonomy nodes, labels stored). Matrices come from search.matrix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from search.public import IndexMatrices, classification_matrices
from taxonomy.clips import Clip, clips_for
from taxonomy.evidence import SEARCH_CALIBRATION, Evidence, build_evidence
from taxonomy.params import ClassSpec
from taxonomy.scoring import ClassResult, Thresholds, score_videos


@dataclass(frozen=True)
class ClassOnVideo:
    cls: int  # position of the class in the request (or of the node in the run)
    name: str
    score: float
    duration_ratio: float
    implied: bool
    clips: tuple[Clip, ...]  # empty unless clips were asked for
    max_score: float | None
    avg_score: float | None
    normalized_score: float


@dataclass(frozen=True)
class VideoClasses:
    video_id: str
    classes: tuple[ClassOnVideo, ...]  # best first

    @property
    def best_score(self) -> float:
        return self.classes[0].score


@dataclass(frozen=True)
class Classification:
    videos: list[VideoClasses]  # best video first
    skipped: dict[str, str]


def classify_videos(
    batches: Iterable[IndexMatrices],
    specs: Sequence[ClassSpec],
    thresholds: Thresholds,
    *,
    video_ids: Collection[str] | None = None,
    with_clips: bool = False,
) -> Classification:
    """Every selected ready video of the batches with at least one class passing the thresholds.

    A video's classes depend on its own segments only, so how its index is cut into batches
    changes no score. `with_clips` also finds each returned class's clips (needed for clips
    and for max/avg scores); the scores and ratios themselves never need them.
    """
    videos: list[VideoClasses] = []
    skipped: dict[str, str] = {}
    for matrices in batches:
        evidence = build_evidence(matrices, specs, video_ids=video_ids)
        scored = score_videos(evidence.grid, evidence.channels, evidence.classes, thresholds, SEARCH_CALIBRATION)
        by_video: dict[int, list[ClassResult]] = defaultdict(list)
        for result in scored.results:
            by_video[result.video].append(result)
        clips: dict[tuple[int, int], list[Clip]] = {}
        if with_clips:
            wanted = [(result.video, result.cls) for result in scored.results]
            clips = clips_for(evidence.grid, scored.hits, evidence.classes, wanted=wanted)
        videos += [_video_classes(evidence, video, found, clips) for video, found in by_video.items()]
        skipped.update(evidence.skipped)
    videos.sort(key=lambda item: (-item.best_score, item.video_id))
    return Classification(videos=videos, skipped=skipped)


def classify_index(
    index_id: str,
    specs: Sequence[ClassSpec],
    thresholds: Thresholds,
    *,
    video_ids: Collection[str] | None = None,
    with_clips: bool = False,
) -> Classification:
    """`classify_videos` over an index's ready videos (or `video_ids`), in the vector backend's batches:
    one whole matrix in process, batches of videos on pgvector (no process loads an index whole)."""
    batches = classification_matrices(index_id, None if video_ids is None else list(video_ids))
    return classify_videos(batches, specs, thresholds, video_ids=video_ids, with_clips=with_clips)


def _video_classes(
    evidence: Evidence, video: int, found: list[ClassResult], clips: dict[tuple[int, int], list[Clip]]
) -> VideoClasses:
    total = sum(result.score for result in found) or 1.0
    classes = []
    for result in sorted(found, key=lambda r: (-r.score, r.cls)):
        own = clips.get((video, result.cls), [])
        classes.append(
            ClassOnVideo(
                cls=result.cls,
                name=evidence.classes[result.cls].name,
                score=round(result.score, 2),
                duration_ratio=round(result.duration_ratio, 4),
                implied=result.implied,
                clips=tuple(own),
                max_score=round(max(clip.score for clip in own), 2) if own else None,
                avg_score=round(sum(clip.score for clip in own) / len(own), 2) if own else None,
                normalized_score=round(100.0 * result.score / total, 2),
            )
        )
    return VideoClasses(video_id=evidence.grid.video_ids[video], classes=tuple(classes))
