"""Keyphrases ranked by meaning: candidates from the words, ranking by MiniLM embeddings.

Candidates are runs of up to three content words (never crossing a stopword, number or
punctuation mark), as in RAKE and KeyBERT. Ranking is KeyBERT's: cosine similarity to
the video's centroid embedding, with maximal marginal relevance so the top phrases are
not five rewordings of one idea. Counting only prunes the candidate list on long
videos, to bound the embedding cost; it never decides the order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from engines.generation.prompts import STOPWORDS, word_set

MAX_WORDS = 3
# The most frequent candidates kept for ranking; 300 embed in about 0.4 s here.
MAX_CANDIDATES = 300
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\w.,:]*|[^\w\s]", re.UNICODE)
_SMALL_WORDS = word_set("a an and as at but by for from in into of on or the to with vs")
# Words every video "is about" in its own speech, which no title or hashtag should be.
_GENERIC = word_set(
    """
    video videos channel episode welcome thanks thank subscribe like minute minutes second seconds guys everyone
    everybody people today time times day week year way part kind sort bit
    """
)


@dataclass(frozen=True)
class Candidate:
    text: str  # as first written in the video
    words: tuple[str, ...]  # lower case


def _content(token: str) -> bool:
    if not token[0].isalpha():
        return False
    lowered = token.lower()
    if lowered in STOPWORDS or lowered in _GENERIC:
        return False
    # Two-letter words carry meaning only as acronyms ("TV", "AI").
    return len(token) > 2 or token.isupper()


def _runs(text: str) -> list[list[str]]:
    runs: list[list[str]] = [[]]
    for token in _TOKEN.findall(text):
        token = token.strip("'’-")
        if token.lower().endswith(("'s", "’s")):
            token = token[:-2]
        if token and _content(token):
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def candidates(texts: Iterable[str], *, max_words: int = MAX_WORDS, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    counts: Counter[tuple[str, ...]] = Counter()
    written: dict[tuple[str, ...], str] = {}
    for text in texts:
        for run in _runs(text):
            for size in range(1, max_words + 1):
                for start in range(len(run) - size + 1):
                    gram = run[start : start + size]
                    key = tuple(word.lower() for word in gram)
                    counts[key] += 1
                    written.setdefault(key, " ".join(gram))
    # Counter.most_common keeps first-seen order among equal counts: deterministic.
    return [Candidate(written[key], key) for key, _ in counts.most_common(limit)]


def rank(
    vectors: np.ndarray,
    target: np.ndarray,
    *,
    count: int,
    diversity: float = 0.3,
    allowed: Sequence[bool] | None = None,
    words: Sequence[tuple[str, ...]] | None = None,
) -> list[int]:
    """Indices of up to `count` rows of `vectors`, by maximal marginal relevance to `target`.

    `allowed` filters rows out; with `words`, a row sharing a word with one already
    chosen is skipped ("pasta" after "cooking pasta").
    """
    if len(vectors) == 0 or count <= 0:
        return []
    relevance = vectors @ target
    open_rows = [row for row in range(len(vectors)) if allowed is None or allowed[row]]
    chosen: list[int] = []
    while open_rows and len(chosen) < count:
        if chosen:
            redundancy = (vectors[open_rows] @ vectors[chosen].T).max(axis=1)
            scores = (1 - diversity) * relevance[open_rows] - diversity * redundancy
        else:
            scores = relevance[open_rows]
        best = open_rows[int(np.argmax(scores))]
        chosen.append(best)
        taken = set().union(*(words[row] for row in chosen)) if words is not None else set()
        open_rows = [row for row in open_rows if row != best and not (words is not None and taken & set(words[row]))]
    return chosen


def headline(text: str) -> str:
    """Title case that keeps acronyms and brand spellings ("NIKE Air", "iPhone")."""
    result: list[str] = []
    for position, word in enumerate(text.split()):
        lowered = word.lower()
        if position and lowered in _SMALL_WORDS:
            result.append(lowered)
        elif word.isupper() and len(word) > 4:
            result.append(word.capitalize())
        elif word[:1].islower() and word[1:] == word[1:].lower():
            result.append(word[:1].upper() + word[1:])
        else:
            result.append(word)
    return " ".join(result)


def hashtag(text: str) -> str:
    """A hashtag as Twelve Labs returns them: lower case, no '#', no spaces."""
    return re.sub(r"[^\w]", "", text.lower())


# Openers that carry no content: "Today we are cooking pasta" is titled "Cooking pasta".
_OPENERS = word_set(
    """
    today first firstly second secondly then next now so and but or meanwhile finally also well okay ok alright
    right after that afterwards lastly here there just
    """
)
_SUBJECTS = word_set("we i you they let's we're i'm you're they're we'll i'll you'll")
_AUXILIARIES = word_set("are am is will can should must need to 're 'll have has")


def clause(sentence: str, *, max_words: int = 10) -> str:
    """A sentence shortened into a title: openers and a leading "we are" dropped, at most `max_words`."""
    words = sentence.strip().rstrip(".!?…").split()

    def bare(word: str) -> str:
        return word.lower().strip(",;:\"'“”")

    while words and bare(words[0]) in _OPENERS:
        words.pop(0)
    if words and bare(words[0]) in _SUBJECTS:
        rest = words[1:]
        contracted = "'" in bare(words[0])
        while rest and bare(rest[0]) in _AUXILIARIES:
            rest.pop(0)
        if rest and (contracted or len(rest) < len(words) - 1):
            words = rest
    if len(words) > max_words:
        cut = next((i + 1 for i, word in enumerate(words[:max_words]) if i >= 2 and word.endswith((",", ";"))), 0)
        words = words[: cut or max_words]
        while len(words) > 1 and bare(words[-1]) in STOPWORDS:
            words.pop()
    text = " ".join(words).rstrip(",;:")
    return text[:1].upper() + text[1:] if text else sentence.strip()
