"""exact_match with near-verbatim hits: phrases found, and false hits on phrases never said.

    python bench/near_verbatim.py [--wpm 150,190] [--model tiny.en]

Every English sentence the benches and tests speak (tests/speech_data.py, bench/moments.py,
bench/index_speed.py) is spoken alone by espeak-ng, transcribed with word timestamps as the
worker does (asr_server.py), and the words of all of them make one speech corpus
(search/speech.py), one "video" per sentence. Then:

- said: every 4-word window of each sentence as written is searched; found if a hit is in
  its own sentence. Counted verbatim only, then verbatim or near.
- unrelated: the paraphrases of bench/moments.py (phrases never said, on the same topics),
  in 4-word windows; any near hit on them is false.
- swapped: each said window with one word (4+ letters) replaced by the most alike other
  word of the sentences' vocabulary ("train" -> "rain"): a different phrase, spelled like
  one that was said. Any near hit is a false hit of the kind the rule risks.

Prints counts; not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.index_speed import SCENES  # noqa: E402
from bench.moments import ANNOUNCEMENTS  # noqa: E402
from engines.local.asr_server import Speech, _run  # noqa: E402
from engines.local.audio import decode_audio  # noqa: E402
from engines.local.speech_models import model_path  # noqa: E402
from library.synthetic import speak  # noqa: E402
from search.speech import NEAR_MIN_CHARS, SpeechCorpus, speech_corpus  # noqa: E402
from search.text import normalise  # noqa: E402
from tests.speech_data import SENTENCES  # noqa: E402

WINDOW = 4


def sentences() -> list[str]:
    said = list(SENTENCES["en"]) + [sentence for sentence, _ in ANNOUNCEMENTS]
    for _, _, speech in SCENES:
        said += [part.strip() + "." for part in speech.split(".") if part.strip()]
    return list(dict.fromkeys(said))


def windows(text: str) -> list[str]:
    tokens = normalise(text).split()
    return [" ".join(tokens[i : i + WINDOW]) for i in range(max(1, len(tokens) - WINDOW + 1))]


def transcribe(model: object, texts: list[str], wpm: int) -> list[tuple[int, float, float, str]]:
    words: list[tuple[int, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for video, text in enumerate(texts):
            wav = Path(tmp) / f"{video}.wav"
            speak(text, wav, voice="en-us", wpm=wpm)
            segments, _ = _run(model, Speech.find(decode_audio(str(wav)).samples), on_fraction=lambda f: None,
                               words=True, language="en", beam_size=5)  # fmt: skip
            words += [(video, w.start, w.end, w.word) for s in segments for w in s.words or ()]
    return words


def found(corpus: SpeechCorpus, phrase: str, *, near: bool) -> set[int]:
    first, _ = corpus.phrase_words(phrase)
    videos = set(corpus.word_video[first].tolist())
    if near:
        near_first, _, _ = corpus.near_phrase_words(phrase)
        videos |= set(corpus.word_video[near_first].tolist())
    return videos


def swapped(phrase: str, vocabulary: list[str]) -> list[tuple[str, str, str]]:
    """(phrase with one word swapped, the word said, the word put instead), per word of 4+ letters."""
    from rapidfuzz import fuzz, process

    tokens = phrase.split()
    out = []
    for i, token in enumerate(tokens):
        if len(token) < NEAR_MIN_CHARS:
            continue
        others = [word for word in vocabulary if word != token and len(word) >= NEAR_MIN_CHARS]
        best = process.extractOne(token, others, scorer=fuzz.ratio)
        if best:
            out.append((" ".join([*tokens[:i], best[0], *tokens[i + 1 :]]), token, best[0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wpm", default="150,190")
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    from faster_whisper import WhisperModel

    print(f"load: {os.getloadavg()[0]:.2f}; cores {os.cpu_count()}")
    model = WhisperModel(str(model_path(args.model)), device="cpu", compute_type="int8", cpu_threads=2)
    texts = sentences()
    vocabulary = sorted({token for text in texts for token in normalise(text).split()})
    for wpm in (int(w) for w in args.wpm.split(",")):
        corpus = speech_corpus(transcribe(model, texts, wpm))
        said = [(video, phrase) for video, text in enumerate(texts) for phrase in windows(text)]
        exact = sum(video in found(corpus, phrase, near=False) for video, phrase in said)
        either = sum(video in found(corpus, phrase, near=True) for video, phrase in said)
        sentences_verbatim = sum(video in found(corpus, normalise(t), near=False) for video, t in enumerate(texts))
        sentences_either = sum(video in found(corpus, normalise(t), near=True) for video, t in enumerate(texts))
        unrelated = [phrase for _, paraphrase in ANNOUNCEMENTS for phrase in windows(paraphrase)]
        unrelated = [p for p in unrelated if not found(corpus, p, near=False)]
        false_unrelated = sum(bool(corpus.near_phrase_words(p)[0].size) for p in unrelated)
        twins = [(twin, o, n) for _, phrase in said for twin, o, n in swapped(phrase, vocabulary)]
        twins = [(twin, o, n) for twin, o, n in twins if not found(corpus, twin, near=False)]
        started = time.perf_counter()
        hit = [(o, n) for twin, o, n in twins if corpus.near_phrase_words(twin)[0].size]
        per_query = (time.perf_counter() - started) / max(1, len(twins)) * 1000
        # "leave"/"leaves", "close"/"closed": the same word inflected, a hit a user would want.
        inflected = [(o, n) for o, n in hit if o.startswith(n) or n.startswith(o)]
        other = sorted({f"{o}/{n}" for o, n in hit if (o, n) not in inflected})
        print(f"wpm {wpm}: {len(texts)} sentences, {len(corpus.word_video)} words heard, "
              f"{len(corpus.vocabulary)} distinct")  # fmt: skip
        print(f"  said {WINDOW}-word windows found: verbatim {exact}/{len(said)}, with near {either}/{len(said)}")
        print(f"  whole sentences found: verbatim {sentences_verbatim}/{len(texts)}, "
              f"with near {sentences_either}/{len(texts)}")  # fmt: skip
        print(f"  false near hits: unrelated {false_unrelated}/{len(unrelated)}; one word swapped for a "
              f"look-alike {len(hit)}/{len(twins)} ({len(inflected)} of them the word inflected); "
              f"{per_query:.2f} ms per near lookup")  # fmt: skip
        print(f"  other words taken for the word said: {', '.join(other)}")


if __name__ == "__main__":
    subprocess.run(["espeak-ng", "--version"], check=True, capture_output=True)
    main()
