"""Classification speed over 1 000 videos: 50 prompts through the API, and the whole IAB 3.1 taxonomy as a run.

    python bench/classify_speed.py [--videos 1000] [--repeat 3]

The library is synthetic but sized like a real one: `--videos` videos of 1-10 minutes
(uniform, so ~82 segments of 4 s each, ~82 000 segments for 1 000 videos), with a
conversation vector on 80 % of the segments and a text_in_video vector on 50 %
(384-d MiniLM space). Every video is mostly about one topic (70 % of its segments), a
little about another (15 %) and the rest about nothing in particular: segment vectors
are the real MiniLM embeddings of topic phrases plus noise (cosine to the topic ~0.65),
so most videos get a label or two, and the clip and label work is exercised.
The matrices are put in the per-process cache under a real Index row of a throw-away
SQLite database, exactly where `index_matrices()` would have built them.

What is timed is the real code path:
* 50 prompts (10 classes x 5): `POST /v1.2/classify/bulk` through Django's test client
  with an API key - auth, validation, prompt embedding (MiniLM, real; "cold" empties the
  prompt cache first), scoring, ranking, the result set written for page tokens, JSON;
* IAB 3.1 (704 nodes, ~704 prompts, hierarchy roll-up): `classify_videos` as a run calls
  it (scores, clips of every label), cold and warm; then `run_execute` end to end, which
  also writes every label to SQLite (one transaction per video).

Targets (issue 5, 2 cores): 50 prompts x 1 000 videos <= 1 s; IAB 3.1 x 1 000 videos
<= 15 s. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("FRAMEWISE_VAR_DIR", tempfile.mkdtemp(prefix="framewise-classify-bench-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("API_RATE_LIMIT", "100000/min")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from core import accounts  # noqa: E402
from core.rules import Actor  # noqa: E402
from library.engine import get_engine  # noqa: E402
from library.models import Index, Video  # noqa: E402
from search import embeddings, matrix  # noqa: E402
from search.matrix import IndexMatrices, span_table  # noqa: E402
from search.speech import speech_corpus  # noqa: E402
from search.vectors import OptionMatrix, unit_matrix  # noqa: E402
from taxonomy import iab_import, run_services, runs  # noqa: E402
from taxonomy.classify import classify_videos  # noqa: E402
from taxonomy.models import ClassificationRun, RunStatus, VideoLabel  # noqa: E402
from taxonomy.scoring import Thresholds  # noqa: E402

IAB_FILE = ROOT.parent / "shared" / "data" / "iab" / "content-taxonomy-3.1.tsv"
SEGMENT_SECONDS = 4.0
NOISE = 0.06  # per dimension: |noise|^2 = 384 x 0.06^2 = 1.38, cosine to the topic ~0.65
# Topics phrased like IAB categories, so that both the 50 prompts and the IAB names find them.
TOPICS = [
    "cooking a meal", "a soccer match", "electric cars", "the weather forecast", "dogs and cats",
    "piano lessons", "fashion trends", "hiking in the mountains", "the stock market", "beach travel",
    "learning to program", "a wedding", "auto repair", "makeup and skincare", "basketball",
    "buying a house", "a rock concert", "whales in the ocean", "video games", "yoga",
]  # fmt: skip
CLASSES = [
    {"name": name, "prompts": prompts}
    for name, prompts in [
        ("Cooking", ["cooking", "a recipe", "food in the kitchen", "pasta", "baking"]),
        ("Sports", ["sports", "a football match", "basketball", "athletes", "a stadium crowd"]),
        ("Cars", ["cars", "an electric car", "auto repair", "driving on the road", "trucks"]),
        ("Pets", ["pets", "dogs", "cats", "playing with animals", "a veterinarian"]),
        ("Fashion", ["fashion", "clothing", "makeup", "beauty products", "a catwalk"]),
        ("Travel", ["travel", "a holiday", "the beach", "hotels", "sightseeing"]),
        ("Finance", ["money", "the stock market", "banking", "a mortgage", "investing"]),
        ("Music", ["music", "a concert", "playing the piano", "guitars", "singing"]),
        ("Technology", ["technology", "programming", "computers", "video games", "software"]),
        ("Nature", ["nature", "mountains", "wild animals", "the ocean", "hiking"]),
    ]
]


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def build(index_id: str, video_ids: list[str], rng: np.random.Generator) -> IndexMatrices:
    """A library of 1-10 minute videos, each about one or two topics, in the layout search builds."""
    topics = get_engine().embed_texts(TOPICS)
    durations = rng.uniform(60, 600, size=len(video_ids)).round(1)
    counts = np.ceil(durations / SEGMENT_SECONDS).astype(int)
    segment_video = np.repeat(np.arange(len(video_ids), dtype=np.int32), counts)
    first_row = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.arange(len(segment_video)) - first_row[segment_video]
    starts = local * SEGMENT_SECONDS
    ends = np.minimum(starts + SEGMENT_SECONDS, durations[segment_video])
    n = len(segment_video)
    # Each video: a main topic, a second one, and "nothing in particular" (a random direction).
    main = rng.integers(0, len(topics), size=len(video_ids))
    second = rng.integers(0, len(topics), size=len(video_ids))
    choice = rng.choice(3, size=n, p=[0.7, 0.15, 0.15])
    centres = np.where(choice == 0, main[segment_video], second[segment_video])
    base = topics[centres]
    base[choice == 2] = unit(rng.standard_normal((int((choice == 2).sum()), topics.shape[1]), dtype=np.float32))

    def option(share: float) -> OptionMatrix:
        rows = np.sort(rng.choice(n, size=int(n * share), replace=False)).astype(np.int32)
        vectors = base[rows] + NOISE * rng.standard_normal((len(rows), topics.shape[1]), dtype=np.float32)
        return OptionMatrix(rows=rows, vectors=unit_matrix(vectors))  # float16, as search stores them

    return IndexMatrices(
        index_id=index_id,
        version=0,
        videos=tuple(video_ids),
        video_duration=durations,
        segment_id=np.arange(n, dtype=np.int64),
        segment_video=segment_video,
        segment_start=starts.astype(np.float64),
        segment_end=ends.astype(np.float64),
        speech_start=starts + 0.5,
        speech_end=ends - 0.5,
        options={"conversation": option(0.8), "text_in_video": option(0.5)},
        speech=speech_corpus([]),
        texts=span_table([]),
        logos=span_table([]),
        video_code={video_id: code for code, video_id in enumerate(video_ids)},
    )


def timed(action: object, repeat: int, *, cold: bool) -> tuple[float, float, object]:
    """Median wall and CPU seconds of `action` (CPU: this process, all threads; on a busy host wall
    time includes waiting for the cores, so both are printed)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        if cold:
            embeddings._caches.clear()
        started, cpu = time.perf_counter(), time.process_time()
        result = action()  # type: ignore[operator]
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    team = accounts.team_create(actor=Actor.system("bench"), name="bench")
    user = User.objects.create_user("bench")
    accounts.membership_set(actor=Actor.system("bench"), team=team, user=user, role="editor")
    _, key = accounts.api_key_create(actor=Actor.system("bench"), team=team, user=user)
    index = Index.objects.create(
        team=team,
        name="bench",
        engines=[{"engine_name": "marengo2.6", "engine_options": ["conversation", "text_in_video"]}],
    )
    now = timezone.now()
    videos = Video.objects.bulk_create(
        Video(index=index, file=f"v{n}.mp4", filename=f"v{n}.mp4", sha256=f"{n:064d}", duration=0, fps=25,
              width=640, height=360, size=1, indexed_at=now)
        for n in range(args.videos)
    )  # fmt: skip
    rng = np.random.default_rng(0)
    built = build(index.id, sorted(video.id for video in videos), rng)
    matrix._cache._entries[index.id] = built  # what index_matrices() would have built
    options = list(built.options)
    print(
        f"{args.videos} videos, {built.segment_count:,} segments ({built.total_duration / 3600:,.0f} h), "
        f"{', '.join(f'{o} {len(m.rows):,}' for o, m in built.options.items())} vectors, {os.cpu_count()} cores"
    )

    client = Client(headers={"x-api-key": key})

    def request(**extra: object) -> object:
        body = {"index_id": index.id, "options": options, "classes": CLASSES, **extra}
        response = client.post("/v1.2/classify/bulk", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        return response.json()

    request()  # warm-up: MiniLM loaded, first-touch page faults, numpy paths
    print("50 prompts (10 classes x 5), POST /v1.2/classify/bulk, default thresholds:")
    for label, extra, cold in [
        ("prompts not cached", {}, True),
        ("prompts cached", {}, False),
        ("include_clips + show_detailed_score", {"include_clips": True, "show_detailed_score": True}, False),
    ]:
        wall, cpu, body = timed(lambda extra=extra: request(**extra), args.repeat, cold=cold)
        found = body["page_info"]["total_results"]  # type: ignore[index]
        print(f"  {label:<38} {wall:6.3f} s wall {cpu:6.3f} s CPU   ({found} videos with a class)")

    if not IAB_FILE.exists():
        print(f"IAB 3.1 skipped: {IAB_FILE} is missing")
        return
    taxonomy = iab_import.taxonomy_import_iab(
        actor=Actor.system("bench"), team=team, data=IAB_FILE.read_bytes(), name="IAB 3.1"
    ).taxonomy
    run = run_services.run_create(
        actor=Actor.system("bench"), taxonomy=taxonomy, index=index, options=options, thresholds=Thresholds()
    )
    nodes, specs = runs.node_specs(run)
    prompts = sum(len(spec.prompts) for spec in specs)
    print(f"IAB 3.1: {len(nodes)} nodes, {prompts} prompts, roll-up over 4 tiers, clips of every label:")
    for label, cold in [("classify_videos, prompts not cached", True), ("classify_videos, prompts cached", False)]:
        wall, cpu, result = timed(
            lambda: classify_videos([built], specs, Thresholds(), with_clips=True), args.repeat, cold=cold
        )
        labels = sum(len(item.classes) for item in result.videos)  # type: ignore[attr-defined]
        found = len(result.videos)  # type: ignore[attr-defined]
        print(f"  {label:<38} {wall:6.3f} s wall {cpu:6.3f} s CPU   ({labels:,} labels on {found} videos)")
    embeddings._caches.clear()
    started, cpu = time.perf_counter(), time.process_time()
    runs.run_execute(run_id=run.id, worker="bench")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    print(
        f"  {'run_execute (labels written to SQLite)':<38} {elapsed:6.3f} s wall {cpu:6.3f} s CPU   "
        f"({VideoLabel.objects.count():,} labels, "
        f"{ClassificationRun.objects.get(id=run.id).videos_done} videos)"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
