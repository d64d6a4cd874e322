"""Search at scale through the HTTP API, on either vector backend (issue 21).

    python bench/search_scale.py --index INDEX_ID --backend pgvector --port 8100 [--queries 60] [--upload]

Run against a database that already holds a synthetic library (manage.py
load_synthetic_library INDEX_ID --segments N --defer-hnsw; the loader prints the HNSW
build time), with DATABASE_URL set as for manage.py. It starts `manage.py serve` (two
gunicorn web processes and the worker cluster) with FRAMEWISE_VECTOR_BACKEND=--backend,
then measures:

* RSS of each web process after its first search of an empty index (models loaded),
  and again after the latency runs on the big index: the growth is what the library costs;
* p50/p95 of new queries (three random vocabulary words: never a cached embedding) at 1
  and 8 concurrent clients, POST /v1.2/search conversation semantic, first page;
* recall against exact search (numpy over every vector of the option, in this process)
  of what the backend returns (search.pg_read.read, or the in-process matrices):
  recall@10, above-threshold recall (of the segments exact search puts above the `low`
  threshold, the share returned), and the same with filters selecting 10 %, 1 % and
  0.1 % of the videos (user_metadata.bucket);
* table and index sizes (pgvector);
* ready -> searchable: a synthetic video written through the indexing write path, then
  its words searched (exact_match) through the API until it is found;
* with --upload: a real generated video (espeak-ng speech) uploaded through
  /v1.2/tasks, the time from `ready` until its spoken phrase is found, and the slowest
  search issued while it was indexing and right after.

Prints a table; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(backend: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["FRAMEWISE_VECTOR_BACKEND"] = backend
    import django

    django.setup()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _web_workers(server: subprocess.Popen[bytes]) -> list[int]:
    import psutil

    found = []
    for child in psutil.Process(server.pid).children(recursive=True):
        cmd = " ".join(child.cmdline())
        parent = child.parent()
        if "gunicorn" in cmd and parent is not None and "gunicorn" in " ".join(parent.cmdline()):
            found.append(child.pid)
    return sorted(found)


class Api:
    def __init__(self, port: int, key: str) -> None:
        import requests

        self.base = f"http://127.0.0.1:{port}"
        self.session = requests.Session()
        self.session.headers["x-api-key"] = key
        self.local = threading.local()
        self.key = key

    def _session(self) -> Any:
        import requests

        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
            session.headers["x-api-key"] = self.key
        return session

    def search(self, index_id: str, text: str, **body: Any) -> tuple[float, dict[str, Any]]:
        payload = {"index_id": index_id, "query": text, "search_options": ["conversation"], **body}
        began = time.perf_counter()
        response = self._session().post(f"{self.base}/v1.2/search", json=payload, timeout=900)
        took = time.perf_counter() - began
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} {response.text[:300]}")
        return took, response.json()


def _words(rng: np.random.Generator, count: int) -> str:
    from library.synthetic_library import VOCABULARY

    return " ".join(VOCABULARY[i] for i in rng.choice(len(VOCABULARY), size=count, replace=False))


def _latency(
    api: Api, index_id: str, clients: int, queries: int, rng: np.random.Generator, threshold: str
) -> list[float]:
    texts = [_words(rng, 3) + f" {n}" for n in range(queries)]  # the number: never a cached embedding
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(lambda text: api.search(index_id, text, threshold=threshold)[0], texts))


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q))


def _exact_vectors(index_id: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(segment ids, unit float16 vectors, video id of each) of the index's conversation option."""
    from django.db import connection

    ids, videos, chunks = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, video_id, conversation_vector FROM library_segment "
            "WHERE index_id = %s AND conversation_vector IS NOT NULL ORDER BY id",
            [index_id],
        )
        while rows := cursor.fetchmany(50_000):
            ids += [row[0] for row in rows]
            videos += [row[1] for row in rows]
            chunks.append(
                np.frombuffer(b"".join(bytes(row[2]) for row in rows), dtype=np.float16).reshape(len(rows), -1)
            )
    matrix = np.concatenate(chunks).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.array(ids, dtype=np.int64), matrix, videos


def _recall(index_id: str, backend: str, queries: int, rng: np.random.Generator) -> dict[str, float]:
    from library.models import Video
    from search import calibration
    from search.embeddings import text_vectors
    from search.matrix import index_matrices
    from search.scoring import MAX_CANDIDATES

    floor = calibration.raw_floor(calibration.LOW, "conversation")
    ids, matrix, videos = _exact_vectors(index_id)
    video_of = np.array(videos)
    buckets = dict(Video.objects.filter(index_id=index_id).values_list("id", "user_metadata__bucket"))
    results: dict[str, list[float]] = {}
    memory = index_matrices(index_id) if backend == "memory" else None
    for share, below in (("", None), ("10%", 100), ("1%", 10), ("0.1%", 1)):
        allowed = None if below is None else sorted(v for v, b in buckets.items() if b is not None and b < below)
        scope = np.ones(len(ids), dtype=bool) if allowed is None else np.isin(video_of, allowed)
        for _ in range(queries):
            text = _words(rng, 3)
            query = text_vectors([text])[0]
            cosines = matrix @ query
            cosines[~scope] = -2
            order = np.argsort(-cosines)
            top10 = set(ids[order[:10]].tolist())
            above = set(ids[order[: min(int((cosines >= floor).sum()), MAX_CANDIDATES)]].tolist())
            if memory is not None:
                option = memory.options["conversation"]
                mask = None
                if allowed is not None:
                    mask = np.isin(np.array(memory.videos), allowed)[memory.segment_video][option.rows]
                got_pos, got_cos = option.passing(query, -1.0, MAX_CANDIDATES, allowed=mask)
                seg = memory.segment_id[option.rows[got_pos]]
                best = seg[np.argsort(-got_cos)]
                got_top = set(best[:10].tolist())
                got_above = set(seg[got_cos >= floor].tolist())
            else:
                from search.pg_read import read

                rows = read(
                    index_id=index_id, option="conversation", vector=query, floor=-1.0, allowed=allowed, limits=(100,)
                ).rows
                got_top = {row[0] for row in rows[:10]}
                passing = read(
                    index_id=index_id, option="conversation", vector=query, floor=floor, allowed=allowed
                ).rows
                got_above = {row[0] for row in passing}
            suffix = f" {share}" if share else ""
            results.setdefault(f"recall@10{suffix}", []).append(len(top10 & got_top) / max(1, len(top10)))
            if above:
                results.setdefault(f"above-threshold recall{suffix}", []).append(len(above & got_above) / len(above))
            results.setdefault(f"above-threshold count{suffix}", []).append(len(above))
    return {name: float(np.mean(values)) for name, values in results.items()}


def _sizes() -> dict[str, str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size('library_segmentvector')), "
            "pg_size_pretty(pg_total_relation_size('library_segmentvector')), "
            "pg_size_pretty(coalesce(pg_relation_size(to_regclass('segvec_hnsw_conversation_384')), 0)), "
            "pg_size_pretty(pg_total_relation_size('library_segment'))"
        )
        table, total, hnsw, segments = cursor.fetchone()
    return {
        "vector table": table,
        "vector table + indexes": total,
        "HNSW (conversation)": hnsw,
        "segment table": segments,
    }


def _ready_to_searchable(api: Api, index: Any) -> float:
    from core.rules import Actor
    from library.models import Video
    from library.synthetic_library import synthetic_library_load

    before = set(Video.objects.filter(index=index).values_list("id", flat=True))
    synthetic_library_load(actor=Actor.system("bench"), index=index, segments=50, seed=int(time.time()))
    ready = time.perf_counter()
    video = Video.objects.filter(index=index).exclude(id__in=before).get()
    phrase = video.transcript[7]["value"]
    while time.perf_counter() - ready < 120:
        _, body = api.search(index.id, phrase, conversation_option="exact_match", filter={"id": [video.id]})
        if any(item["video_id"] == video.id for item in body["data"]):
            return time.perf_counter() - ready
        time.sleep(0.05)
    return float("inf")


def _upload(api: Api, index_id: str, rng: np.random.Generator) -> dict[str, float]:
    """A real video with a unique spoken phrase: time from ready to found, slowest search meanwhile."""
    import tempfile

    from library.synthetic import Scene, make_video

    phrase = "the purple submarine sings opera at midnight"
    path = Path(tempfile.mkdtemp()) / "upload.mp4"
    # A run number in the speech: a second run's file is new, not a duplicate of the first's.
    speech = f"Listen: {phrase}. Run {int(time.time()) % 1000}."
    make_video(path, scenes=[Scene(8.0, "testsrc2", speech=speech)], size=(640, 360))
    with path.open("rb") as handle:
        response = api._session().post(
            f"{api.base}/v1.2/tasks", data={"index_id": index_id, "language": "en"},
            files={"video_file": ("upload.mp4", handle, "video/mp4")}, timeout=120,
        )  # fmt: skip
    response.raise_for_status()
    task_id = response.json()["_id"]
    slowest: list[float] = []
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            slowest.append(api.search(index_id, _words(rng, 3))[0])

    thread = threading.Thread(target=searching, daemon=True)
    thread.start()
    ready_at = None
    began = time.perf_counter()
    while time.perf_counter() - began < 900:
        status = api._session().get(f"{api.base}/v1.2/tasks/{task_id}", timeout=30).json()
        if status["status"] == "ready":
            ready_at = time.perf_counter()
            break
        if status["status"] == "failed":
            raise RuntimeError(status)
        time.sleep(0.1)
    found = float("inf")
    if ready_at is not None:
        while time.perf_counter() - ready_at < 60:
            # Two words the recogniser hears every time (tiny.en once made "sings" "seeing").
            _, body = api.search(index_id, "purple submarine", conversation_option="exact_match")
            if any(item["video_id"] == status["video_id"] for item in body["data"]):
                found = time.perf_counter() - ready_at
                break
            time.sleep(0.05)
        after = time.perf_counter()
        while time.perf_counter() - after < 5:
            time.sleep(0.2)
    stop.set()
    thread.join()
    return {"upload ready -> phrase found (s)": found, "slowest search during/after upload (ms)": max(slowest) * 1000}


class _Table(dict[str, Any]):
    """The results, each printed as soon as it is measured (a late failure keeps the rest)."""

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        print(f"{name}: {value}", flush=True)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]  # dict's overloads
        for name, value in dict(*args, **kwargs).items():
            self[name] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True)
    parser.add_argument("--backend", choices=["memory", "pgvector"], required=True)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--queries", type=int, default=60, help="per latency run")
    parser.add_argument("--recall-queries", type=int, default=30)
    parser.add_argument("--upload", action="store_true")
    parser.add_argument("--no-recall", action="store_true")
    parser.add_argument(
        "--threshold", default="low", help="of the latency queries, comma-separated (low: the API's default)"
    )
    args = parser.parse_args()
    _setup(args.backend)

    from django.contrib.auth import get_user_model

    from core import accounts
    from core.models import Membership
    from core.rules import Actor
    from library.models import Index

    index = Index.objects.get(id=args.index)
    user, _ = get_user_model().objects.get_or_create(username="bench-scale")
    Membership.objects.get_or_create(team=index.team, user=user, defaults={"role": "owner"})
    _, key = accounts.api_key_create(actor=Actor.system("bench"), team=index.team, user=user, name="bench")
    # The baseline library: one small video, so a search loads the models (an index without
    # vectors never embeds the query in process) but holds next to no vectors.
    empty, _ = Index.objects.get_or_create(team=index.team, name="bench-empty", defaults={"engines": index.engines})
    if not empty.videos.exists():
        from library.synthetic_library import synthetic_library_load

        synthetic_library_load(actor=Actor.system("bench"), index=empty, segments=20, seed=1)

    env = {
        **os.environ,
        "FRAMEWISE_VECTOR_BACKEND": args.backend,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{args.port}", "--web-workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    table = _Table(backend=args.backend)
    try:
        api = Api(args.port, key)
        for _ in range(120):
            try:
                api.search(empty.id, "warm up")
                break
            except Exception:
                time.sleep(1)
        # Both workers: their first searches of the empty index (models loaded), concurrently so
        # that each worker gets some.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: api.search(empty.id, f"warm up {n}"), range(32)))
        workers = _web_workers(server)
        rss_empty = {pid: _rss_mb(pid) for pid in workers}
        rng = np.random.default_rng(7)
        began = time.perf_counter()
        first = [api.search(index.id, _words(rng, 3))[0] for _ in range(4)]
        table["first 4 searches of the big index (s)"] = round(time.perf_counter() - began, 2)
        table["slowest of them (ms)"] = round(max(first) * 1000)
        for threshold in args.threshold.split(","):
            for clients in (1, 8):
                took = _latency(api, index.id, clients, args.queries, rng, threshold)
                table[f"p50 / p95 at {clients} client(s), threshold {threshold} (ms)"] = (
                    f"{_pct(took, 50):.0f} / {_pct(took, 95):.0f}"
                )
        rss_big = {pid: _rss_mb(pid) for pid in workers}
        table["web RSS empty -> big (MB)"] = ", ".join(
            f"{rss_empty[pid]:.0f} -> {rss_big[pid]:.0f} (+{rss_big[pid] - rss_empty[pid]:.0f})" for pid in workers
        )
        table["ready -> searchable, synthetic video (s)"] = round(_ready_to_searchable(api, index), 2)
        if args.upload:
            table.update({k: round(v, 2) for k, v in _upload(api, index.id, rng).items()})
        table.update(_sizes())
        if not args.no_recall:
            table.update({k: round(v, 3) for k, v in _recall(index.id, args.backend, args.recall_queries, rng).items()})
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
    width = max(map(len, table))
    for name, value in table.items():
        print(f"{name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
