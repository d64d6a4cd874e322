"""Raw similarity -> score (0-100) -> confidence, with the same meaning for every option.

A cosine means different things in different spaces: MiniLM puts a sentence and its
paraphrase near 0.58 and unrelated text near 0.03, CLIP puts an image and its caption
near 0.3. So each option has its own anchors, measured as distributions of raw
cosines, and a piecewise-linear map sends the same *distribution points* to the same
scores:

    cosine  -1    unrelated p50   unrelated p99   related p10   related p50    1
    score    0         20              50              65            80        100

and the confidence levels are cut at those points, so for every option:

* low    (score >= 50): more similar than 99% of pairs of unrelated query and segment;
* medium (score >= 65): as similar as 9 in 10 true matches (a paraphrase of what was
  said or shown, against the segment that holds it);
* high   (score >= 80): as similar as a typical true match, or a verbatim match.

Below 50 a hit is indistinguishable from chance and `threshold=low` (the default)
drops it. Lexical evidence (exact_match, a query found in on-screen text or a brand
name) scores `verbatim_score`: 90-100, above every semantic anchor, because seeing the
words themselves is stronger evidence than any similarity.

Where the numbers come from: `python bench/search_calibration.py` (a generated video of
12 scenes with espeak-ng speech and drawn captions, indexed by the local engine; 12
related queries per kind, 20 unrelated queries against every segment). The figures of
that run are in docs/search.md and next to each anchor below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO, VISUAL

LOW, MEDIUM, HIGH = 50.0, 65.0, 80.0
THRESHOLDS: dict[str, float] = {"high": HIGH, "medium": MEDIUM, "low": LOW, "none": 0.0}
# Verbatim evidence starts here: above HIGH, so an exact match is always `high`.
VERBATIM_BASE = 90.0
# A phrase the recogniser heard one word off ("tomato sause") is probably the phrase that was
# said, but the one word may also be a different word spelled alike ("rain" for "train":
# bench/near_verbatim.py), so it is `medium`, below every verbatim hit (near_verbatim_scores).
NEAR_VERBATIM_BASE = MEDIUM


@dataclass(frozen=True)
class Anchors:
    """Raw cosines at the distribution points that map to scores 20, 50, 65 and 80."""

    unrelated_p50: float
    unrelated_p99: float
    related_p10: float
    related_p50: float

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        raw = np.array([-1.0, self.unrelated_p50, self.unrelated_p99, self.related_p10, self.related_p50, 1.0])
        if np.any(np.diff(raw) <= 0):
            raise ValueError(f"calibration anchors must increase: {raw}")
        return raw, np.array([0.0, 20.0, LOW, MEDIUM, HIGH, 100.0])


# MiniLM (all-MiniLM-L6-v2) on whisper transcripts, measured by bench/search_calibration.py:
# unrelated queries x every segment (n=240) p50 0.028, p99 0.262; paraphrase of a sentence
# x its scene (n=12) p10 0.449, p50 0.577.
CONVERSATION_ANCHORS = Anchors(unrelated_p50=0.03, unrelated_p99=0.26, related_p10=0.45, related_p50=0.58)
# MiniLM on OCR text of captions, same run: unrelated (n=480) p50 0.054, p99 0.307; a
# paraphrase of a caption x its scene (n=12) p10 0.426, p50 0.494 (a word quoted from the
# caption: p10 0.595, p50 0.663, i.e. high). Logos are brand names: short text, same anchors.
TEXT_ANCHORS = Anchors(unrelated_p50=0.05, unrelated_p99=0.31, related_p10=0.43, related_p50=0.49)
# CLIP ViT-B/32 image-text cosines. NOT measured here: no CLIP weights exist offline, and a
# random checkpoint's similarities mean nothing. These are the model's usual ranges
# (matching image-caption pairs around 0.3, unrelated around 0.15, the reason CLIPScore,
# Hessel et al. 2021, rescales by 2.5); re-measure with a real checkpoint before trusting
# visual confidences (docs/search.md).
VISUAL_ANCHORS = Anchors(unrelated_p50=0.15, unrelated_p99=0.22, related_p10=0.24, related_p50=0.29)

# The visual concept classifier (EfficientNet-Lite0 ImageNet labels read as MiniLM vectors,
# engines/local/concepts.py), measured by bench/search_calibration.py on scikit-image's
# photos turned into clips (tests/photos.py) between generated scenes: unrelated queries x
# every segment and descriptions x other scenes (n=472) p50 -0.003, p99 0.227; a
# description of a photo in other words than its class name x its best segment (n=14)
# p10 0.206, p50 0.306 (docs/search.md "Visual concepts"). The two overlap (a concept match
# is weaker evidence than a paraphrase of speech), so `medium` starts just above the
# unrelated p99 (0.23) instead of at the related p10: medium keeps its promise "more
# similar than 99% of unrelated pairs", and about 1 description in 7 stays `low`.
CONCEPT_ANCHORS = Anchors(unrelated_p50=0.00, unrelated_p99=0.22, related_p10=0.23, related_p50=0.31)
# The calibration key of visual similarities from the concept classifier.
VISUAL_CONCEPTS = "visual_concepts"

ANCHORS: dict[str, Anchors] = {
    CONVERSATION: CONVERSATION_ANCHORS,
    TEXT_IN_VIDEO: TEXT_ANCHORS,
    LOGO: TEXT_ANCHORS,
    VISUAL: VISUAL_ANCHORS,
    VISUAL_CONCEPTS: CONCEPT_ANCHORS,
}
_POINTS = {option: anchors.points() for option, anchors in ANCHORS.items()}


def scores(similarities: np.ndarray, option: str) -> np.ndarray:
    """Scores (0-100, float32) of raw cosines of `option`'s space."""
    raw, mapped = _POINTS[option]
    return np.interp(similarities, raw, mapped).astype(np.float32)


def raw_floor(score: float, option: str) -> float:
    """The cosine that scores `score`: lets a search cut on raw values before mapping any."""
    raw, mapped = _POINTS[option]
    return float(np.interp(score, mapped, raw))


def verbatim_score(coverage: float) -> float:
    """Score of a verbatim match covering `coverage` (0-1] of the text it was found in.

    "Paris" in "study abroad paris" covers 5/16 of the letters: 93.1. Covering more of
    the text ranks first among verbatim hits; every verbatim hit is `high`.
    """
    return VERBATIM_BASE + (100.0 - VERBATIM_BASE) * min(1.0, max(0.0, coverage))


def verbatim_scores(coverage: np.ndarray) -> np.ndarray:
    """`verbatim_score` of many matches at once (float32): a common phrase matches thousands of times."""
    return (VERBATIM_BASE + (100.0 - VERBATIM_BASE) * np.clip(coverage, 0.0, 1.0)).astype(np.float32)


def near_verbatim_scores(coverage: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """A phrase heard one word off (speech.near_phrase_words): from NEAR_VERBATIM_BASE up to just
    under HIGH, by coverage and by how alike the word heard is (similarity 0-100), so every
    near hit is `medium` and ranks below every verbatim hit."""
    alike = np.clip(np.asarray(similarity, dtype=np.float64) / 100.0, 0.0, 1.0)
    room = HIGH - NEAR_VERBATIM_BASE - 0.1
    return (NEAR_VERBATIM_BASE + room * np.clip(coverage, 0.0, 1.0) * alike).astype(np.float32)


def cut_shift(adjust_confidence_level: float) -> float:
    """How far Twelve Labs' `adjust_confidence_level` (0-1, default 0.5) moves every cut point.

    0.5 keeps the calibration above; 0 relaxes low/medium/high by 10 points, 1 tightens
    them by 10. Ten points is the distance between two neighbouring anchors' scores
    (50 -> 65 -> 80), so the knob moves a cut at most about one anchor's worth.
    """
    return (adjust_confidence_level - 0.5) * 20.0


def confidence(score: float, *, shift: float = 0.0) -> str:
    """The confidence level of `score`: high, medium or low (under LOW still "low"; thresholds drop it)."""
    if score >= HIGH + shift:
        return "high"
    if score >= MEDIUM + shift:
        return "medium"
    return "low"
