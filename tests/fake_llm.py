"""A local OpenAI-compatible chat-completions server for tests: no network, scripted answers.

It implements POST /v1/chat/completions as llama.cpp, Ollama and vLLM do: a JSON
chat.completion, or with `"stream": true` server-sent events (`data: {chunk}` lines,
then `data: [DONE]`), each sent as soon as it is made, with chunked transfer encoding.
Each request takes the next scripted `Reply`; every request is recorded (path,
headers, JSON body) for the tests to inspect.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    # For streamed answers: the pieces, in order (default: `content` as one piece).
    chunks: list[str] | None = None
    status: int = 200
    delay: float = 0.0  # seconds to wait before answering
    pause: float = 0.0  # seconds to wait between streamed pieces
    fail_mid_stream: bool = False


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeChatServer:
    url: str = ""
    replies: list[Reply] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if self.replies else Reply(content="(no scripted reply)")


def _handler(server: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _chunk(self, data: bytes) -> None:
            # Chunked transfer encoding, as llama.cpp, Ollama, vLLM and OpenAI stream.
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _event(self, payload: Any) -> None:
            # Raw UTF-8 in the JSON, as llama.cpp writes it.
            text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
            self._chunk(f"data: {text}\n\n".encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            reply = server.next_reply()
            try:
                time.sleep(reply.delay)
                if self.path != "/v1/chat/completions":
                    self._send_json(404, {"error": {"message": f"no route {self.path}"}})
                elif reply.status != 200:
                    self._send_json(reply.status, {"error": {"message": "the model crashed", "type": "server_error"}})
                elif body.get("stream"):
                    self._stream(reply)
                else:
                    self._send_json(
                        200,
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "model": body.get("model"),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": reply.content},
                                    "finish_reason": "stop",
                                }
                            ],
                        },
                    )
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout tests)

        def _stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(b": keep-alive\n\n")
            for number, piece in enumerate(reply.chunks if reply.chunks is not None else [reply.content]):
                if number:
                    time.sleep(reply.pause)
                self._event({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": piece}}]})
            if reply.fail_mid_stream:
                self._event({"error": {"message": "out of memory"}})
            else:
                self._event({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self._event("[DONE]")
            self._chunk(b"")

    return Handler


@contextmanager
def fake_chat_server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{httpd.server_port}/v1"
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
