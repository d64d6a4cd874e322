"""Word error rate of the speech models on generated speech, per language.

    python bench/speech_wer.py [--models tiny.en,base] [--languages en,es,fr,de] [--wpm 150]

The sentences of a language are spoken in a row by espeak-ng, decoded like a video's audio
(engines/local/audio.py) and transcribed the way the worker does (asr_server.py:
VAD once, the language named, beam 5, int8, 2 threads). It prints WER (jiwer, after
lower-casing and dropping punctuation), how many sentences were heard word for word,
the language whisper base detects, and the realtime factor of each
model. tiny.en is English-only and is measured on English only. Not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.local.asr_server import Speech, _run, detect  # noqa: E402
from engines.local.audio import decode_audio  # noqa: E402
from engines.local.speech_models import DEFAULT_DETECT_LANGUAGES, model_path, parse_languages  # noqa: E402
from library.synthetic import speak  # noqa: E402
from tests.speech_data import SENTENCES, VOICES  # noqa: E402


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.lower())
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--languages", default="en,es,fr,de")
    parser.add_argument("--wpm", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import jiwer
    from faster_whisper import WhisperModel

    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1/5 min); cores {os.cpu_count()}")
    models = {
        name: WhisperModel(str(model_path(name)), device="cpu", compute_type="int8", cpu_threads=args.threads)
        for name in args.models.split(",")
    }
    with tempfile.TemporaryDirectory() as tmp:
        for language in args.languages.split(","):
            # One recording per language, the sentences read in a row (as in a video): whisper
            # hears each sentence with its neighbours in the same 30-s window.
            wav = Path(tmp) / f"{language}.wav"
            speak(" ".join(SENTENCES[language]), wav, voice=VOICES.get(language, language), wpm=args.wpm)
            audio = Speech.find(decode_audio(str(wav)).samples)
            seconds = len(audio.audio) / 16000
            truth = normalise(" ".join(SENTENCES[language]))
            if "base" in models:
                raw, probability, _ = models["base"].detect_language(audio.audio)
                chosen, _ = detect(models["base"], audio, list(parse_languages(DEFAULT_DETECT_LANGUAGES)))
                print(f"{language}: {seconds:.0f} s of speech; detected {chosen} among the default candidates "
                      f"({raw}, p={probability:.2f}, among all)")  # fmt: skip
            for name, model in models.items():
                if name.endswith(".en") and language != "en":
                    continue
                started = time.perf_counter()
                segments, _ = _run(model, audio, on_fraction=lambda f: None, words=False, language=language,
                                   beam_size=5)  # fmt: skip
                wall = time.perf_counter() - started
                said = normalise(" ".join(s.text for s in segments))
                sentences = sum(normalise(sentence) in said for sentence in SENTENCES[language])
                wer = 100 * jiwer.wer(truth, said)
                verbatim = f"{sentences}/{len(SENTENCES[language])}"
                print(f"  {name:8s} {language}: WER {wer:5.1f} %  verbatim {verbatim}  RTF {wall / seconds:.3f}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True)
    main()
