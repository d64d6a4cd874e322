"""A fake Twelve Labs v1.2 server on 127.0.0.1 for the cloud engine's tests.

It implements only what engines/twelvelabs calls, with deterministic data, and records
every request (headers, query, JSON, multipart fields and files) for assertions.
Scripted `faults` answer matching requests with an error or a delay before the normal
handling resumes; `task_script` and `embed_script` are the statuses successive polls see.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

API_KEY = "tlk_test_key"
DIMENSIONS = 8


def text_vector(text: str) -> list[float]:
    """The fake's text embedding: fixed per text, deliberately not unit length."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round((byte - 127.5) / 16.0, 4) for byte in digest[:DIMENSIONS]]


def image_vector(content: bytes) -> list[float]:
    """The fake's image embedding: fixed per image file."""
    return text_vector(hashlib.sha256(content).hexdigest())


def unit(values: list[float] | np.ndarray) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float64)
    return vector / np.linalg.norm(vector)


@dataclass
class Recorded:
    method: str
    path: str  # without the /v1.2 prefix
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    json: Any = None
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (filename, content)
    at: float = 0.0


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and the `path` regex like this."""

    method: str
    path: str
    status: int = 503
    body: dict[str, Any] = field(default_factory=lambda: {"code": "unavailable", "message": "Try again later."})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to trip the client's timeout)
    times: int = 1


@dataclass
class FakeTwelveLabs:
    transcription: list[dict[str, Any]] = field(default_factory=list)
    text_in_video: list[dict[str, Any]] = field(default_factory=list)
    logos: list[dict[str, Any]] = field(default_factory=list)
    clips: list[dict[str, Any]] = field(default_factory=list)  # embed task segments, as sent
    # Successive GET /tasks/{id} answers: (status, percentage); the last one repeats.
    task_script: list[tuple[str, float]] = field(
        default_factory=lambda: [("validating", 0.0), ("indexing", 25.0), ("indexing", 75.0), ("ready", 100.0)]
    )
    task_error: dict[str, str] | None = None
    embed_script: list[str] = field(default_factory=lambda: ["processing", "ready"])
    embed_error: str = ""
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    embed_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def calls(self, method: str, path: str) -> list[Recorded]:
        """Recorded requests with this method whose path matches the regex `path` entirely."""
        return [r for r in self.requests if r.method == method and re.fullmatch(path, r.path)]

    # -- request handling ------------------------------------------------------------

    def handle(self, recorded: Recorded) -> tuple[int, dict[str, str], Any, float]:
        """(status, headers, JSON body, delay) for one request."""
        with self._lock:
            self.requests.append(recorded)
            for fault in self.faults:
                if fault.times > 0 and fault.method == recorded.method and re.fullmatch(fault.path, recorded.path):
                    fault.times -= 1
                    return fault.status, fault.headers, fault.body, fault.delay
            if recorded.headers.get("x-api-key") != API_KEY:
                return 401, {}, {"code": "api_key_invalid", "message": "The API key is invalid."}, 0.0
            status, body = self._route(recorded)
            return status, {}, body, 0.0

    def _route(self, r: Recorded) -> tuple[int, Any]:
        m, p = r.method, r.path
        if (m, p) == ("GET", "/indexes"):
            name = r.query.get("index_name", [""])[0]
            data = [i for i in self.indexes.values() if name in i["index_name"]]
            return 200, {"data": data, "page_info": {"page": 1, "total_page": 1, "total_results": len(data)}}
        if (m, p) == ("POST", "/indexes"):
            index_id = f"idx{len(self.indexes) + 1}"
            self.indexes[index_id] = {"_id": index_id, "index_name": r.json["index_name"], "engines": r.json["engines"]}
            return 201, {"_id": index_id}
        if (m, p) == ("POST", "/tasks"):
            task_id = f"task{len(self.tasks) + 1}"
            self.tasks[task_id] = {
                "polls": 0,
                "index_id": r.fields["index_id"],
                "video_id": f"vid{len(self.tasks) + 1}",
            }
            return 201, {"_id": task_id}
        if m == "GET" and (match := re.fullmatch(r"/tasks/(\w+)", p)):
            return self._task(match.group(1))
        if m == "GET" and (match := re.fullmatch(r"/indexes/\w+/videos/\w+/(transcription|text-in-video|logo)", p)):
            kind = match.group(1)
            data = {"transcription": self.transcription, "text-in-video": self.text_in_video, "logo": self.logos}[kind]
            return 200, {"data": data}
        if (m, p) == ("POST", "/embed") and "image_file" in r.files:
            return 200, {
                "engine_name": r.fields["engine_name"],
                "image_embedding": {"segments": [{"float": image_vector(r.files["image_file"][1])}]},
            }
        if (m, p) == ("POST", "/embed"):
            return 200, {
                "engine_name": r.fields["engine_name"],
                "text_embedding": {"segments": [{"float": text_vector(r.fields["text"])}]},
            }
        if (m, p) == ("POST", "/embed/tasks"):
            task_id = f"emb{len(self.embed_tasks) + 1}"
            self.embed_tasks[task_id] = {"polls": 0, "engine_name": r.fields["engine_name"]}
            return 200, {"_id": task_id}
        if m == "GET" and (match := re.fullmatch(r"/embed/tasks/(\w+)(/status)?", p)):
            return self._embed_task(match.group(1), status_only=bool(match.group(2)))
        return 404, {"code": "not_found", "message": f"No route {m} {p}."}

    def _task(self, task_id: str) -> tuple[int, Any]:
        task = self.tasks[task_id]
        status, percentage = self.task_script[min(task["polls"], len(self.task_script) - 1)]
        task["polls"] += 1
        body = {
            "_id": task_id,
            "index_id": task["index_id"],
            "video_id": task["video_id"] if status == "ready" else None,
            "status": status,
            "process": {"percentage": percentage, "remain_seconds": 10.0},
            "metadata": {},
        }
        if status == "failed" and self.task_error is not None:
            body["error"] = self.task_error
        return 200, body

    def _embed_task(self, task_id: str, *, status_only: bool) -> tuple[int, Any]:
        task = self.embed_tasks[task_id]
        if status_only:
            task["status"] = self.embed_script[min(task["polls"], len(self.embed_script) - 1)]
            task["polls"] += 1
        status = task.get("status", "processing")
        body: dict[str, Any] = {"_id": task_id, "engine_name": task["engine_name"], "status": status}
        if not status_only:
            body["video_embedding"] = (
                {"segments": self.clips} if status == "ready" else {"error_message": self.embed_error}
            )
        return 200, body

    # -- the server ----------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[FakeTwelveLabs]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}/v1.2"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = payload.decode()
        else:
            files[name] = (filename, payload)
    return fields, files


def _handler_for(fake: FakeTwelveLabs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            # The whole body is read before any answer, as a real server would.
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            recorded = Recorded(
                method=self.command,
                path=split.path.removeprefix("/v1.2"),
                query=parse_qs(split.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                at=time.monotonic(),
            )
            content_type = self.headers.get("Content-Type", "")
            if content_type.startswith("multipart/form-data"):
                recorded.fields, recorded.files = _parse_multipart(content_type, body)
            elif body:
                recorded.json = json.loads(body)
            status, headers, payload, delay = fake.handle(recorded)
            if delay:
                time.sleep(delay)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (a timeout test)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    return Handler
