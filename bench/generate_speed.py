"""How long the offline generator takes per request type: gist, summary, chapters, highlights, open prompt.

    python bench/generate_speed.py [--runs 5] [--workdir DIR]

Two videos: the 27-s cooking video of the tests (generated, then indexed by the local
engine: real whisper transcript, OCR text and shots), and a synthetic one-hour talk
(1,200 time-coded sentences on 12 subjects in 60 shots) for how the cost grows with
length. MiniLM is loaded before the clock starts, as in a web process that has
answered once. The first request about a video embeds its sentences, on-screen texts
and keyphrase candidates (timed on its own); every later request of any type reuses
those vectors (cached per video and process) and costs only its own line. So a first
request takes "embedding" plus its type's time. Medians of --runs runs, in
milliseconds. The API adds a database read of the video and a write of the result;
stored results are served without generating. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.base import Shot, TranscriptLine, Word  # noqa: E402
from engines.generation import material  # noqa: E402
from engines.generation.base import VideoContext  # noqa: E402
from engines.generation.local import LocalGenerator  # noqa: E402
from engines.local.text_embedding import get_text_embedder  # noqa: E402
from tests.generation_data import COOKING_SCENES, COOKING_SIZE, analysis_of, context_of  # noqa: E402
from tests.videos import make_video  # noqa: E402

KINDS = ("gist", "summary", "chapter", "highlight", "open prompt")
PROMPTS = {
    "summary": "Generate a summary of this video for a live TV report, up to three sentences.",
    "chapter": "",
    "highlight": "",
    "open prompt": "How long should the spaghetti cook?",
}
SUBJECTS = [
    ("football", "The striker scored a goal after a long pass from the midfield."),
    ("baking", "Mix the flour and the sugar before you add the eggs to the bowl."),
    ("weather", "Heavy rain is expected across the region with strong winds tonight."),
    ("python", "A Python function takes arguments and returns a value to the caller."),
    ("travel", "The train to Paris leaves the central station every hour in the morning."),
    ("gardening", "Water the tomato plants early in the day and keep the soil moist."),
    ("finance", "The bank raised its interest rate to slow the growth of prices."),
    ("music", "The orchestra tuned their violins before the concert began at eight."),
    ("health", "Regular exercise and enough sleep lower the risk of heart disease."),
    ("space", "The rocket carried a small satellite into orbit around the Earth."),
    ("cars", "The electric car charges its battery in thirty minutes at a fast charger."),
    ("history", "The old castle was built in the twelfth century to guard the river."),
]


def one_hour_talk() -> VideoContext:
    """1,200 sentences, 3 s each, one subject per 5 minutes, a shot every minute."""
    lines = []
    for number in range(1200):
        subject, sentence = SUBJECTS[number // 100]
        text = f"In part {number % 100 + 1} about {subject}, {sentence[0].lower()}{sentence[1:]}"
        start = number * 3.0
        words = text.split()
        step = 2.8 / len(words)
        lines.append(
            TranscriptLine(
                start,
                start + 2.8,
                text,
                tuple(Word(start + i * step, start + (i + 1) * step, word) for i, word in enumerate(words)),
            )
        )
    shots = tuple(Shot(i * 60.0, (i + 1) * 60.0, i * 60.0 + 1) for i in range(60))
    return VideoContext(key="talk", duration=3600.0, transcript=tuple(lines), shots=shots)


def request(kind: str) -> Callable[[LocalGenerator, VideoContext], object]:
    if kind == "gist":
        return lambda g, v: g.gist(v, types=frozenset({"title", "topic", "hashtag"}))
    if kind == "summary":
        return lambda g, v: g.summary(v, prompt=PROMPTS[kind], temperature=None)
    if kind == "chapter":
        return lambda g, v: g.chapters(v, prompt=PROMPTS[kind], temperature=None)
    if kind == "highlight":
        return lambda g, v: g.highlights(v, prompt=PROMPTS[kind], temperature=None)
    return lambda g, v: "".join(g.answer(v, prompt=PROMPTS[kind], temperature=None))


def measure(video: VideoContext, runs: int) -> tuple[float, dict[str, float]]:
    """(ms to embed the video's text, {type: ms of a request once that is done}), medians."""
    embed = get_text_embedder().embed
    builds: list[float] = []
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(runs):
        started = time.perf_counter()
        material.build(video, embed)
        builds.append(time.perf_counter() - started)
        generator = LocalGenerator(embed)
        request("gist")(generator, video)  # the first request embeds; the ones timed below reuse it
        for kind in KINDS:
            started = time.perf_counter()
            request(kind)(generator, video)
            timings[kind].append(time.perf_counter() - started)
    return statistics.median(builds) * 1000, {kind: statistics.median(t) * 1000 for kind, t in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    get_text_embedder().embed(["warm up"])
    print(f"MiniLM load and first call: {time.perf_counter() - started:.2f} s (once per process)")

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        truth = make_video(folder / "cooking.mp4", scenes=COOKING_SCENES, size=COOKING_SIZE)
        started = time.perf_counter()
        cooking = context_of(analysis_of(str(truth.path)))
        print(f"Indexing the 27-s cooking video (whisper, OCR, MiniLM): {time.perf_counter() - started:.1f} s")
        talk = one_hour_talk()
        for name, video in (("cooking video, 27 s, 5 sentences", cooking), ("talk, 1 h, 1200 sentences", talk)):
            build, timings = measure(video, args.runs)
            print(f"\n{name}: median ms over {args.runs} runs")
            print(f"  {'embedding its text (first request only)':<42} {build:>9.1f}")
            for kind, milliseconds in timings.items():
                print(f"  {kind:<42} {milliseconds:>9.1f}")


if __name__ == "__main__":
    main()
