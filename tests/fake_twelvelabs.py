"""A fake Twelve Labs v1.3 server on 127.0.0.1 for the cloud engine's tests.

It implements only what engines/twelvelabs calls (assets, indexes, indexed assets, embed-v2
and its tasks), with the request checks and answer shapes of the v1.3 reference (SDK
twelvelabs 1.3.6), deterministic data, and records every request (headers, query, JSON,
multipart fields and files) for assertions. Scripted `faults` answer matching requests with
an error or a delay before the normal handling resumes; `asset_script`, `index_script` and
`embed_script` are the statuses successive polls see. Like the cloud, it refuses to index
or embed an asset that is not `ready` yet.
"""

from __future__ import annotations

import base64
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
MODEL = "marengo3.0"


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
    path: str  # without the /v1.3 prefix
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


def _bad(message: str) -> tuple[int, Any]:
    return 400, {"code": "parameter_invalid", "message": message}


@dataclass
class FakeTwelveLabs:
    transcription: list[dict[str, Any]] = field(default_factory=list)
    clips: list[dict[str, Any]] = field(default_factory=list)  # embed-v2 task data items, as sent
    # Successive GET answers' statuses, per asset / indexed asset / embedding task; the last one repeats.
    asset_script: list[str] = field(default_factory=lambda: ["processing", "ready"])
    index_script: list[str] = field(default_factory=lambda: ["validating", "indexing", "indexing", "ready"])
    embed_script: list[str] = field(default_factory=lambda: ["processing", "ready"])
    asset_error: dict[str, str] | None = None
    index_error: dict[str, str] | None = None
    embed_error: str = ""
    faults: list[Fault] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    indexed_assets: dict[str, dict[str, Any]] = field(default_factory=dict)
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
            page_info = {"page": 1, "limit_per_page": 50, "total_page": 1, "total_results": len(data)}
            return 200, {"data": data, "page_info": page_info}
        if (m, p) == ("POST", "/indexes"):
            models = (r.json or {}).get("models") or []
            if not models or any(x.get("model_name") != MODEL or not x.get("model_options") for x in models):
                return _bad("models must name marengo3.0 with model_options.")
            index_id = f"idx{len(self.indexes) + 1}"
            self.indexes[index_id] = {"_id": index_id, "index_name": r.json["index_name"], "models": models}
            return 201, {"_id": index_id}
        if (m, p) == ("POST", "/assets"):
            return self._create_asset(r)
        if m == "GET" and (match := re.fullmatch(r"/assets/(\w+)", p)):
            return self._asset(match.group(1))
        if m == "POST" and (match := re.fullmatch(r"/indexes/(\w+)/indexed-assets", p)):
            return self._index_asset(match.group(1), r)
        if m == "GET" and (match := re.fullmatch(r"/indexes/(\w+)/indexed-assets/(\w+)", p)):
            return self._indexed_asset(match.group(2), with_transcription=r.query.get("transcription") == ["true"])
        if (m, p) == ("POST", "/embed-v2"):
            return self._embed(r.json or {})
        if (m, p) == ("POST", "/embed-v2/tasks"):
            return self._create_embed_task(r.json or {})
        if m == "GET" and (match := re.fullmatch(r"/embed-v2/tasks/(\w+)", p)):
            return self._embed_task(match.group(1))
        return 404, {"code": "not_found", "message": f"No route {m} {p}."}

    @staticmethod
    def _next(item: dict[str, Any], script: list[str]) -> str:
        item["status"] = script[min(item["polls"], len(script) - 1)]
        item["polls"] += 1
        return str(item["status"])

    def _create_asset(self, r: Recorded) -> tuple[int, Any]:
        if r.fields.get("method") != "direct" or "file" not in r.files:
            return _bad("method=direct needs a file.")
        asset_id = f"asset{len(self.assets) + 1}"
        filename = r.fields.get("filename") or r.files["file"][0]
        self.assets[asset_id] = {"polls": 0, "status": "processing", "filename": filename}
        return 200, {"_id": asset_id, "method": "direct", "status": "processing", "filename": filename,
                     "file_type": "video/mp4", "created_at": "2026-12-06T12:00:00Z"}  # fmt: skip

    def _asset(self, asset_id: str) -> tuple[int, Any]:
        asset = self.assets[asset_id]
        status = self._next(asset, self.asset_script)
        body = {"_id": asset_id, "method": "direct", "status": status, "filename": asset["filename"]}
        if status == "failed" and self.asset_error is not None:
            body["error"] = self.asset_error
        return 200, body

    def _ready_asset(self, asset_id: Any) -> bool:
        return isinstance(asset_id, str) and self.assets.get(asset_id, {}).get("status") == "ready"

    def _index_asset(self, index_id: str, r: Recorded) -> tuple[int, Any]:
        asset_id = (r.json or {}).get("asset_id")
        if index_id not in self.indexes or not self._ready_asset(asset_id):
            return _bad("The asset must exist and be ready, in an existing index.")
        indexed_id = f"ia{len(self.indexed_assets) + 1}"
        self.indexed_assets[indexed_id] = {"polls": 0, "asset_id": asset_id, "index_id": index_id}
        return 202, {"_id": indexed_id, "asset_id": asset_id}

    def _indexed_asset(self, indexed_id: str, *, with_transcription: bool) -> tuple[int, Any]:
        item = self.indexed_assets[indexed_id]
        status = item["status"] if with_transcription else self._next(item, self.index_script)
        body: dict[str, Any] = {"_id": indexed_id, "asset_id": item["asset_id"], "status": status,
                                "system_metadata": {"filename": "video.mp4", "duration": 6.0}}  # fmt: skip
        if status == "failed" and self.index_error is not None:
            body["error"] = self.index_error
        if with_transcription and status == "ready":
            body["transcription"] = self.transcription
        return 200, body

    def _embed(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("model_name") != MODEL:
            return _bad("model_name must be marengo3.0.")
        if body.get("input_type") == "text" and isinstance((body.get("text") or {}).get("input_text"), str):
            vector = text_vector(body["text"]["input_text"])
        elif body.get("input_type") == "image" and (source := ((body.get("image") or {}).get("media_source") or {})):
            vector = image_vector(base64.b64decode(source.get("base64_string") or ""))
        else:
            return _bad("input_type text needs text.input_text; image needs image.media_source.")
        return 200, {"data": [{"embedding": vector, "embedding_option": None, "embedding_scope": None}]}

    def _create_embed_task(self, body: dict[str, Any]) -> tuple[int, Any]:
        video = body.get("video") or {}
        if body.get("model_name") != MODEL or body.get("input_type") != "video":
            return _bad("input_type video with model_name marengo3.0.")
        if not self._ready_asset((video.get("media_source") or {}).get("asset_id")):
            return _bad("video.media_source.asset_id must name a ready asset.")
        task_id = f"emb{len(self.embed_tasks) + 1}"
        self.embed_tasks[task_id] = {"polls": 0, "video": video}
        return 200, {"_id": task_id, "status": "processing"}

    def _embed_task(self, task_id: str) -> tuple[int, Any]:
        task = self.embed_tasks[task_id]
        status = self._next(task, self.embed_script)
        body: dict[str, Any] = {"_id": task_id, "status": status, "created_at": "2026-12-06T12:00:00Z"}
        if status == "ready":
            body["data"] = self.clips
            body["metadata"] = {"embedding_scopes": ["clip"], "embedding_options": ["visual"], "duration": 6.0}
        if status == "failed":
            body["data"] = None
            body["error"] = {"message": self.embed_error or "The embedding task failed."}
        return 200, body

    # -- the server ----------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[FakeTwelveLabs]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}/v1.3"
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
                path=split.path.removeprefix("/v1.3"),
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
