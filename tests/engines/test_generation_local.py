"""The offline generator on a real analysis of a generated cooking video (whisper, OCR, MiniLM).

Every assertion is about what the video says and shows: the subject reaches the
title and hashtags, summaries quote its sentences in order and honour length
requests, chapters start at its real cuts, answers quote it or say plainly that it
holds nothing relevant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from engines.base import Shot, TranscriptLine, Word
from engines.generation.base import Label, VideoContext
from engines.generation.local import EMPTY_VIDEO, LocalGenerator
from engines.generation.timeline import sentences
from engines.local.text_embedding import get_text_embedder
from tests.generation_data import COOKING_CUTS, COOKING_SCENES, COOKING_SIZE, analysis_of, context_of

pytestmark = pytest.mark.models

ALL_GIST = frozenset({"title", "topic", "hashtag"})


@pytest.fixture(scope="module")
def generator() -> LocalGenerator:
    return LocalGenerator(get_text_embedder().embed)


@pytest.fixture(scope="module")
def cooking(videos: Callable[..., Path]) -> VideoContext:
    path = videos("cooking.mp4", COOKING_SCENES, size=COOKING_SIZE)
    return context_of(analysis_of(str(path)))


def spoken(video: VideoContext) -> list[str]:
    return [sentence.text for sentence in sentences(video.transcript)]


def count_sentences(text: str) -> int:
    return len(re.findall(r"[.!?…](?:\s|$)", text.strip()))


def test_the_gist_names_the_subject_the_video_talks_about(generator: LocalGenerator, cooking: VideoContext) -> None:
    gist = generator.gist(cooking, types=ALL_GIST)
    assert gist.title is not None and "pasta" in gist.title.lower()
    assert gist.hashtags is not None and "pasta" in gist.hashtags
    assert all(tag == tag.lower() and " " not in tag and not tag.startswith("#") for tag in gist.hashtags)
    assert gist.topics and any("pasta" in topic.lower() or "sauce" in topic.lower() for topic in gist.topics)
    # Deterministic: the same video gives the same gist.
    assert generator.gist(cooking, types=ALL_GIST) == gist


def test_the_gist_returns_only_the_requested_parts(generator: LocalGenerator, cooking: VideoContext) -> None:
    gist = generator.gist(cooking, types=frozenset({"hashtag"}))
    assert gist.title is None and gist.topics is None and gist.hashtags


def test_without_a_caption_the_title_comes_from_the_speech(generator: LocalGenerator, cooking: VideoContext) -> None:
    untitled = context_of_changes(cooking, key="no-captions", texts=())
    title = generator.gist(untitled, types=frozenset({"title"})).title
    assert title is not None and "pasta" in title.lower() and title != "Cooking Pasta Recipe"


def context_of_changes(video: VideoContext, **changes: object) -> VideoContext:
    from dataclasses import replace

    return replace(video, **changes)  # type: ignore[arg-type]


def test_topics_come_from_taxonomy_labels_when_there_are_some(generator: LocalGenerator, cooking: VideoContext) -> None:
    labelled = context_of_changes(cooking, labels=(Label("Cooking", 80.0), Label("Food & Drink", 91.0)))
    assert generator.gist(labelled, types=frozenset({"topic"})).topics == ("Food & Drink", "Cooking")


def test_a_summary_quotes_representative_sentences_in_time_order(
    generator: LocalGenerator, cooking: VideoContext
) -> None:
    said = spoken(cooking)
    summary = generator.summary(cooking, prompt="", temperature=None)
    positions = [said.index(sentence) for sentence in said if sentence in summary]
    assert len(positions) == count_sentences(summary) >= 2
    assert positions == sorted(positions)
    assert "pasta" in summary.lower()


@pytest.mark.parametrize(
    ("prompt", "most"),
    [
        ("Generate a summary of this video for a live TV report, up to three sentences.", 3),
        ("Summarize the video in 2-3 sentences.", 3),
        ("A one-sentence summary, please.", 1),
        ("Summarise it in two sentences.", 2),
    ],
)
def test_a_summary_honours_the_length_the_prompt_asks_for(
    generator: LocalGenerator, cooking: VideoContext, prompt: str, most: int
) -> None:
    summary = generator.summary(cooking, prompt=prompt, temperature=None)
    assert 1 <= count_sentences(summary) <= most


def test_a_word_limit_is_kept(generator: LocalGenerator, cooking: VideoContext) -> None:
    summary = generator.summary(cooking, prompt="Summarize it in under 12 words.", temperature=None)
    assert 0 < len(summary.split()) <= 12


def test_a_prompt_focuses_the_summary_on_what_it_names(generator: LocalGenerator, cooking: VideoContext) -> None:
    summary = generator.summary(cooking, prompt="In one sentence, what do they say about the cheese?", temperature=None)
    assert "parmesan" in summary.lower() and count_sentences(summary) == 1


def test_chapters_start_at_the_real_cuts_and_cover_the_video(generator: LocalGenerator, cooking: VideoContext) -> None:
    chapters = generator.chapters(cooking, prompt="", temperature=None)
    assert len(chapters) >= 3
    assert chapters[0].start == 0
    assert chapters[-1].end <= cooking.duration and chapters[-1].end >= cooking.duration - 1
    for before, after in zip(chapters, chapters[1:], strict=False):
        assert before.end == after.start and before.start < before.end
        assert min(abs(after.start - cut) for cut in COOKING_CUTS) <= 1
    assert all(isinstance(c.start, int) and isinstance(c.end, int) and c.title and c.summary for c in chapters)
    assert chapters[0].title == "Cooking Pasta Recipe"
    # The last shot has no speech: it is titled and summarised from what it shows.
    assert "Subscribe" in chapters[-1].summary


def test_a_chapter_count_in_the_prompt_caps_the_chapters(generator: LocalGenerator, cooking: VideoContext) -> None:
    chapters = generator.chapters(cooking, prompt="Split it into 2 chapters.", temperature=None)
    assert len(chapters) == 2 and chapters[1].start in (5, 12, 18, 23)


def test_a_long_single_shot_is_split_where_the_topic_changes(generator: LocalGenerator) -> None:
    football = [
        "The football match started with a fast attack from the home team.",
        "Their striker scored a goal in the first ten minutes of the game.",
        "The goalkeeper saved a penalty just before half time.",
        "In the second half the visiting team equalised with a header.",
    ]
    baking = [
        "Now let us bake a chocolate cake for dessert.",
        "Mix the flour, sugar, cocoa and eggs in a large bowl.",
        "Pour the batter into a tin and bake it in the oven for forty minutes.",
        "Let the cake cool before you spread the chocolate icing.",
    ]
    lines = []
    for number, text in enumerate(football + baking):
        start = number * 25.0
        words = text.split()
        step = 20.0 / len(words)
        lines.append(
            TranscriptLine(
                start,
                start + 20.0,
                text,
                tuple(Word(start + i * step, start + (i + 1) * step, word) for i, word in enumerate(words)),
            )
        )
    talk = VideoContext(key="talk", duration=200.0, transcript=tuple(lines), shots=(Shot(0.0, 200.0, 0.0),))
    chapters = generator.chapters(talk, prompt="", temperature=None)
    assert [chapter.start for chapter in chapters] == [0, 100]
    assert "football" in chapters[0].summary.lower() or "goal" in chapters[0].summary.lower()
    assert "cake" in chapters[1].summary.lower() or "bake" in chapters[1].summary.lower()


def test_highlights_are_spoken_moments_in_whole_seconds(generator: LocalGenerator, cooking: VideoContext) -> None:
    highlights = generator.highlights(cooking, prompt="", temperature=None)
    said = spoken(cooking)
    assert highlights
    for highlight in highlights:
        assert isinstance(highlight.start, int) and isinstance(highlight.end, int)
        assert 0 <= highlight.start < highlight.end <= cooking.duration
        assert highlight.highlight in said and highlight.highlight in highlight.summary
    for before, after in zip(highlights, highlights[1:], strict=False):
        assert before.end <= after.start
    assert len(generator.highlights(cooking, prompt="the top 2 highlights", temperature=None)) <= 2


def test_an_open_question_is_answered_with_quotes_and_times(generator: LocalGenerator, cooking: VideoContext) -> None:
    answer = "".join(generator.answer(cooking, prompt="How long should the spaghetti cook?", temperature=None))
    assert "spaghetti" in answer.lower()
    assert re.search(r"\[0:\d\d–0:\d\d\] “Then cook the spaghetti", answer)
    assert "Parmesan" not in answer  # only the best matching moments


def test_without_stored_segments_sentences_are_searched_instead(
    generator: LocalGenerator, cooking: VideoContext
) -> None:
    bare = context_of_changes(cooking, key="no-segments", segments=())
    answer = "".join(generator.answer(bare, prompt="How long should the spaghetti cook?", temperature=None))
    assert "“Then cook the spaghetti for" in answer


def test_it_says_plainly_when_the_video_holds_nothing_relevant(
    generator: LocalGenerator, cooking: VideoContext
) -> None:
    answer = "".join(generator.answer(cooking, prompt="Who won the football match?", temperature=None))
    assert answer.startswith("The video holds nothing relevant")
    assert "football" in answer and "pasta" not in answer.lower()


def test_a_description_prompt_gets_the_requested_title_and_summary(
    generator: LocalGenerator, cooking: VideoContext
) -> None:
    prompt = (
        "I want to generate a description for my video with the following format: Title of the video, followed "
        "by a summary in 2-3 sentences, highlighting the main topic, key events, and concluding remarks."
    )
    answer = "".join(generator.answer(cooking, prompt=prompt, temperature=None))
    title, summary = answer.split("\n\n")
    assert title == "Title: Cooking Pasta Recipe"
    assert summary.startswith("Summary: ") and 2 <= count_sentences(summary) <= 3


def test_a_creative_request_says_it_needs_a_language_model(generator: LocalGenerator, cooking: VideoContext) -> None:
    answer = "".join(generator.answer(cooking, prompt="Write a rap song based on this video.", temperature=None))
    assert "language model" in answer.splitlines()[0]
    assert "Title: Cooking Pasta Recipe" in answer and "pasta" in answer.split("Summary:")[1].lower()


def test_streamed_pieces_join_into_the_answer(generator: LocalGenerator, cooking: VideoContext) -> None:
    pieces = list(generator.answer(cooking, prompt="What is this video about?", temperature=None))
    assert len(pieces) > 5
    assert "".join(pieces) == generator.summary(cooking, prompt="What is this video about?", temperature=None)


def test_a_video_without_speech_or_text_gets_no_invented_content(generator: LocalGenerator) -> None:
    blank = VideoContext(key="blank", duration=9.6, shots=(Shot(0.0, 4.0, 1.0), Shot(4.0, 9.6, 5.0)))
    gist = generator.gist(blank, types=ALL_GIST)
    assert gist.title is not None and "no speech" in gist.title and gist.hashtags == () and gist.topics == ()
    assert generator.summary(blank, prompt="", temperature=None) == EMPTY_VIDEO
    chapters = generator.chapters(blank, prompt="", temperature=None)
    assert [(c.start, c.end) for c in chapters] == [(0, 9)]
    assert generator.highlights(blank, prompt="", temperature=None) == ()
    assert "nothing to answer from" in "".join(generator.answer(blank, prompt="What happens?", temperature=None))


def test_the_gist_includes_what_the_video_dominantly_shows(generator: LocalGenerator, cooking: VideoContext) -> None:
    from engines.base import TextSpan

    # The concept track of a silent, textless video of a cat (as the classifier labels it).
    cat = (TextSpan(0.0, 12.0, "tabby", None, 0.6), TextSpan(0.0, 12.0, "Egyptian cat", None, 0.3),
           TextSpan(4.0, 5.0, "doormat", None, 0.2))  # fmt: skip
    silent = VideoContext(key="silent-cat", duration=12.0, concepts=cat)
    gist = generator.gist(silent, types=ALL_GIST)
    assert gist.title == "Tabby and Egyptian Cat"
    # The 1 s glimpse of a doormat is not dominant.
    assert gist.topics == ("Tabby", "Egyptian Cat") and gist.hashtags == ("tabby", "egyptiancat")
    # With speech, the concepts join the keyphrases and the labels instead of replacing them.
    shown = context_of_changes(
        cooking, key="cooking-seen", concepts=(TextSpan(0.0, cooking.duration, "plate", None, 0.5),)
    )
    said_and_shown = generator.gist(shown, types=ALL_GIST)
    assert said_and_shown.topics is not None and "Plate" in said_and_shown.topics
    assert (
        said_and_shown.hashtags is not None
        and "plate" in said_and_shown.hashtags
        and "pasta" in said_and_shown.hashtags
    )
    labelled = context_of_changes(shown, labels=(Label("Cooking", 80.0), Label("Food & Drink", 91.0)))
    assert generator.gist(labelled, types=frozenset({"topic"})).topics == ("Food & Drink", "Cooking", "Plate")
