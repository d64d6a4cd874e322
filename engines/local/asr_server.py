"""Speech recognition in a child process: `python -m engines.local.asr_server --model PATH`.

Why a child process: whisper runs concurrently with the frame work (decode, OCR,
CLIP) of the same video, and it must not share the parent's GIL or thread pools.
django-q2 workers may be daemonic multiprocessing children, which cannot start
multiprocessing children of their own; a plain subprocess speaking JSON lines over
stdin/stdout can always be started. Models are loaded once each (the one named by
`--model` at start, the others on first use) and the process serves one request
after another for the life of the worker.

Protocol (one JSON object per line):
  child -> parent on start: {"event": "ready", "version": "..."} or {"event": "error", "error": "..."}
  parent -> child:          {"id": 1, "path": "...", "language": "en" or "" (detect), "beam_size": 5,
                             "plan": [["en", "/tiny.en"], ["*", "/base"]], "detector": "/base",
                             "translate": "/base" or ""}
  child -> parent:          {"id": 1, "event": "progress", "fraction": 0.4} (any number)
                            {"id": 1, "event": "result", "seconds": 2.1, "language": "es",
                             "language_probability": 0.98, "model": "/base", "damaged_packets": 0,
                             "lines": [[start, end, text, [[ws, we, word], ...]], ...],
                             "translation": [[start, end, text], ...]}
                            {"id": 1, "event": "failed", "error": "..."}  (the audio cannot be decoded)
Without "plan" the model given at start transcribes (the old protocol).
The child exits when its stdin closes, i.e. when the parent goes away.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from engines.local.audio import SAMPLE_RATE, AudioUndecodable, decode_audio

# The share of a request's progress bar each pass takes when the speech is translated too.
_TRANSCRIBE_SHARE = 0.6
_DETECT_WINDOW = 30 * SAMPLE_RATE  # the samples whisper's language detection looks at
# Whisper is run on at most this many seconds of speech at a time: faster-whisper computes
# the log-mel features of all the audio it is given at once, which for 10 minutes of
# speech raised the child's peak memory by ~360 MB (measured: 530 -> 895 MB); windows cut
# between VAD stretches change nothing else (each 30-s decoding window is independent
# with condition_on_previous_text off).
WINDOW_SECONDS = 120.0


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


class ModelLoadError(Exception):
    """A model named in a request could not be loaded (not the file's fault)."""


class Models:
    """faster-whisper models by folder, each loaded on first use."""

    def __init__(self, *, threads: int, compute_type: str) -> None:
        self.threads = threads
        self.compute_type = compute_type
        self._loaded: dict[str, Any] = {}

    def get(self, path: str) -> Any:
        if path not in self._loaded:
            from faster_whisper import WhisperModel

            try:
                self._loaded[path] = WhisperModel(
                    path, device="cpu", compute_type=self.compute_type, cpu_threads=self.threads, local_files_only=True
                )
            except Exception as exc:
                raise ModelLoadError(f"{path}: {type(exc).__name__}: {exc}") from exc
        return self._loaded[path]


def _choose(plan: list[list[str]], language: str, default: str) -> str:
    table = {lang: path for lang, path in plan}
    return table.get(language, table.get("*", default))


@dataclass(frozen=True)
class Speech:
    """The audio's speech stretches, found once by silero VAD and reused by every pass."""

    chunks: list[dict[str, int]]  # sample ranges with speech, in the original audio
    audio: Any  # the speech stretches joined (float32, 16 kHz)

    @classmethod
    def find(cls, samples: Any) -> Speech:
        import numpy as np
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        # Stretches of at most a window, split by silero at their best pause, so that
        # every pass can go window by window (see `_windows`).
        chunks = get_speech_timestamps(samples, VadOptions(max_speech_duration_s=WINDOW_SECONDS))
        # Joined in one go (collect_chunks grows its array chunk by chunk).
        joined = np.concatenate([samples[c["start"] : c["end"]] for c in chunks]) if chunks else np.zeros(0, np.float32)
        return cls(chunks, joined)

    def windows(self) -> list[tuple[int, int]]:
        """Sample ranges of the joined audio of at most WINDOW_SECONDS, cut between stretches."""
        limit = int(WINDOW_SECONDS * SAMPLE_RATE)
        windows: list[tuple[int, int]] = []
        first = position = 0
        for chunk in self.chunks:
            length = chunk["end"] - chunk["start"]
            if position + length - first > limit and position > first:
                windows.append((first, position))
                first = position
            position += length
        if position > first:
            windows.append((first, position))
        return windows


def _run(
    model: Any, speech: Speech, *, on_fraction: Callable[[float], None], words: bool, **options: Any
) -> tuple[list[Any], str]:
    """The segments of one pass over the speech, in the original audio's time, and the
    language whisper worked in. It is faster-whisper's own `vad_filter` path with the VAD
    run once per video instead of once per pass (about 2 s for 10 minutes here)."""
    from faster_whisper.transcribe import restore_speech_timestamps

    duration = max(len(speech.audio) / SAMPLE_RATE, 1e-3)
    done = []
    heard_in = ""
    for first, last in speech.windows():
        offset = first / SAMPLE_RATE
        segments, info = model.transcribe(
            speech.audio[first:last],
            vad_filter=False,  # already done: only speech is passed, so no text is hallucinated on silence
            word_timestamps=words,
            condition_on_previous_text=False,  # stops one misheard segment from derailing the next
            **options,
        )
        for segment in segments:
            segment.start, segment.end = segment.start + offset, segment.end + offset
            for word in segment.words or ():
                word.start, word.end = word.start + offset, word.end + offset
            on_fraction(min(1.0, segment.end / duration))
            done.append(segment)
        heard_in = heard_in or str(info.language or "")
    return list(restore_speech_timestamps(done, speech.chunks, SAMPLE_RATE)), heard_in


def detect(model: Any, speech: Speech, candidates: list[str]) -> tuple[str, float]:
    """The most probable language of the first 30 s of speech, among `candidates` if any.

    Whisper base takes synthetic or accented German for Yiddish and French for Latin
    now and then; naming the languages a library holds keeps detection among them.
    """
    import numpy as np

    audio = speech.audio
    if 0 < len(audio) < _DETECT_WINDOW:
        # Whisper decides from one 30-s window; a few seconds of speech padded with silence
        # is judged badly (espeak French of 10 s: Latin 0.33, French not in the top 5), the
        # same speech repeated to fill the window well (French 0.26, first). Measured on
        # tests/speech_data.py's videos.
        audio = np.tile(audio, -(-_DETECT_WINDOW // len(audio)))[:_DETECT_WINDOW]
    best, probability, ranked = model.detect_language(audio, language_detection_segments=1)
    allowed = [(code, p) for code, p in ranked if code in candidates] if candidates else []
    return (allowed[0][0], float(allowed[0][1])) if allowed else (best, float(probability))


def transcribe(models: Models, default_model: str, request: dict[str, Any], channel: IO[str]) -> dict[str, Any]:
    """Transcribe (and translate) the file named in `request`; report progress on `channel`."""
    path = request["path"]
    result: dict[str, Any] = {"lines": [], "translation": [], "language": request.get("language") or ""}
    # AudioUndecodable: the parent records the option as skipped
    audio = decode_audio(path, max_seconds=request.get("max_seconds"))
    result["damaged_packets"] = audio.damaged
    speech = Speech.find(audio.samples) if audio.duration >= 0.1 else Speech([], audio.samples[:0])
    if not speech.chunks:
        return result  # silence: nothing said, nothing to detect
    language = request.get("language") or ""
    if not language and request.get("detector"):
        language, probability = detect(models.get(request["detector"]), speech, request.get("candidates") or [])
        result["language_probability"] = round(probability, 3)
    chosen = _choose(request.get("plan") or [], language, default_model)
    result["model"] = chosen
    translate = request.get("translate") or ""
    share = _TRANSCRIBE_SHARE if translate and language and language != "en" else 1.0

    def progress(offset: float, scale: float) -> Callable[[float], None]:
        return lambda f: _send(channel, {"id": request["id"], "event": "progress", "fraction": offset + scale * f})

    segments, heard_in = _run(
        models.get(chosen),
        speech,
        on_fraction=progress(0.0, share),
        words=True,
        language=language or None,
        beam_size=int(request.get("beam_size", 5)),
    )
    for segment in segments:
        words = [
            [round(float(w.start), 3), round(float(w.end), 3), w.word.strip()]
            for w in segment.words or ()
            if w.word.strip()
        ]
        text = segment.text.strip()
        if text:
            result["lines"].append([round(float(segment.start), 3), round(float(segment.end), 3), text, words])
    result["language"] = language or heard_in
    if share < 1.0 and result["lines"]:
        english, _ = _run(
            models.get(translate),
            speech,
            on_fraction=progress(share, 1.0 - share),
            words=False,
            language=language,
            task="translate",
            beam_size=int(request.get("beam_size", 5)),
        )
        result["translation"] = [
            [round(float(s.start), 3), round(float(s.end), 3), s.text.strip()] for s in english if s.text.strip()
        ]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="faster-whisper model folder or size name")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args(argv)

    # The protocol owns the real stdout; anything a library prints goes to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    models = Models(threads=args.threads, compute_type=args.compute_type)
    try:
        import faster_whisper

        models.get(args.model)
    except (ImportError, ModelLoadError) as exc:  # any load failure is reported, not raised: the parent decides
        _send(channel, {"event": "error", "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _send(channel, {"event": "ready", "version": f"faster-whisper/{faster_whisper.__version__}"})

    for raw in sys.stdin:
        if not raw.strip():
            continue
        request = json.loads(raw)
        started = time.perf_counter()
        try:
            result = transcribe(models, args.model, request, channel)
        except AudioUndecodable as exc:
            reason = f"the audio track cannot be decoded: {exc}"
            _send(channel, {"id": request["id"], "event": "failed", "error": reason})
        except ModelLoadError as exc:
            _send(channel, {"id": request["id"], "event": "failed", "kind": "model", "error": str(exc)})
        except Exception as exc:  # a bad file must not kill the server for the next video
            _send(channel, {"id": request["id"], "event": "failed", "error": f"{type(exc).__name__}: {exc}"})
            continue
        result["seconds"] = round(time.perf_counter() - started, 3)
        _send(channel, {"id": request["id"], "event": "result", **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
