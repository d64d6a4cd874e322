"""Reading the text in one frame with RapidOCR, as cheaply as this CPU allows.

Measured here (offline-models.md §3c and re-measured): with `use_cls=False` and the
frame pre-resized to a 360 px short side (`det_limit_type="min"`,
`det_limit_side_len=360`, else RapidOCR upscales it again), detection costs ~55 ms and
recognition ~20-40 ms per line, on one thread. Which frames are read at all is
decided in text_tracking.py.

`OcrReader` wraps the model (one per process); `OcrSession` reads the frames of one
video and remembers its last read, so that a line whose pixels did not change since
(a caption over a moving picture) is not recognised again.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from importlib import metadata

import av
import numpy as np

OCR_SHORT_SIDE = 360  # the frame is resized so its short side is this
MIN_CONFIDENCE = 0.75  # RapidOCR's recognition score; below it reads are mostly junk
MIN_CHARACTERS = 2  # letters or digits a line needs to be kept
SAME_BOX_PIXELS = 3.0  # corners this close (at 360p) are the same box in two reads
SAME_CROP_LEVELS = 6.0  # mean absolute difference (0-255) under which a crop is unchanged


def ocr_version() -> str:
    return f"rapidocr-onnxruntime/{metadata.version('rapidocr-onnxruntime')} PP-OCRv4"


@dataclass(frozen=True)
class Detection:
    text: str
    box: tuple[float, float, float, float]  # normalised x0, y0, x1, y1
    confidence: float


class OcrReader:
    """RapidOCR configured for speed on this CPU; one instance per process (`get_reader`).

    It calls RapidOCR's detection, crop and recognition steps itself, to detect on the
    small frame but recognise on a sharper one (see `OcrSession.read`); these methods
    are internal to RapidOCR, which requirements pin at 1.4.4.
    """

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self._engine = RapidOCR(
            use_cls=False,  # video text is upright; the angle classifier only costs time
            det_limit_type="min",
            det_limit_side_len=OCR_SHORT_SIDE,
            intra_op_num_threads=1,  # the other core is whisper's or CLIP's
            inter_op_num_threads=1,
        )
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Quadrilaterals (4x2, pixels of `image`) of the text lines, top to bottom."""
        with self._lock:
            boxes, _elapsed = self._engine.auto_text_det(image)
        return list(boxes) if boxes is not None else []

    def recognise(self, image: np.ndarray, boxes: list[np.ndarray]) -> list[tuple[str, float]]:
        """(text, score) of each box, cropped (and deskewed) from `image`."""
        if not boxes:
            return []
        with self._lock:
            crops = self._engine.get_crop_img_list(image, boxes)
            results, _elapsed = self._engine.text_rec(crops, False)
        return [(" ".join(str(result[0]).split()), float(result[1])) for result in results]


@functools.cache
def get_reader() -> OcrReader:
    return OcrReader()


def ocr_size(width: int, height: int) -> tuple[int, int]:
    """The frame size fed to OCR: short side OCR_SHORT_SIDE, aspect kept, even numbers."""
    scale = OCR_SHORT_SIDE / min(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


@dataclass(frozen=True)
class _Line:
    box: np.ndarray  # 4x2 quadrilateral, pixels of the small frame
    pixels: np.ndarray  # the box's bounding rectangle in the small frame, as read
    text: str
    score: float


class OcrSession:
    """Reads the frames of one video; keeps the lines of its last read for reuse."""

    def __init__(self, reader: OcrReader) -> None:
        self._reader = reader
        self._previous: list[_Line] = []
        self.recognised = 0  # lines sent to the recogniser
        self.reused = 0  # lines whose text was reused from the previous read

    def read(self, frame: av.VideoFrame) -> list[Detection]:
        """The text lines in `frame`, each whole (words on one line joined), junk dropped.

        Lines are detected on the 360p frame and recognised on crops of a frame twice
        as large: recognition rescales every crop to 48 px high anyway, so a sharper
        crop costs nothing more and reads small text and word spaces far better (at
        360p a 12 px clock read "90:08:81.888", and "NIKE AIR MAX" lost its spaces).
        """
        width, height = ocr_size(frame.width, frame.height)
        small = frame.to_ndarray(format="bgr24", width=width, height=height)
        boxes = self._reader.detect(small)
        lines: list[_Line | None] = [self._unchanged(box, small) for box in boxes]
        todo = [i for i, line in enumerate(lines) if line is None]
        if todo:
            scale = max(1.0, min(2.0, min(frame.width, frame.height) / OCR_SHORT_SIDE))
            large = (
                frame.to_ndarray(format="bgr24", width=round(width * scale), height=round(height * scale))
                if scale > 1.0
                else small
            )
            results = self._reader.recognise(large, [boxes[i] * scale for i in todo])
            for i, (text, score) in zip(todo, results, strict=True):
                lines[i] = _Line(boxes[i], _region(small, boxes[i]), text, score)
        self.recognised += len(todo)
        self.reused += len(boxes) - len(todo)
        self._previous = [line for line in lines if line is not None]
        kept = [
            line
            for line in self._previous
            if line.score >= MIN_CONFIDENCE and sum(c.isalnum() for c in line.text) >= MIN_CHARACTERS
        ]
        return [_detection(group, width, height) for group in _join_lines(kept)]

    def _unchanged(self, box: np.ndarray, small: np.ndarray) -> _Line | None:
        """The previous read's line at this box if its pixels did not change."""
        for line in self._previous:
            if np.abs(line.box - box).max() > SAME_BOX_PIXELS:
                continue
            x0, y0, x1, y1 = _rect(line.box, small)
            now = small[y0:y1, x0:x1].astype(np.int16)
            if now.shape == line.pixels.shape and np.abs(now - line.pixels).mean() < SAME_CROP_LEVELS:
                return _Line(box, line.pixels, line.text, line.score)
        return None


def _rect(box: np.ndarray, image: np.ndarray) -> tuple[int, int, int, int]:
    height, width = image.shape[:2]
    x0, y0 = np.floor(box.min(axis=0)).astype(int)
    x1, y1 = np.ceil(box.max(axis=0)).astype(int)
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def _region(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = _rect(box, image)
    return image[y0:y1, x0:x1].astype(np.int16)


def _join_lines(lines: list[_Line]) -> list[list[_Line]]:
    """Group boxes that are words of one line: the detector splits widely spaced words
    ("NIKE AIR" | "MAX"). Same line = vertical overlap of most of the shorter box, and
    a horizontal gap under 1.5x the line height."""
    groups: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: float(item.box[:, 0].min())):
        x0, y0 = line.box.min(axis=0)
        _, y1 = line.box.max(axis=0)
        for group in groups:
            last = group[-1]
            lx1 = float(last.box[:, 0].max())
            ly0, ly1 = float(last.box[:, 1].min()), float(last.box[:, 1].max())
            overlap = min(y1, ly1) - max(y0, ly0)
            tall = max(y1 - y0, ly1 - ly0)
            if overlap >= 0.6 * min(y1 - y0, ly1 - ly0) and -0.5 * tall <= x0 - lx1 <= 1.5 * tall:
                group.append(line)
                break
        else:
            groups.append([line])
    return sorted(groups, key=lambda group: (float(group[0].box[:, 1].min()), float(group[0].box[:, 0].min())))


def _detection(group: list[_Line], width: int, height: int) -> Detection:
    points = np.concatenate([line.box for line in group])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return Detection(
        text=" ".join(line.text for line in group),
        box=(_clamp(x0 / width), _clamp(y0 / height), _clamp(x1 / width), _clamp(y1 / height)),
        confidence=round(min(line.score for line in group), 4),
    )


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, float(value))), 4)
