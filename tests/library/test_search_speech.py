"""Where a phrase was said (search/speech.py): token postings agree with reading the words."""

from __future__ import annotations

import numpy as np

from search.speech import SpeechCorpus, speech_corpus
from search.text import normalise


def corpus_of(videos: list[str]) -> tuple[list[tuple[int, float, float, str]], SpeechCorpus]:
    words = [
        (video, float(number), number + 0.5, word)
        for video, text in enumerate(videos)
        for number, word in enumerate(text.split())
    ]
    return words, speech_corpus(words)


def test_phrases_match_whole_words_case_and_punctuation_aside() -> None:
    words, corpus = corpus_of(["Hello, World! I don't know, the world is big.", "world is small"])
    first, last = corpus.phrase_words("WORLD is")
    assert [(words[f][0], words[f][3], words[e][3]) for f, e in zip(first, last, strict=True)] == [
        (0, "world", "is"),
        (1, "world", "is"),
    ]
    # "don't" is two tokens; a phrase may end inside it and still point at the whole word.
    first, last = corpus.phrase_words("I don")
    assert [words[i][3] for i in (*first, *last)] == ["I", "don't"]
    assert corpus.phrase_words("don't know")[0].tolist() == [3]
    # Not inside a longer word, not an unknown word.
    assert corpus.phrase_words("orld")[0].tolist() == []
    assert corpus.phrase_words("big planet")[0].tolist() == []
    assert corpus.phrase_words("  ")[0].tolist() == []


def test_a_phrase_never_spans_two_videos() -> None:
    _, corpus = corpus_of(["the end", "begins here"])
    assert corpus.phrase_words("end begins")[0].tolist() == []
    assert corpus.phrase_words("the end")[0].tolist() == [0]


def test_postings_find_what_a_word_by_word_reading_finds() -> None:
    rng = np.random.default_rng(3)
    vocabulary = ["pasta", "sauce", "rain", "Rain!", "cold", "a", "the", "isn't"]
    videos = [" ".join(rng.choice(vocabulary, size=300)) for _ in range(5)]
    words, corpus = corpus_of(videos)
    tokens = [
        (video, index, token) for index, (video, _, _, word) in enumerate(words) for token in normalise(word).split()
    ]
    for phrase in ["rain cold", "the rain", "isn t a", "a a", "pasta sauce rain", "t the"]:
        wanted = phrase.split()
        expected = [
            (tokens[i][1], tokens[i + len(wanted) - 1][1])
            for i in range(len(tokens) - len(wanted) + 1)
            if [t[2] for t in tokens[i : i + len(wanted)]] == wanted and tokens[i][0] == tokens[i + len(wanted) - 1][0]
        ]
        first, last = corpus.phrase_words(phrase)
        assert list(zip(first.tolist(), last.tolist(), strict=True)) == expected
        assert expected, phrase  # the corpus is big enough that every phrase occurs


def test_a_phrase_heard_one_word_off_is_found_near_verbatim() -> None:
    words, corpus = corpus_of(
        [
            "today we are cooking pasta with tomato sause and basil",  # "sauce" misheard
            "cooking pasta with tomato sauce",  # verbatim: not a near match
            "cooking pizza with tomato sauce",  # "pizza" is not spelled like "pasta"
            "cooking pasta with potato salad",  # two words off
        ]
    )
    first, last, similarity = corpus.near_phrase_words("cooking pasta with tomato sauce")
    assert [(words[f][0], words[f][3], words[e][3]) for f, e in zip(first, last, strict=True)] == [
        (0, "cooking", "sause")
    ]
    assert 75 <= float(similarity[0]) < 100
    # Verbatim stays verbatim; a near match never repeats it.
    assert corpus.phrase_words("cooking pasta with tomato sauce")[0].tolist() == [words.index((1, 0.0, 0.5, "cooking"))]
    # Too short a phrase, or a short word heard differently: too many look-alikes to be evidence.
    assert len(corpus.near_phrase_words("tomato sause")[0]) == 0
    _, short = corpus_of(["we are cooking the pasta with tomato"])
    assert len(short.near_phrase_words("we are cooking a pasta")[0]) == 0
    # A word that starts differently is another word, however alike ("rain"/"train": 89).
    _, rain = corpus_of(["the rain to london leaves at nine"])
    assert len(rain.near_phrase_words("the train to london leaves")[0]) == 0
    assert len(rain.near_phrase_words("the rain to london leave")[0]) == 1
