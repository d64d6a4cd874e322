"""Speech recognition in a child process: `python -m engines.local.asr_server --model PATH`.

Why a child process: whisper runs concurrently with the frame work (decode, OCR,
CLIP) of the same video, and it must not share the parent's GIL or thread pools.
django-q2 workers may be daemonic multiprocessing children, which cannot start
multiprocessing children of their own; a plain subprocess speaking JSON lines over
stdin/stdout can always be started. The model is loaded once and the process serves
one request after another for the life of the worker.

Protocol (one JSON object per line):
  child -> parent on start: {"event": "ready", "version": "..."} or {"event": "error", "error": "..."}
  parent -> child:          {"id": 1, "path": "...", "language": "en", "beam_size": 5}
  child -> parent:          {"id": 1, "event": "progress", "fraction": 0.4} (any number)
                            {"id": 1, "event": "result", "seconds": 2.1,
                             "lines": [[start, end, text, [[ws, we, word], ...]], ...]}
                            {"id": 1, "event": "failed", "error": "..."}
The child exits when its stdin closes, i.e. when the parent goes away.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import IO, Any

SAMPLE_RATE = 16000


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _has_audio(path: str) -> bool:
    import av

    with av.open(path, metadata_errors="ignore") as container:
        return bool(container.streams.audio)


def transcribe(model: Any, request: dict[str, Any], channel: IO[str]) -> list[list[Any]]:
    """Transcribe the file named in `request`; report progress on `channel` as segments come."""
    from faster_whisper import decode_audio

    path = request["path"]
    if not _has_audio(path):
        return []
    audio = decode_audio(path, sampling_rate=SAMPLE_RATE)
    duration = len(audio) / SAMPLE_RATE
    if duration < 0.1:
        return []
    segments, _info = model.transcribe(
        audio,
        language=request.get("language") or None,
        beam_size=int(request.get("beam_size", 5)),
        vad_filter=True,  # silero VAD skips silence: cheaper, and no hallucinated text on it
        word_timestamps=True,
        condition_on_previous_text=False,  # stops one misheard segment from derailing the next
    )
    lines: list[list[Any]] = []
    for segment in segments:
        words = [
            [round(float(w.start), 3), round(float(w.end), 3), w.word.strip()]
            for w in segment.words or ()
            if w.word.strip()
        ]
        text = segment.text.strip()
        if text:
            lines.append([round(float(segment.start), 3), round(float(segment.end), 3), text, words])
        _send(channel, {"id": request["id"], "event": "progress", "fraction": min(1.0, segment.end / duration)})
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="faster-whisper model folder or size name")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args(argv)

    # The protocol owns the real stdout; anything a library prints goes to stderr.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    try:
        import faster_whisper
        from faster_whisper import WhisperModel

        model = WhisperModel(
            args.model,
            device="cpu",
            compute_type=args.compute_type,
            cpu_threads=args.threads,
            local_files_only=True,
        )
    except Exception as exc:  # any load failure is reported, not raised: the parent decides
        _send(channel, {"event": "error", "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _send(channel, {"event": "ready", "version": f"faster-whisper/{faster_whisper.__version__}"})

    for raw in sys.stdin:
        if not raw.strip():
            continue
        request = json.loads(raw)
        started = time.perf_counter()
        try:
            lines = transcribe(model, request, channel)
        except Exception as exc:  # a bad file must not kill the server for the next video
            _send(channel, {"id": request["id"], "event": "failed", "error": f"{type(exc).__name__}: {exc}"})
            continue
        seconds = round(time.perf_counter() - started, 3)
        _send(channel, {"id": request["id"], "event": "result", "lines": lines, "seconds": seconds})
    return 0


if __name__ == "__main__":
    sys.exit(main())
