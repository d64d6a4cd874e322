"""Which 1 fps samples to OCR, and how per-frame reads become on-screen text spans.

A read costs ~10x decoding a sample (ocr.py), so not every sample is read:

* `OcrScheduler` reads the first sample of every shot, then a sample whenever its
  160x90 grayscale thumbnail differs from the last *read* one (more than 0.4% of
  pixels moved by over 24 grey levels: a caption of 20 px at 360p is far above that,
  compression noise is far below). An unchanged picture is never re-read, because
  its text cannot have changed, so there is no periodic fallback.
* A picture that keeps moving (pans, animations) would still be read every second.
  There the scheduler backs off: each read that finds no text the two reads before it
  did not (fuzzily, ignoring digits: clocks, counters and scores tick every second)
  doubles the minimum gap between reads (1, 2, 4 s, capped at `max_gap`); a read that
  finds new text, or a cut, resets it to one sample. So text that appears mid-shot
  over a moving picture is found up to `max_gap` seconds late; over a still picture,
  at the next sample.

`TextTracker` turns the reads into spans: a line matching (normalised, fuzzy) a line
of the previous read continues that span, and a span ends at the first read that no
longer sees it, since between reads the picture, and so the text, was unchanged.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import deque
from dataclasses import dataclass

import av
import numpy as np

from engines.base import TextSpan
from engines.local.ocr import Detection

FUZZY_RATIO = 0.8  # two readings this similar (difflib ratio on compact keys) are one text
REAPPEAR_GAP = 2.0  # a text missing from reads for at most this many seconds is one span


def compact_key(text: str) -> str:
    """Lowercase letters and digits only: OCR often drops or adds spaces and punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", text)


def same_text(a: str, b: str) -> bool:
    """Whether two compact keys are readings of the same text."""
    if a == b:
        return True
    if min(len(a), len(b)) <= 3:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= FUZZY_RATIO


class OcrScheduler:
    """Decides which samples are worth reading (policy in the module docstring)."""

    def __init__(self, *, interval: float, max_gap: float = 4.0) -> None:
        self.interval = interval
        self.max_gap = max_gap
        self._last_thumb: np.ndarray | None = None
        self._last_time = 0.0
        self._gap = interval
        # Texts of the last two reads: a line OCR misses once and finds again is not new.
        self._recent: deque[list[str]] = deque(maxlen=2)

    @staticmethod
    def thumbnail(frame: av.VideoFrame) -> np.ndarray:
        return frame.to_ndarray(format="gray", width=160, height=90).astype(np.int16)

    def should_read(self, time: float, thumb: np.ndarray, *, is_cut: bool) -> bool:
        if is_cut or self._last_thumb is None:
            return True
        changed = np.count_nonzero(np.abs(thumb - self._last_thumb) > 24) > 0.004 * thumb.size
        # Half an interval of slack: samples land up to a few frames late (B-frames are
        # skipped), and a sample 0.9 s after the last read is still "the next one".
        return bool(changed) and time - self._last_time >= self._gap - self.interval / 2

    def record(self, time: float, thumb: np.ndarray, detections: list[Detection], *, is_cut: bool) -> None:
        """Remember a read, and back off if it found no new text although the picture moved."""
        masked = (re.sub(r"\d", "#", compact_key(d.text)) for d in detections)
        keys = [key for key in masked if key.strip("#")]
        seen = [key for read in self._recent for key in read]
        moved_without_news = self._last_thumb is not None and not is_cut
        if moved_without_news and all(any(same_text(key, old) for old in seen) for key in keys):
            self._gap = min(self.max_gap, self._gap * 2)
        else:
            self._gap = self.interval
        self._recent.append(keys)
        self._last_thumb = thumb
        self._last_time = time


@dataclass
class _OpenSpan:
    key: str
    value: str
    start: float
    box: tuple[float, float, float, float]
    confidence: float


def _better(text: str, confidence: float, than_text: str, than_confidence: float) -> bool:
    """Whether a reading beats another of the same text. OCR drops word spaces but
    rarely invents them, so the reading with more spaces wins, then the more confident."""
    spaces, than_spaces = text.count(" "), than_text.count(" ")
    return spaces > than_spaces or (spaces == than_spaces and confidence > than_confidence)


class TextTracker:
    """Merges per-read detections into TextSpans (see the module docstring)."""

    def __init__(self) -> None:
        self._open: list[_OpenSpan] = []
        self._closed: list[TextSpan] = []

    def add(self, time: float, detections: list[Detection]) -> None:
        unmatched = list(self._open)
        self._open = []
        for detection in detections:
            key = compact_key(detection.text)
            match = next((s for s in unmatched if same_text(s.key, key)), None)
            if match is None:
                self._open.append(_OpenSpan(key, detection.text, time, detection.box, detection.confidence))
                continue
            unmatched.remove(match)
            if _better(detection.text, detection.confidence, match.value, match.confidence):
                match.value, match.key, match.confidence = detection.text, key, detection.confidence
            self._open.append(match)
        for span in unmatched:
            self._close(span, end=time)

    def _close(self, span: _OpenSpan, *, end: float) -> None:
        self._closed.append(
            TextSpan(
                start=round(span.start, 3),
                end=round(max(end, span.start), 3),
                value=span.value,
                box=span.box,
                confidence=span.confidence,
            )
        )

    def finish(self, duration: float) -> tuple[TextSpan, ...]:
        """Close what is still on screen at the end and merge brief dropouts of one text."""
        for still_open in self._open:
            self._close(still_open, end=duration)
        self._open = []
        merged: list[TextSpan] = []
        for span in sorted(self._closed, key=lambda s: (s.start, s.end)):
            key = compact_key(span.value)
            previous = next(
                (
                    i
                    for i in range(len(merged) - 1, -1, -1)
                    if same_text(compact_key(merged[i].value), key) and span.start - merged[i].end <= REAPPEAR_GAP
                ),
                None,
            )
            if previous is None:
                merged.append(span)
                continue
            old = merged[previous]
            best = span if _better(span.value, span.confidence, old.value, old.confidence) else old
            merged[previous] = TextSpan(
                start=old.start,
                end=max(old.end, span.end),
                value=best.value,
                box=old.box,
                confidence=best.confidence,
            )
        return tuple(sorted(merged, key=lambda s: (s.start, s.box or (0, 0, 0, 0))))
