"""A synthetic library at scale: ready videos of segments with vectors and transcripts, for load tests.

    synthetic_library_load(actor=Actor.system(...), index=index, segments=1_000_000, seed=1)

Each segment says a few words of a fixed vocabulary (`VOCABULARY`); its vector in each
option of the index is the sum of the option's embedding of those words plus noise,
normalised. So a query of vocabulary words lands near the segments that say them, with
cosines spread like real ones (some far above the threshold, most below), and exact
search has a non-trivial answer to compare approximate search with (bench/search_scale.py).

Videos are written through library.indexing.write_segments, the write path of real
indexing (segments, their pgvector rows in the same transaction), a batch of videos per
transaction. Every video carries `user_metadata["bucket"]` = its number mod 1000, so a
filter on a bucket range selects a known share of the library (10 %, 1 %, 0.1 %). The
index stays an ordinary index: real uploads go next to the synthetic videos.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.rules import Actor, check
from engines.base import CONVERSATION, TEXT_IN_VIDEO, VISUAL, MediaProbe, TranscriptLine, VideoAnalysis
from engines.base import Segment as EngineSegment
from library.commands import LibraryCommand
from library.engine import get_engine
from library.indexing import _transcript_json, write_segments
from library.models import Index, Video

# Nouns, verbs and adjectives of everyday footage: 240 words, no two alike enough to blur.
_WORDS = """
    apple bakery banana basket beach bicycle bird blanket boat bottle bread bridge bucket butter cabbage cake
    camera candle canoe carpet carrot castle cat cheese cherry chicken chocolate church cliff clock cloud coffee
    cookie corn cotton cow crab desert diamond doctor dog dolphin door dragon drum eagle engine factory farmer
    feather fence field fire fish flag flower forest fountain fox garden garlic ghost giraffe glacier glass goat
    guitar hammer harbor helmet honey horse hospital island jacket jungle kettle kitchen ladder lake lamp lemon
    library lighthouse lion lobster magnet mango market meadow mirror monkey moon mountain mushroom needle nest
    ocean office onion orange owl oyster painter palace pancake parrot pasta peach pencil pepper piano pillow
    pirate pizza planet potato pumpkin puzzle rabbit radio railway rain river robot rocket rose saddle salad
    sandwich scarf school shark sheep ship shoe soldier soup spider spoon stadium statue storm strawberry subway
    sugar sunflower swan sword table teacher telescope temple tent theater tiger tomato tower tractor train
    tree truck tunnel turtle umbrella valley violin volcano wagon waterfall whale wheat window wolf zebra
    bake build carry chase climb cook dance dig drive fly grow jump knit paint race read ride row sail sing
    skate ski sleep swim throw walk wash wrestle write
    ancient bright broken cold crowded dark dusty empty foggy frozen golden green huge icy muddy noisy purple
    quiet rainy rusty shiny silver small snowy stormy sunny tiny wet windy wooden
    """
VOCABULARY = tuple(_WORDS.split())
WORDS_PER_SEGMENT = 6
SEGMENT_SECONDS = 4.0
SEGMENTS_PER_VIDEO = 200
# Noise added to the sum of a segment's word vectors, relative to that sum's length: the
# cosine of a segment with the words of a query then spreads like real paraphrases do.
NOISE = 0.6
BUCKETS = 1000


def _option_embedders(index: Index) -> dict[str, Callable[[list[str]], np.ndarray]]:
    engine = get_engine()
    embedders: dict[str, Callable[[list[str]], np.ndarray]] = {}
    for option in sorted(index.embedding_options):
        if option in (CONVERSATION, TEXT_IN_VIDEO):
            embedders[option] = engine.embed_texts
        elif option == VISUAL:
            embedders[option] = engine.embed_visual_texts
    return embedders


def _probe(duration: float) -> MediaProbe:
    return MediaProbe(
        duration=duration, fps=25.0, width=1280, height=720, size=1, container="mp4", video_codec="h264",
        audio_codec="aac", has_audio=True,
    )  # fmt: skip


def synthetic_library_load(
    *,
    actor: Actor,
    index: Index,
    segments: int,
    seed: int = 0,
    segments_per_video: int = SEGMENTS_PER_VIDEO,
    videos_per_batch: int = 10,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `segments` synthetic segments over new ready videos of `index`; returns the videos written."""
    check(actor, LibraryCommand.TASK_CREATE, index.team_id, what="index")
    rng = np.random.default_rng(seed)
    words = list(VOCABULARY)
    spaces = {option: np.asarray(embed(words), dtype=np.float32) for option, embed in _option_embedders(index).items()}
    # Zipf-like word frequencies: a few words are said everywhere, most rarely (as in speech).
    frequency = 1.0 / np.arange(1, len(words) + 1) ** 0.8
    frequency = frequency[rng.permutation(len(words))]
    frequency /= frequency.sum()
    run = hashlib.sha256(f"{index.id}:{seed}:{timezone.now().isoformat()}".encode()).hexdigest()[:12]
    written = 0
    video_number = Video.objects.filter(index=index).count()
    while written < segments:
        with transaction.atomic():
            for _ in range(videos_per_batch):
                count = min(segments_per_video, segments - written)
                if count <= 0:
                    break
                _write_video(index, rng, words, frequency, spaces, count, video_number, run)
                video_number += 1
                written += count
                if progress is not None:
                    progress(count)
            Index.objects.filter(id=index.id).update(content_version=F("content_version") + 1)
    return video_number


def _write_video(
    index: Index,
    rng: np.random.Generator,
    words: list[str],
    frequency: np.ndarray,
    spaces: dict[str, np.ndarray],
    count: int,
    number: int,
    run: str,
) -> None:
    chosen = rng.choice(len(words), size=(count, WORDS_PER_SEGMENT), p=frequency)
    vectors: dict[str, np.ndarray] = {}
    for option, space in spaces.items():
        summed = space[chosen].sum(axis=1)
        lengths = np.linalg.norm(summed, axis=1, keepdims=True)
        noisy = summed + rng.standard_normal(summed.shape).astype(np.float32) * lengths * NOISE / np.sqrt(
            summed.shape[1]
        )
        vectors[option] = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float16)
    lines = []
    cells = []
    for position in range(count):
        start = position * SEGMENT_SECONDS
        text = " ".join(words[w] for w in chosen[position])
        lines.append(TranscriptLine(start=start + 0.2, end=start + SEGMENT_SECONDS - 0.2, text=text))
        cells.append(
            EngineSegment(
                start=start,
                end=start + SEGMENT_SECONDS,
                transcript=text,
                conversation_vector=vectors[CONVERSATION][position] if CONVERSATION in vectors else None,
                text_vector=vectors[TEXT_IN_VIDEO][position] if TEXT_IN_VIDEO in vectors else None,
                visual_vector=vectors[VISUAL][position] if VISUAL in vectors else None,
            )
        )
    duration = count * SEGMENT_SECONDS
    analysis = VideoAnalysis(probe=_probe(duration), transcript=tuple(lines), segments=tuple(cells))
    name = f"synthetic-{run}-{number:07d}.mp4"
    video = Video.objects.create(
        index=index,
        file=f"synthetic/{name}",
        filename=name,
        sha256=hashlib.sha256(name.encode()).hexdigest(),
        duration=duration,
        fps=25.0,
        width=1280,
        height=720,
        size=1,
        has_audio=True,
        user_metadata={"bucket": number % BUCKETS, "synthetic": True},
        transcript=_transcript_json(analysis.transcript),
        language="en",
        engine_name="synthetic",
        indexed_at=timezone.now(),
    )
    write_segments(video, analysis)
