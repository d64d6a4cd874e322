"""Measure the raw similarities that search/calibration.py maps to scores.

    python bench/search_calibration.py [--workdir DIR]

Generates a video of 12 scenes, each with one espeak-ng sentence and one caption on
unrelated topics, indexes it with the local engine (conversation and text_in_video),
then embeds three kinds of queries with MiniLM and prints the cosine distributions:

* related, conversation: a paraphrase of each sentence against the segments of its scene
  (the best segment per scene), and a few words quoted from it;
* related, text_in_video: a word or a paraphrase of each caption against its scene;
* unrelated: queries about nothing in the video against every segment, plus every
  paraphrase against the other scenes' segments.

The visual concept anchors come from a second video (`measure_visual`): scikit-image's
and scikit-learn's bundled photos, one 5 s scene each, between generated scenes
(tests/photos.py), indexed with `visual` by the concept classifier; related queries
describe each photo without its class name, unrelated ones as above. It also prints
top-1 recall per photo and the same figures with multi-crop pooling (`--crops`).

The anchors in calibration.py are these percentiles. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.base import CONVERSATION, TEXT_IN_VIDEO, VISUAL  # noqa: E402
from engines.local.engine import LocalEngine  # noqa: E402
from tests.photos import GENERATED, PHOTOS  # noqa: E402
from tests.photos import UNRELATED as VISUAL_UNRELATED  # noqa: E402
from tests.videos import OnScreenText, Scene, make_video  # noqa: E402

# (sentence, paraphrase, quoted words, caption, caption query, caption paraphrase)
CORPUS: list[tuple[str, str, str, str, str, str]] = [
    ("Today we are cooking pasta with tomato sauce.", "a recipe for spaghetti with red sauce",
     "cooking pasta", "STUDY ABROAD PARIS", "Paris", "learn in France"),
    ("The football team won the championship last night.", "the soccer club won the final",
     "won the championship", "SUMMER SALE 50% OFF", "sale", "half price discount"),
    ("Please remember to back up your computer files every week.", "save copies of your data regularly",
     "back up your computer", "BREAKING NEWS", "news", "latest headlines"),
    ("The weather will be rainy and cold tomorrow morning.", "the forecast says wet and chilly weather",
     "rainy and cold", "FREE SHIPPING WORLDWIDE", "free shipping", "no delivery cost"),
    ("Our new electric car can drive five hundred kilometers.", "a battery vehicle with a long range",
     "electric car", "LEARN PYTHON", "Python", "programming course"),
    ("She is learning to play the piano at music school.", "taking keyboard lessons",
     "play the piano", "GRAND OPENING", "opening", "new store launch"),
    ("The doctor says you should drink more water every day.", "the physician recommends staying hydrated",
     "drink more water", "HAPPY BIRTHDAY", "birthday", "party celebration"),
    ("We hiked to the top of the mountain and saw the sunrise.", "climbing a peak at dawn",
     "top of the mountain", "OPEN 24 HOURS", "open all day", "always open"),
    ("The stock market fell sharply after the bank announcement.", "shares dropped after the financial news",
     "stock market", "COCA-COLA ZERO", "Coca Cola", "soft drink"),
    ("Show me what it looks like to throw like a girl.", "throwing a ball like a girl",
     "throw like a girl", "SUBSCRIBE FOR MORE VIDEOS", "subscribe", "follow the channel"),
    ("My cat sleeps all day on the warm windowsill.", "a lazy kitten napping in the sun",
     "my cat sleeps", "WORLD CUP FINAL", "world cup", "football tournament"),
    ("The museum opens a new exhibition about ancient Egypt.", "pharaoh artifacts on display at a gallery",
     "ancient Egypt", "ORGANIC COFFEE BEANS", "coffee", "fresh roasted espresso"),
]  # fmt: skip

UNRELATED = [
    "a purple elephant juggling", "quantum physics lecture", "knitting a wool scarf", "volcano eruption",
    "horse racing at the track", "dentist appointment", "snowboarding down a slope", "a wedding ceremony",
    "changing a car tyre", "astronauts on the space station", "fishing on a frozen lake", "tax return forms",
    "a jazz saxophone solo", "building a wooden fence", "a thunderstorm at sea", "chess tournament",
    "baby crying in a crib", "repairing a bicycle chain", "ballet dancers on stage", "a desert caravan of camels",
]  # fmt: skip
BACKGROUNDS = ["color=c=navy", "testsrc2", "color=c=darkgreen", "mandelbrot", "color=c=maroon", "testsrc"]
SCENE_SECONDS = 6.0


def build_video(folder: Path) -> Path:
    scenes = [
        Scene(
            SCENE_SECONDS,
            BACKGROUNDS[number % len(BACKGROUNDS)],
            texts=(OnScreenText(caption, y=0.3, size=0.1),),
            speech=sentence,
        )
        for number, (sentence, _, _, caption, _, _) in enumerate(CORPUS)
    ]
    return make_video(folder / "calibration.mp4", scenes=scenes, size=(960, 540)).path


def percentiles(label: str, values: np.ndarray) -> None:
    points = np.percentile(values, [1, 10, 50, 90, 99])
    print(
        f"{label:<44} n={len(values):>4}  min {values.min():.3f}  p1 {points[0]:.3f}  p10 {points[1]:.3f}  "
        f"p50 {points[2]:.3f}  p90 {points[3]:.3f}  p99 {points[4]:.3f}  max {values.max():.3f}"
    )


def measure_visual(folder: Path) -> None:
    """Concept vectors: photo scenes between generated ones, described in other words."""
    scenes: list[Scene] = []
    for number, photo in enumerate(PHOTOS):
        scenes.append(Scene(5.0, image=str(photo.path)))
        scenes.append(Scene(3.0, GENERATED[number % len(GENERATED)]))
    path = make_video(folder / "photos.mp4", scenes=scenes, size=(1280, 720), audio=False).path
    engine = LocalEngine()
    analysis = engine.analyze(
        str(path), probe=engine.probe(str(path)), options=frozenset({VISUAL}), thumbnails=False,
        progress=lambda stage, fraction: None,
    )  # fmt: skip
    print(f"== visual concepts ({analysis.versions['visual']}); visual stage {analysis.timings.get('visual')} s")
    segments = [s for s in analysis.segments if s.visual_vector is not None]
    vectors = np.stack([s.visual_vector for s in segments])
    # Scene number of each segment: photos are the even scenes (8 s per photo + generated pair).
    scene_of = np.array([int(s.start // 8.0) if (s.start % 8.0) < 5.0 else -1 for s in segments])
    for photo, labels in zip(PHOTOS, _labels(analysis, len(PHOTOS)), strict=True):
        print(f"  {photo.name:<11} seen as: {labels}")
    related, unrelated, ranks = [], [(engine.embed_texts(list(VISUAL_UNRELATED)) @ vectors.T).ravel()], []
    for number, photo in enumerate(PHOTOS):
        similarity = engine.embed_visual_texts(list(photo.descriptions)) @ vectors.T
        for query, row in zip(photo.descriptions, similarity, strict=True):
            best_own = float(row[scene_of == number].max())
            best_per_scene = {int(s): float(row[scene_of == s].max()) for s in set(scene_of.tolist())}
            rank = 1 + sum(value > best_own for scene, value in best_per_scene.items() if scene != number)
            ranks.append((photo, query, rank))
            if photo.seen:
                related.append(best_own)
            unrelated.append(row[(scene_of != number)])
    seen = [rank for photo, _, rank in ranks if photo.seen]
    print(f"  top-1 (own scene ranked first among {len(set(scene_of.tolist()))} scenes): "
          f"{sum(r == 1 for r in seen)}/{len(seen)} of the queries on photos it has a class for; "
          f"misses by design: {[(p.name, q, r) for p, q, r in ranks if not p.seen]}")  # fmt: skip
    for photo, query, rank in ranks:
        if photo.seen and rank != 1:
            print(f"  ranked {rank}: {query!r} ({photo.name})")
    percentiles("related (description), best segment of its photo", np.array(related))
    percentiles("unrelated (other scenes, unrelated queries)", np.concatenate(unrelated))
    print("  multi-crop:")
    measure_crops(path)
    print()


def measure_crops(path: Path) -> None:
    """Multi-crop: the centre crop alone vs centre + left + right squares of the frame, mean-pooled.

    A classifier sees one dominant object per crop; on a 16:9 frame the centre square
    drops the sides. Reports top-1 recall of the descriptions and classifier ms per frame.
    """
    import time

    from engines.local import media
    from engines.local.concepts import INPUT_SIZE, get_concept_classifier
    from engines.local.text_embedding import get_text_embedder

    classifier = get_concept_classifier()
    samples = [(s.time, s.frame.to_ndarray(format="rgb24", width=398, height=INPUT_SIZE)) for s in
               media.iter_samples(str(path), fps=1.0)]  # fmt: skip
    times = np.array([t for t, _ in samples])
    scene_of = np.where((times % 8.0) < 5.0, (times // 8.0).astype(int), -1)
    width = samples[0][1].shape[1]
    lefts = {"centre": [(width - INPUT_SIZE) // 2], "3 crops": [0, (width - INPUT_SIZE) // 2, width - INPUT_SIZE]}
    texts = get_text_embedder()
    for name, offsets in lefts.items():
        started = time.perf_counter()
        crops = [[np.ascontiguousarray(p[:, x : x + INPUT_SIZE]) for _, p in samples] for x in offsets]
        probabilities = np.mean([classifier.classify(frames) for frames in crops], axis=0)
        per_frame = (time.perf_counter() - started) * 1000 / len(samples)
        vectors = classifier.concept_vectors(probabilities)
        hits = total = 0
        for number, photo in enumerate(PHOTOS):
            if not photo.seen:
                continue
            for row in texts.embed(list(photo.descriptions)) @ vectors.T:
                best = {int(s): float(row[scene_of == s].max()) for s in set(scene_of.tolist())}
                hits += max(best, key=best.__getitem__) == number
                total += 1
        print(f"  {name:<8} top-1 {hits}/{total}, classifier {per_frame:.1f} ms per frame")


def _labels(analysis: object, photos: int) -> list[list[str]]:
    found: list[list[str]] = [[] for _ in range(photos)]
    for span in analysis.concepts:  # type: ignore[attr-defined]
        number = int(span.start // 8.0)
        if number < photos and span.start % 8.0 < 5.0 and span.value not in found[number]:
            found[number].append(f"{span.value} {span.confidence:.2f}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--visual-only", action="store_true")
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="framewise-calibration-"))
    folder.mkdir(parents=True, exist_ok=True)
    measure_visual(folder)
    if args.visual_only:
        return
    path = build_video(folder)

    engine = LocalEngine()
    try:
        analysis = engine.analyze(
            str(path),
            probe=engine.probe(str(path)),
            options=frozenset({CONVERSATION, TEXT_IN_VIDEO}),
            thumbnails=False,
            progress=lambda stage, fraction: None,
        )
    finally:
        engine.close()
    segments = analysis.segments
    scene_of = np.array([min(int(s.start // SCENE_SECONDS), len(CORPUS) - 1) for s in segments])
    print(f"{len(segments)} segments; transcript lines: {[line.text for line in analysis.transcript]}")
    print(f"on-screen texts: {sorted({span.value for span in analysis.texts})}\n")

    def matrix(attribute: str) -> tuple[np.ndarray, np.ndarray]:
        rows = [n for n, s in enumerate(segments) if getattr(s, attribute) is not None]
        return np.stack([getattr(segments[n], attribute) for n in rows]), scene_of[rows]

    for option, attribute, related_sets in (
        (CONVERSATION, "conversation_vector", {"paraphrase": 1, "quoted words": 2}),
        (TEXT_IN_VIDEO, "text_vector", {"caption word": 4, "caption paraphrase": 5}),
    ):
        vectors, scenes = matrix(attribute)
        print(f"== {option}: {len(vectors)} segments with a vector")
        unrelated = [(engine.embed_texts(UNRELATED) @ vectors.T).ravel()]
        for name, column in related_sets.items():
            queries = engine.embed_texts([row[column] for row in CORPUS])
            similarity = queries @ vectors.T
            best = np.array([similarity[n, scenes == n].max() for n in range(len(CORPUS)) if (scenes == n).any()])
            percentiles(f"related ({name}), best segment of its scene", best)
            unrelated.append(np.concatenate([similarity[n, scenes != n] for n in range(len(CORPUS))]))
            top1 = np.mean([scenes[int(np.argmax(similarity[n]))] == n for n in range(len(CORPUS))])
            print(f"{'':<44} top-1 is its own scene for {top1:.0%} of the queries")
        percentiles("unrelated (other scenes, unrelated queries)", np.concatenate(unrelated))
        percentiles("unrelated queries only", unrelated[0])
        print()


if __name__ == "__main__":
    main()
