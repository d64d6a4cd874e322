"""Generation through any OpenAI-compatible chat-completions server (llama.cpp, Ollama, vLLM, hosted).

Only `requests` and the `/chat/completions` protocol: a JSON POST, and for streaming
the server-sent events `data: {...}` ... `data: [DONE]`. What the model returns is
checked before it is trusted: JSON replies are parsed and validated, chapter starts
are snapped to real boundaries of the video and every time is clamped inside it, and
a prompt's length request is enforced on summaries.

Errors become a GenerationError with a code the API reports: `generation_timeout`
(no answer within the timeout), `generation_unavailable` (connection refused, DNS),
`generation_failed` (the server answered with an error) and
`generation_invalid_response` (an answer that is not what was asked for).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from engines.generation import briefing, keyphrases, prompts, timeline
from engines.generation.base import Chapter, GenerationError, Gist, Highlight, VideoContext

DEFAULT_TEMPERATURE = 0.2
_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"'”’)]*|$)")


@dataclass(frozen=True)
class OpenAIConfig:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str
    api_key: str = ""
    timeout: float = 120.0  # seconds to connect, and between two reads of the answer
    # About 6k tokens of video material: fits the context of small local models.
    max_context_chars: int = 24000


def _transport_error(exc: requests.RequestException, config: OpenAIConfig) -> GenerationError:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        return GenerationError(
            f"The language model server at {config.base_url} did not answer within {config.timeout:g} s.",
            code="generation_timeout",
            transient=True,
        )
    return GenerationError(
        f"Could not reach the language model server at {config.base_url} ({exc.__class__.__name__}).",
        code="generation_unavailable",
        transient=True,
    )


def _server_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:300]
    return str(error or body)[:300]


def _invalid(what: str) -> GenerationError:
    return GenerationError(
        f"The language model's answer could not be used: {what}.", code="generation_invalid_response", transient=True
    )


def _json_object(text: str) -> dict[str, Any]:
    """The JSON object in a reply, tolerating code fences and chatter around it."""
    match = _JSON_BLOCK.search(text)
    try:
        value = json.loads(match.group(0) if match else text)
    except ValueError:
        raise _invalid("it is not the JSON object that was asked for") from None
    if not isinstance(value, dict):
        raise _invalid("it is not a JSON object")
    return value


def _items(reply: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = reply.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _invalid(f"'{key}' is not a list of objects")
    return items


def _number(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(f"{what} is not a number") from None
    if number != number:  # NaN
        raise _invalid(f"{what} is not a number")
    return number


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def enforce_length(text: str, request: prompts.PromptRequest) -> str:
    """Cut a reply to the sentences and words the prompt allowed: a stated limit is a contract."""
    text = text.strip()
    sentences = request.limits.get("sentence")
    if sentences:
        found = [part.strip() for part in _SENTENCE.findall(text) if part.strip()]
        text = " ".join(found[:sentences])
    words = request.limits.get("word")
    if words and len(text.split()) > words:
        text = " ".join(text.split()[:words]).rstrip(".,;:") + "…"
    return text


class OpenAIGenerator:
    def __init__(self, config: OpenAIConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        self.label = f"openai:{config.model}"
        self._session = session or requests.Session()

    # -- the protocol ----------------------------------------------------------------------

    def _post(self, messages: list[dict[str, str]], temperature: float | None, *, stream: bool) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        body = {
            "model": self.config.model,
            "messages": messages,
            "temperature": DEFAULT_TEMPERATURE if temperature is None else temperature,
            "stream": stream,
        }
        try:
            response = self._session.post(
                self.config.base_url.rstrip("/") + "/chat/completions",
                json=body,
                headers=headers,
                timeout=(min(10.0, self.config.timeout), self.config.timeout),
                stream=stream,
            )
        except requests.RequestException as exc:
            raise _transport_error(exc, self.config) from exc
        if response.status_code >= 400:
            message = _server_message(response)
            response.close()
            raise GenerationError(
                f"The language model server answered HTTP {response.status_code}: {message}",
                code="generation_failed",
                # Overload and server faults may pass; a 4xx (bad model name, bad key) will not.
                transient=response.status_code >= 500 or response.status_code == 429,
            )
        return response

    def complete(self, messages: list[dict[str, str]], temperature: float | None) -> str:
        response = self._post(messages, temperature, stream=False)
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except requests.RequestException as exc:
            raise _transport_error(exc, self.config) from exc
        except (ValueError, KeyError, IndexError, TypeError):
            raise _invalid("the server's reply is not a chat completion") from None
        if not isinstance(content, str):
            raise _invalid("the completion has no text")
        return content

    def stream(self, messages: list[dict[str, str]], temperature: float | None) -> Iterator[str]:
        response = self._post(messages, temperature, stream=True)
        with response:
            try:
                # chunk_size=None hands over each piece as the server sends it (servers stream
                # SSE with chunked encoding); a fixed size would hold pieces back until it fills.
                for raw in response.iter_lines(chunk_size=None):
                    # UTF-8 by the SSE spec, whatever charset the Content-Type names (often none,
                    # which requests would read as Latin-1).
                    line = raw.decode("utf-8", errors="replace")
                    if not line.startswith("data:"):
                        continue  # keep-alive comments and blank separators
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    try:
                        chunk = json.loads(payload)
                    except ValueError:
                        raise _invalid("a streamed event is not JSON") from None
                    if "error" in chunk:
                        error = chunk["error"]
                        message = error.get("message") if isinstance(error, dict) else error
                        raise GenerationError(
                            f"The language model server failed mid-answer: {message}",
                            code="generation_failed",
                            transient=True,
                        )
                    choices = chunk.get("choices") or [{}]
                    text = (choices[0].get("delta") or {}).get("content")
                    if text:
                        yield text
            except requests.RequestException as exc:
                raise _transport_error(exc, self.config) from exc

    def _messages(self, video: VideoContext, task: str) -> list[dict[str, str]]:
        return briefing.messages(video, task, budget=self.config.max_context_chars)

    # -- the generator contract ------------------------------------------------------------

    def gist(self, video: VideoContext, *, types: frozenset[str]) -> Gist:
        reply = _json_object(self.complete(self._messages(video, briefing.gist_task(types)), None))

        def strings(key: str, limit: int) -> tuple[str, ...]:
            values = reply.get(key)
            if not isinstance(values, list):
                raise _invalid(f"'{key}' is not a list")
            return tuple(dict.fromkeys(_text(value) for value in values if _text(value)))[:limit]

        title = _text(reply.get("title")) if "title" in types else None
        if title == "":
            raise _invalid("the title is empty")
        hashtags = None
        if "hashtag" in types:
            tags = (keyphrases.hashtag(value) for value in strings("hashtags", 10))
            hashtags = tuple(dict.fromkeys(tag for tag in tags if tag))
        return Gist(
            title=title,
            topics=strings("topics", 5) if "topic" in types else None,
            hashtags=hashtags,
        )

    def summary(self, video: VideoContext, *, prompt: str, temperature: float | None) -> str:
        text = self.complete(self._messages(video, briefing.summary_task(prompt)), temperature)
        return enforce_length(text, prompts.parse(prompt))

    def chapters(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Chapter, ...]:
        bounds = timeline.boundaries(video)
        task = briefing.chapters_task(prompt, bounds)
        items = _items(_json_object(self.complete(self._messages(video, task), temperature)), "chapters")
        starts = [_number(item.get("start"), "a chapter start") for item in items]
        proposed = sorted(
            (timeline.snap(start, bounds), _text(item.get("title")), _text(item.get("summary")))
            for start, item in zip(starts, items, strict=True)
            if start < video.duration  # a chapter after the end describes nothing in the video
        )
        if not proposed:
            raise _invalid("it has no chapters")
        groups = timeline.whole_second_groups([start for start, _, _ in proposed], video.duration)
        ends = [second for second, _ in groups[1:]] + [timeline.last_second(video.duration)]
        result: list[Any] = []
        for (second, members), end in zip(groups, ends, strict=True):
            _, title, summary = proposed[members[0]]
            result.append(Chapter(second, end, title or f"Chapter {len(result) + 1}", summary))
        return tuple(result)

    def highlights(self, video: VideoContext, *, prompt: str, temperature: float | None) -> tuple[Highlight, ...]:
        items = _items(
            _json_object(self.complete(self._messages(video, briefing.highlights_task(prompt)), temperature)),
            "highlights",
        )
        chosen: list[Highlight] = []
        for item in items:
            seconds = timeline.highlight_seconds(
                _number(item.get("start"), "a highlight start"), _number(item.get("end"), "a highlight end"),
                video.duration,
            )  # fmt: skip
            text = _text(item.get("highlight"))
            if seconds is None or not text or any(seconds[0] < h.end and h.start < seconds[1] for h in chosen):
                continue  # outside the video, empty, or overlapping an earlier one
            chosen.append(Highlight(seconds[0], seconds[1], text, _text(item.get("summary")) or text))
        return tuple(sorted(chosen, key=lambda highlight: highlight.start))

    def answer(self, video: VideoContext, *, prompt: str, temperature: float | None) -> Iterator[str]:
        yield from self.stream(self._messages(video, briefing.answer_task(prompt)), temperature)
