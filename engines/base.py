"""The contract between Framewise and a video understanding engine.

Nothing here imports Django or an ML library: the web process imports this module
freely, while the heavy engine code (engines/local) is imported lazily, in workers.
Every value that crosses the boundary is a frozen dataclass of plain Python and
numpy values, so an engine can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from engines.errors import FramewiseError

if TYPE_CHECKING:
    import numpy as np

# The engine options of an index, as Twelve Labs names them.
VISUAL = "visual"
CONVERSATION = "conversation"
TEXT_IN_VIDEO = "text_in_video"
LOGO = "logo"
ENGINE_OPTIONS: tuple[str, ...] = (VISUAL, CONVERSATION, TEXT_IN_VIDEO, LOGO)

# A stage reports how far it got as a fraction in [0, 1]; the caller maps stages
# onto the task's overall percentage.
ProgressFn = Callable[[str, float], None]


class EngineError(FramewiseError):
    """An engine could not do what was asked: a broken file is not transient (the task fails with
    `code`), a timeout talking to a cloud engine is (the task is retried)."""

    code = "engine_error"


@dataclass(frozen=True)
class MediaProbe:
    """What decoding the container told us about a file."""

    duration: float
    fps: float
    width: int
    height: int
    size: int
    container: str
    video_codec: str
    audio_codec: str  # "" when the file has no audio stream
    has_audio: bool


@dataclass(frozen=True)
class Shot:
    start: float
    end: float
    keyframe: float  # the time of the frame that represents the shot


@dataclass(frozen=True)
class Thumbnail:
    time: float
    jpeg: bytes


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class TranscriptLine:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class TextSpan:
    """Something seen on screen (text or a logo) and the time range it stayed visible."""

    start: float
    end: float
    value: str
    # Normalised box (x0, y0, x1, y1) in [0, 1] of the first sighting; None for logos
    # matched from text that had no box.
    box: tuple[float, float, float, float] | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class Segment:
    """One cell of the time grid that search and classification score.

    Vectors are L2-normalised float32; None when the option is off, was skipped, or
    the segment holds nothing for it (a silent stretch has no conversation vector).
    """

    start: float
    end: float
    transcript: str = ""
    on_screen_text: str = ""
    logos: str = ""
    conversation_vector: np.ndarray | None = None
    text_vector: np.ndarray | None = None
    visual_vector: np.ndarray | None = None
    # Transcript and on-screen text embedded together, in the space of the two above:
    # the best single vector for a query that may be said or shown (offline-models.md §3d).
    combined_vector: np.ndarray | None = None
    # The English translation of `transcript` when the speech is in another language: the
    # text embedding model is English-only, so the vectors above embed this instead.
    translation: str = ""


@dataclass(frozen=True)
class VideoAnalysis:
    probe: MediaProbe
    shots: tuple[Shot, ...] = ()
    thumbnails: tuple[Thumbnail, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()  # in the spoken language
    texts: tuple[TextSpan, ...] = ()
    logos: tuple[TextSpan, ...] = ()
    # "Objects and scenes": what the visual concept classifier saw, as time-coded spans
    # (value = class name, confidence = its highest probability); empty with CLIP.
    concepts: tuple[TextSpan, ...] = ()
    segments: tuple[Segment, ...] = ()
    # The spoken language (ISO 639-1, "" when nothing was said or the engine cannot tell)
    # and, for speech in another language than English, its English translation.
    language: str = ""
    translation: tuple[TranscriptLine, ...] = ()
    # option -> human reason, for options the index asked for but the engine could not run.
    skipped: dict[str, str] = field(default_factory=dict)
    # component -> model/version string, recorded per video so a model change is visible.
    versions: dict[str, str] = field(default_factory=dict)
    # stage -> wall seconds, for the task's ETA model and the benchmarks.
    timings: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class VideoEngine(Protocol):
    """What the library app needs from an engine."""

    name: str

    def probe(self, path: str) -> MediaProbe:
        """Decode enough of `path` to validate it; a non-transient EngineError if it is not a video."""
        ...

    def analyze(
        self,
        path: str,
        *,
        probe: MediaProbe,
        options: frozenset[str],
        thumbnails: bool,
        progress: ProgressFn,
        language: str = "",
    ) -> VideoAnalysis:
        """Run every stage the options ask for. Must not touch the database.

        `language` is the upload's spoken language (ISO 639-1); "" asks the engine to detect it.
        """
        ...

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Text embeddings in the space of conversation/text vectors: (n, d), normalised."""
        ...

    def embed_visual_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Text embeddings in the space of visual vectors; EngineError when no visual model."""
        ...

    def embed_visual_images(self, images: Sequence[bytes]) -> np.ndarray:
        """Embeddings of encoded images (PNG, JPEG, ...) in the space of visual vectors (image search).

        EngineError with code "visual_model_unavailable" when no visual model, "image_invalid"
        when some bytes are not a decodable image.
        """
        ...

    def versions(self) -> dict[str, str]: ...
