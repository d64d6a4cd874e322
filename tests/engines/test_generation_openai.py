"""The OpenAI-compatible provider against a chat-completions server running in the test (no network)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from engines.base import Shot, TextSpan, TranscriptLine, Word
from engines.generation.base import GenerationError, VideoContext
from engines.generation.openai import OpenAIConfig, OpenAIGenerator
from tests.fake_llm import FakeChatServer, Reply, fake_chat_server


def _line(start: float, text: str) -> TranscriptLine:
    words = text.split()
    return TranscriptLine(
        start,
        start + len(words) * 0.4,
        text,
        tuple(Word(start + i * 0.4, start + (i + 1) * 0.4, word) for i, word in enumerate(words)),
    )


VIDEO = VideoContext(
    key="recipe",
    duration=27.4,
    transcript=(
        _line(0.5, "Today we are cooking pasta with a fresh tomato sauce."),
        _line(5.6, "Boil the water and add salt."),
        _line(12.6, "Simmer the tomatoes with garlic."),
        _line(18.6, "Serve the pasta hot."),
    ),
    texts=(TextSpan(0.0, 5.0, "Cooking Pasta Recipe"), TextSpan(5.0, 6.0, "00:00:01.120")),
    shots=(Shot(0.0, 5.0, 1.0), Shot(5.0, 12.0, 6.0), Shot(12.0, 18.0, 13.0), Shot(18.0, 27.4, 19.0)),
)


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with fake_chat_server() as fake:
        yield fake


def generator_for(server: FakeChatServer, **options: object) -> OpenAIGenerator:
    config = {"base_url": server.url, "model": "llama-3.2-3b", "api_key": "sk-test", "timeout": 5.0, **options}
    return OpenAIGenerator(OpenAIConfig(**config))  # type: ignore[arg-type]


def test_it_sends_the_documented_chat_completion_request(server: FakeChatServer) -> None:
    server.replies.append(Reply(content="A cook makes pasta with tomato sauce."))
    summary = generator_for(server).summary(VIDEO, prompt="Keep it short.", temperature=0.7)
    assert summary == "A cook makes pasta with tomato sauce."

    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.headers["content-type"] == "application/json"
    body = request.body
    assert (body["model"], body["temperature"], body["stream"]) == ("llama-3.2-3b", 0.7, False)
    system, user = body["messages"]
    assert (system["role"], user["role"]) == ("system", "user")
    assert "never invent" in system["content"] and "say so plainly" in system["content"]
    material = user["content"]
    # The time-coded transcript, the readable on-screen text and the shot list, then the task.
    assert "[0.5-4.5] Today we are cooking pasta with a fresh tomato sauce." in material
    assert "[0.0-5.0] Cooking Pasta Recipe" in material and "00:00:01.120" not in material
    assert "Shots (start-end): 0.0-5.0, 5.0-12.0, 12.0-18.0, 18.0-27.4" in material
    assert material.rstrip().endswith("The requester's instructions: Keep it short.")


def test_without_a_key_no_authorization_header_is_sent(server: FakeChatServer) -> None:
    server.replies.append(Reply(content="Pasta."))
    generator_for(server, api_key="").summary(VIDEO, prompt="", temperature=None)
    assert "authorization" not in server.requests[0].headers
    assert server.requests[0].body["temperature"] == 0.2


def test_a_gist_reply_is_parsed_even_inside_a_code_fence(server: FakeChatServer) -> None:
    reply = {"title": "Cooking Pasta", "topics": ["Cooking"], "hashtags": ["#Pasta", "tomato sauce", "pasta"]}
    server.replies.append(Reply(content=f"Sure!\n```json\n{json.dumps(reply)}\n```"))
    gist = generator_for(server).gist(VIDEO, types=frozenset({"title", "topic", "hashtag"}))
    assert gist.title == "Cooking Pasta" and gist.topics == ("Cooking",)
    assert gist.hashtags == ("pasta", "tomatosauce")
    assert '"title"' in server.requests[0].body["messages"][1]["content"]


def test_chapter_starts_are_snapped_to_real_boundaries_in_whole_seconds(server: FakeChatServer) -> None:
    chapters = [
        {"start": 0, "title": "Intro", "summary": "Pasta is introduced."},
        {"start": 4.6, "title": "Water", "summary": "Water boils."},
        {"start": 11.8, "title": "Sauce", "summary": "Tomatoes simmer."},
        {"start": 40, "title": "After the end", "summary": "Invented."},
    ]
    server.replies.append(Reply(content=json.dumps({"chapters": chapters})))
    result = generator_for(server).chapters(VIDEO, prompt="", temperature=None)
    # 4.6 snaps to the cut at 5.0 and 11.8 to the one at 12.0; a chapter past the end is dropped.
    assert [(c.start, c.end, c.title) for c in result] == [(0, 5, "Intro"), (5, 12, "Water"), (12, 27, "Sauce")]
    assert "5.0, 5.6, 12.0, 12.6, 18.0, 18.6" in server.requests[0].body["messages"][1]["content"]


def test_highlights_are_clamped_into_the_video_and_never_overlap(server: FakeChatServer) -> None:
    highlights = [
        {"start": 19.2, "end": 31, "highlight": "Serving", "summary": "The pasta is served."},
        {"start": 0.4, "end": 4.4, "highlight": "The dish", "summary": "Pasta with tomato sauce."},
        {"start": 2, "end": 6, "highlight": "Overlapping", "summary": "Dropped."},
        {"start": 40, "end": 45, "highlight": "Outside", "summary": "Dropped."},
    ]
    server.replies.append(Reply(content=json.dumps({"highlights": highlights})))
    result = generator_for(server).highlights(VIDEO, prompt="", temperature=None)
    assert [(h.start, h.end, h.highlight) for h in result] == [(0, 5, "The dish"), (19, 27, "Serving")]


def test_a_length_request_is_enforced_on_the_reply(server: FakeChatServer) -> None:
    server.replies.append(Reply(content="One. Two! Three? Four. Five."))
    summary = generator_for(server).summary(VIDEO, prompt="Up to three sentences.", temperature=None)
    assert summary == "One. Two! Three?"


def test_streaming_passes_the_pieces_through(server: FakeChatServer) -> None:
    server.replies.append(Reply(chunks=["The video ", "shows ", "“pasta al pomodoro” – très bon."]))
    pieces = list(generator_for(server).answer(VIDEO, prompt="What is cooked?", temperature=None))
    assert pieces == ["The video ", "shows ", "“pasta al pomodoro” – très bon."]
    body = server.requests[0].body
    assert body["stream"] is True
    assert body["messages"][1]["content"].endswith("Request about the video: What is cooked?")


def test_a_server_error_is_a_clear_transient_error(server: FakeChatServer) -> None:
    server.replies.append(Reply(status=500))
    with pytest.raises(GenerationError) as raised:
        generator_for(server).summary(VIDEO, prompt="", temperature=None)
    error = raised.value
    assert (error.code, error.transient) == ("generation_failed", True)
    assert "HTTP 500" in error.message and "the model crashed" in error.message


def test_a_client_error_is_not_retried(server: FakeChatServer) -> None:
    server.replies.append(Reply(status=404))
    with pytest.raises(GenerationError) as raised:
        generator_for(server).summary(VIDEO, prompt="", temperature=None)
    assert (raised.value.code, raised.value.transient) == ("generation_failed", False)


def test_a_server_that_does_not_answer_in_time_times_out(server: FakeChatServer) -> None:
    server.replies.append(Reply(content="too late", delay=3.0))
    started = time.monotonic()
    with pytest.raises(GenerationError) as raised:
        generator_for(server, timeout=0.5).summary(VIDEO, prompt="", temperature=None)
    assert time.monotonic() - started < 2.5
    assert (raised.value.code, raised.value.transient) == ("generation_timeout", True)
    assert "did not answer within 0.5 s" in raised.value.message


def test_a_stream_that_stalls_times_out(server: FakeChatServer) -> None:
    server.replies.append(Reply(chunks=["late"], delay=3.0))
    with pytest.raises(GenerationError) as raised:
        list(generator_for(server, timeout=0.5).answer(VIDEO, prompt="What is cooked?", temperature=None))
    assert raised.value.code == "generation_timeout"


def test_a_stream_that_stops_midway_times_out(server: FakeChatServer) -> None:
    server.replies.append(Reply(chunks=["The video ", "never ends"], pause=3.0))
    received: list[str] = []
    with pytest.raises(GenerationError) as raised:
        for piece in generator_for(server, timeout=0.5).answer(VIDEO, prompt="What is cooked?", temperature=None):
            received.append(piece)
    assert received == ["The video "]
    assert (raised.value.code, raised.value.transient) == ("generation_timeout", True)


def test_an_error_in_the_middle_of_a_stream_is_raised(server: FakeChatServer) -> None:
    server.replies.append(Reply(chunks=["The video "], fail_mid_stream=True))
    received: list[str] = []
    with pytest.raises(GenerationError) as raised:
        for piece in generator_for(server).answer(VIDEO, prompt="What is cooked?", temperature=None):
            received.append(piece)
    assert received == ["The video "]
    assert raised.value.code == "generation_failed" and "out of memory" in raised.value.message


def test_an_unreachable_server_is_reported_as_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the socket closes
    generator = OpenAIGenerator(OpenAIConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout=2.0))
    with pytest.raises(GenerationError) as raised:
        generator.summary(VIDEO, prompt="", temperature=None)
    assert (raised.value.code, raised.value.transient) == ("generation_unavailable", True)


@pytest.mark.parametrize(
    "content",
    ["I cannot do that.", json.dumps({"chapters": "none"}), json.dumps({"chapters": [{"start": "soon"}]})],
)
def test_an_unusable_reply_is_reported_as_invalid(server: FakeChatServer, content: str) -> None:
    server.replies.append(Reply(content=content))
    with pytest.raises(GenerationError) as raised:
        generator_for(server).chapters(VIDEO, prompt="", temperature=None)
    assert raised.value.code == "generation_invalid_response"


def test_a_long_transcript_is_thinned_to_the_budget_not_cut_off(server: FakeChatServer) -> None:
    lines = tuple(_line(i * 3.0, f"Sentence number {i} is about step {i} of the recipe.") for i in range(400))
    long_video = VideoContext(key="long", duration=1200.0, transcript=lines)
    server.replies.append(Reply(content="Summary."))
    generator_for(server, max_context_chars=4000).summary(long_video, prompt="", temperature=None)
    material = server.requests[0].body["messages"][1]["content"]
    assert len(material) < 5000
    assert "Sentence number 0 " in material and "every" in material
    # The end of the video is still represented.
    assert any(f"Sentence number {i} " in material for i in range(380, 400))
