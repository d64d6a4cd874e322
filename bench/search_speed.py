"""Search latency inside the service at 10k, 100k and 1M segments, and memory per million segments.

    python bench/search_speed.py [--sizes 10000,100000,1000000] [--queries 100] [--options conversation]
                                 [--noise 0.05] [--probe-share 0.08] [--exact]

What is timed is `search.query.search_run` plus the first page, exactly as the
API view calls them, minus HTTP: the version check of the index (one query), the
query embedding (MiniLM, real; the embedding cache is emptied before every query so
each one pays for it), the matrix product, calibration, clip formation, ordering, and
the first page's moments (one query for its transcripts).

The matrices are built in memory, not from indexed videos (a million segments is 1,100
hours of video): `IndexMatrices` with synthetic clustered unit vectors, put in the
per-process cache under a real Index row of a throw-away SQLite database, so the
service finds them as it would after a build. Clusters: size/500 centres, 20 of them
the embeddings of the benchmark's topics, every vector its centre plus Gaussian noise
(cosine to the centre about 0.7, a "medium"-"high" match); segments come in runs of
1-5 of one cluster, as scenes do, so hits merge into clips. A topic query therefore
finds about 500 segments, like a real query on a large library. Exact-match
(`--exact`) adds a synthetic transcript of 10 words per segment and times phrase
queries. Prints figures; it is not a test. Target (issue 4): p50 <= 30 ms and
p95 <= 60 ms at 1M segments on 2 cores.

From `partition.PARTITION_FROM` vectors on, option matrices are partitioned into
inverted lists (search/partition.py) and a query scans the nearest lists only.
Then the script also measures recall against exact search over the same vectors:
of the segments exact search passes at the default threshold, the share the partitioned
search passes too, and of the first page's moments (top 10), the share it returns.
`--noise` makes the clusters looser (0.08: cosine to the centre about 0.5), which is
harder for the lists; `--probe-share` sets how many lists a query scans.
"""

from __future__ import annotations

import argparse
import dataclasses
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
os.environ.setdefault("FRAMEWISE_VAR_DIR", tempfile.mkdtemp(prefix="framewise-search-bench-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from engines.base import CONVERSATION, TEXT_IN_VIDEO  # noqa: E402
from library.engine import get_engine  # noqa: E402
from library.models import Index, Team  # noqa: E402
from search import calibration, embeddings, matrix, partition  # noqa: E402
from search.matrix import IndexMatrices, span_table  # noqa: E402
from search.query import search_run  # noqa: E402
from search.spec import Leaf, SearchSpec  # noqa: E402
from search.speech import speech_corpus  # noqa: E402
from search.vectors import OptionMatrix  # noqa: E402

TOPICS = [
    "cooking pasta with tomato sauce", "a football match in the rain", "backing up computer files",
    "the weather forecast for tomorrow", "an electric car on the motorway", "a piano lesson for children",
    "a doctor talks about drinking water", "hiking to a mountain top at sunrise", "the stock market falls",
    "a cat sleeping on a windowsill", "an exhibition about ancient Egypt", "learning to program in Python",
    "a birthday party with balloons", "a summer sale in a shoe shop", "breaking news from parliament",
    "a coffee shop opening", "skiing down a steep slope", "a wedding on the beach", "fixing a bicycle chain",
    "a jazz band playing at night",
]  # fmt: skip
# Noise per dimension (--noise): |noise|^2 = 384 * 0.05^2 = 0.96, so a vector's cosine to its centre is ~0.71.
NOISE = 0.05
SEGMENT_SECONDS = 4.0
SEGMENTS_PER_VIDEO = 900  # one hour of video
WORDS = [
    "time", "people", "way", "year", "day", "thing", "man", "world", "life", "hand", "part", "child", "eye", "woman",
    "place", "work", "week", "case", "point", "number", "group", "problem", "fact", "pasta", "sauce", "football",
    "rain", "water", "doctor", "music", "school", "market", "city",
]  # fmt: skip


def unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def clustered(n: int, topics: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """n unit vectors in runs of 1-5 around n/500 centres (the first ones are the topics)."""
    centres = unit(rng.standard_normal((max(len(topics), n // 500), topics.shape[1]), dtype=np.float32))
    centres[: len(topics)] = topics
    runs = rng.integers(1, 6, size=n)
    labels = np.repeat(rng.integers(0, len(centres), size=n), runs)[:n]
    out = np.empty((n, topics.shape[1]), dtype=np.float16)  # as matrix.build_index_matrices stores them
    for start in range(0, n, 100_000):  # in blocks: the noise of 1M x 384 at once is 1.5 GB more
        stop = min(n, start + 100_000)
        block = centres[labels[start:stop]] + noise * rng.standard_normal((stop - start, topics.shape[1]), np.float32)
        out[start:stop] = unit(block)
    return out


def synthetic_transcript(n: int, rng: np.random.Generator) -> tuple[list[tuple[int, float, float, str]], int]:
    per_segment = 10
    words = rng.choice(np.array(WORDS), size=n * per_segment)
    times = np.arange(n * per_segment) * (SEGMENT_SECONDS / per_segment)
    video = (np.arange(n * per_segment) // (per_segment * SEGMENTS_PER_VIDEO)).astype(int)
    local = times - video * SEGMENT_SECONDS * SEGMENTS_PER_VIDEO
    return list(zip(video.tolist(), local.tolist(), (local + 0.3).tolist(), words.tolist(), strict=True)), per_segment


def build(
    index_id: str, n: int, options: list[str], exact: bool, rng: np.random.Generator, noise: float
) -> IndexMatrices:
    topics = get_engine().embed_texts(TOPICS)
    videos = max(1, -(-n // SEGMENTS_PER_VIDEO))
    segment_video = (np.arange(n) // SEGMENTS_PER_VIDEO).astype(np.int32)
    segment_start = (np.arange(n) % SEGMENTS_PER_VIDEO) * SEGMENT_SECONDS
    speech = speech_corpus(synthetic_transcript(n, rng)[0] if exact else [])
    speech_start, speech_end = matrix.speech_bounds(speech, segment_video, segment_start, segment_start + 4.0)
    if not exact:
        speech_start, speech_end = segment_start + 0.5, segment_start + 3.5
    return IndexMatrices(
        index_id=index_id,
        version=0,
        videos=tuple(f"video{number:020d}" for number in range(videos)),
        video_duration=np.full(videos, SEGMENTS_PER_VIDEO * SEGMENT_SECONDS),
        segment_id=np.arange(n, dtype=np.int64) + 10**9,  # no such rows: the page's transcript query finds none
        segment_video=segment_video,
        segment_start=segment_start.astype(np.float64),
        segment_end=(segment_start + SEGMENT_SECONDS).astype(np.float64),
        speech_start=np.asarray(speech_start, dtype=np.float64),
        speech_end=np.asarray(speech_end, dtype=np.float64),
        # As build_index_matrices makes them: partitioned from partition.PARTITION_FROM vectors on.
        options={
            option: OptionMatrix.of(np.arange(n, dtype=np.int32), clustered(n, topics, rng, noise))
            for option in options
        },
        speech=speech,
        texts=span_table([]),
        logos=span_table([]),
        video_code={f"video{number:020d}": number for number in range(videos)},
    )


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def time_queries(
    index: Index, options: list[str], queries: list[str], conversation_option: str
) -> tuple[list[float], list[float]]:
    """(new query, same query again) seconds: the second run finds its vector in the cache,
    as the next pages of a search do, so it times everything but the embedding."""
    cold, warm = [], []
    for text in queries:
        embeddings._caches.clear()  # every query pays for its embedding, as a new query would
        spec = SearchSpec(query=Leaf(text=text), index_ids=(index.id,), options=tuple(options),
                          conversation_option=conversation_option)  # fmt: skip
        for seconds in (cold, warm):
            started = time.perf_counter()
            outcome = search_run(spec=spec, indexes=[index])
            outcome.page(offset=0, limit=10)
            seconds.append(time.perf_counter() - started)
    return cold, warm


def report(label: str, seconds: list[float], found: str = "") -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * len(ms)) - 1)]
    print(f"  {label:<34} p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms  {found}")


def unpartitioned(built: IndexMatrices, index_id: str) -> IndexMatrices:
    """The same vectors without lists: what exact search would see (shares the arrays, no copy)."""
    options = {option: OptionMatrix(rows=m.rows, vectors=m.vectors) for option, m in built.options.items()}
    return dataclasses.replace(built, index_id=index_id, options=options)


def recall(built: IndexMatrices, exact_index: Index, index: Index, options: list[str], queries: list[str]) -> str:
    """Partitioned vs exact search: passing segments at the default threshold, and the first page's moments."""
    floor = calibration.raw_floor(calibration.THRESHOLDS["low"], options[0])
    found = expected = page_found = page_expected = 0
    for text in queries:
        query = embeddings.text_vectors([text])[0]
        approximate = set(built.options[options[0]].passing(query, floor, 10**9)[0].tolist())
        exact_matrix = OptionMatrix(rows=built.options[options[0]].rows, vectors=built.options[options[0]].vectors)
        exact = set(exact_matrix.passing(query, floor, 10**9)[0].tolist())
        found, expected = found + len(approximate & exact), expected + len(exact)
        approximate_page, exact_page = (
            search_run(spec=SearchSpec(query=Leaf(text=text), index_ids=(target.id,), options=tuple(options)),
                       indexes=[target]).page(offset=0, limit=10)
            for target in (index, exact_index)
        )  # fmt: skip
        # A moment counts as found when the partitioned first page has one of the same video
        # overlapping it: a missed neighbour segment moves a clip's edge, not what it shows.
        page_found += sum(
            any(a.video_id == e.video_id and a.start < e.end and e.start < a.end for a in approximate_page)
            for e in exact_page
        )
        page_expected += len(exact_page)
    return (f"recall vs exact: segments {found / max(expected, 1):.3f} ({found:,}/{expected:,}), "
            f"first-page moments {page_found / max(page_expected, 1):.3f} ({page_found}/{page_expected})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--options", default=CONVERSATION, help=f"comma-separated, e.g. {CONVERSATION},{TEXT_IN_VIDEO}")
    parser.add_argument("--exact", action="store_true", help="also time exact_match on a synthetic transcript")
    parser.add_argument("--noise", type=float, default=NOISE, help="per-dimension noise around cluster centres")
    parser.add_argument("--probe-share", type=float, default=partition.PROBE_SHARE, help="share of lists scanned")
    parser.add_argument("--lists-per-root", type=float, default=partition.LISTS_PER_ROOT, help="lists per sqrt(n)")
    args = parser.parse_args()
    partition.PROBE_SHARE = args.probe_share
    partition.LISTS_PER_ROOT = args.lists_per_root
    options = args.options.split(",")

    call_command("migrate", verbosity=0)
    team = Team.objects.create(name="bench")
    rng = np.random.default_rng(0)
    get_engine().embed_texts(["warm up"])  # the model loads once per process, before any clock
    related = [TOPICS[i % len(TOPICS)] for i in range(args.queries)]
    # Paraphrase-like variants: every query text is new to the embedding cache anyway.
    related = [f"{text} ({number})" for number, text in enumerate(related)]
    unrelated = [f"a purple elephant juggling number {number}" for number in range(args.queries)]
    print(f"search_run + first page, {args.queries} queries per row, options {options}, {os.cpu_count()} cores")
    for n in (int(size) for size in args.sizes.split(",")):
        engines = [{"engine_name": "marengo2.6", "engine_options": ["visual", "conversation", "text_in_video", "logo"]}]
        index = Index.objects.create(team=team, name=f"bench {n}", engines=engines)
        matrix.clear_cache()
        before = rss_mib()
        started = time.perf_counter()
        built = build(index.id, n, options, args.exact, rng, args.noise)
        built_in = time.perf_counter() - started
        matrix._cache._entries[index.id] = built  # what index_matrices() would have built
        grown = rss_mib() - before
        lists = built.options[options[0]].partitions
        layout = "exact" if lists is None else f"{len(lists.centroids):,} lists, {lists.probes} scanned per query"
        print(f"{n:>9,} segments: matrices {built.nbytes() / 2**20:,.0f} MiB "
              f"({built.nbytes() / n * 1e6 / 2**30:.2f} GiB per million), RSS +{grown:,.0f} MiB; "
              f"{layout} (synthetic vectors + lists built in {built_in:.1f} s)")  # fmt: skip
        time_queries(index, options, related[:5], "semantic")  # warm-up: first-touch page faults, numpy paths
        hits = search_run(spec=SearchSpec(query=Leaf(text=TOPICS[0]), index_ids=(index.id,), options=tuple(options)),
                          indexes=[index]).total_results  # fmt: skip
        cold, warm = time_queries(index, options, related, "semantic")
        report("semantic, related queries", cold, f"({hits} clips)")
        report("  same, query vector cached", warm)
        cold, warm = time_queries(index, options, unrelated, "semantic")
        report("semantic, unrelated queries", cold)
        report("  same, query vector cached", warm)
        if lists is not None:
            exact_index = Index.objects.create(team=team, name=f"bench {n} exact", engines=engines)
            matrix._cache._entries[exact_index.id] = unpartitioned(built, exact_index.id)
            print(f"  {recall(built, exact_index, index, options, related)}")
            cold, warm = time_queries(exact_index, options, related, "semantic")
            report("exact search, related queries", cold)
            report("  same, query vector cached", warm)
        if args.exact:
            phrases = [f"{WORDS[i % len(WORDS)]} {WORDS[(i * 7) % len(WORDS)]}" for i in range(args.queries)]
            report("exact_match, two-word phrases", time_queries(index, [CONVERSATION], phrases, "exact_match")[0])
        del built
        matrix.clear_cache()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
