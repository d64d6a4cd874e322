"""Every transcribed word of an index, and where a phrase was said word for word.

exact_match and the exact channel of classification ask "where was this phrase said?".
Scanning one string of the whole transcript with `str.find` costs a pass over all of it
per query (42 ms at 10M words, a million segments: docs/search.md), so the words are held
as token ids with a posting list per token instead: a phrase is looked up from its
rarest token's occurrences and checked token by token, in time proportional to how
often that token was said, not to the size of the library.

A word is normalised (text.normalise) and may become several tokens ("don't" -> "don t"),
so matches start and end on token boundaries, as the string scan's word-boundary rule did.

`near_phrase_words` also finds a phrase the recogniser heard one word off ("cooking
pasta with tomato sause"): every other word said exactly, in order, and the one word
spelled alike (RapidFuzz's normalised Indel ratio >= NEAR_RATIO) with the same first
letter. Precision rules, from measuring false hits (bench/near_verbatim.py, docs/search.md
"Near-verbatim speech"): the phrase has at least NEAR_MIN_TOKENS words; the word heard
differently has at least NEAR_MIN_CHARS letters on both sides (short words have too many
look-alikes: "a"/"the"); and it starts like the word said, because whisper rarely mishears
a word's onset while different words spelled alike often differ there ("train"/"rain",
"books"/"looks"): the rule halves the false hits and keeps all but one of the words found.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from search.text import normalise

NO_WORDS = np.zeros(0, dtype=np.int64)
NEAR_MIN_TOKENS = 3
NEAR_MIN_CHARS = 4
NEAR_RATIO = 75.0  # 0-100: "sauce"/"sause" 80, "pasta"/"pastor" 73, "tomato"/"potato" 67, "sauce"/"sorce" 60


@dataclass(frozen=True)
class SpeechCorpus:
    """Words (video, start, end) in video then time order, and their normalised tokens."""

    word_video: np.ndarray  # int32 (w,)
    word_start: np.ndarray  # float32 (w,)
    word_end: np.ndarray  # float32 (w,)
    tokens: np.ndarray  # int32 (t,) id of each token in `vocabulary`, in speaking order
    token_word: np.ndarray  # int32 (t,) the word each token belongs to
    vocabulary: dict[str, int]
    postings: np.ndarray  # int32 (t,) token positions grouped by token id, ascending within a token
    posting_offsets: np.ndarray  # int64 (vocabulary + 1,) token id i's positions: postings[o[i]:o[i + 1]]

    def __len__(self) -> int:
        return len(self.word_start)

    @property
    def nbytes(self) -> int:
        arrays = (self.word_video, self.word_start, self.word_end, self.tokens, self.token_word, self.postings)
        return sum(a.nbytes for a in arrays) + self.posting_offsets.nbytes + sum(map(len, self.vocabulary))

    def phrase_words(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(first word, last word) of every place `text` was said, in order; case and punctuation ignored."""
        ids = [self.vocabulary.get(token) for token in normalise(text).split()]
        if not ids or any(token is None for token in ids):
            return NO_WORDS, NO_WORDS
        first, last, _ = self._words(self._starts(dict(enumerate(ids)), len(ids)), len(ids))  # type: ignore[arg-type]
        return first, last

    def near_phrase_words(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first word, last word, similarity 0-100 of the word heard differently) of every place
        `text` was said with exactly one word spelled alike instead (module docstring)."""
        tokens = normalise(text).split()
        ids = [self.vocabulary.get(token) for token in tokens]
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for off, token in enumerate(tokens if len(tokens) >= NEAR_MIN_TOKENS else ()):
            exact = {position: i for position, i in enumerate(ids) if position != off}
            if len(token) < NEAR_MIN_CHARS or None in exact.values():
                continue
            alike, similarity = self._alike(token)
            if not len(alike):
                continue
            starts = self._starts(exact, len(tokens))  # type: ignore[arg-type]
            heard = self.tokens[starts + off]
            at = np.searchsorted(alike, heard).clip(max=len(alike) - 1)
            keep = alike[at] == heard
            first, last, same_video = self._words(starts[keep], len(tokens))
            found.append((first, last, similarity[at[keep]][same_video]))
        if not found:
            return NO_WORDS, NO_WORDS, np.zeros(0, dtype=np.float32)
        return tuple(np.concatenate(column) for column in zip(*found, strict=True))  # type: ignore[return-value]

    def _starts(self, ids: dict[int, int], length: int) -> np.ndarray:
        """Token positions where a phrase of `length` tokens starts, given the token id at some
        of its positions; the others are free. Starts from the rarest token: the fewest candidates."""
        counts = {p: int(self.posting_offsets[i + 1] - self.posting_offsets[i]) for p, i in ids.items()}
        anchor = min(counts, key=counts.__getitem__)
        found = self.postings[self.posting_offsets[ids[anchor]] : self.posting_offsets[ids[anchor] + 1]]
        starts = found.astype(np.int64) - anchor
        starts = starts[(starts >= 0) & (starts + length <= len(self.tokens))]
        for position, token in ids.items():
            if position != anchor:
                starts = starts[self.tokens[starts + position] == token]
        return starts

    def _words(self, starts: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first word, last word) of the phrases starting at `starts`, those that span two
        videos dropped, and which of `starts` were kept."""
        first = self.token_word[starts].astype(np.int64)
        last = self.token_word[starts + length - 1].astype(np.int64)
        same_video = self.word_video[first] == self.word_video[last]  # a phrase never spans two videos
        return first[same_video], last[same_video], same_video

    @functools.cached_property
    def _spellings(self) -> dict[str, tuple[list[str], list[int]]]:
        """The vocabulary's words of NEAR_MIN_CHARS or more, by first letter, with their ids: a
        lookup scans one letter's words (about 20 ms for 100k words, a tenth of that per letter)."""
        by_letter: dict[str, tuple[list[str], list[int]]] = {}
        for word, index in self.vocabulary.items():
            if len(word) >= NEAR_MIN_CHARS:
                words, ids = by_letter.setdefault(word[0], ([], []))
                words.append(word)
                ids.append(index)
        return by_letter

    def _alike(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """(token ids ascending, their similarity) of the words spelled like `token` and starting
        with its letter, itself excluded."""
        from rapidfuzz import fuzz, process

        words, ids = self._spellings.get(token[0], ([], []))
        matches = process.extract(token, words, scorer=fuzz.ratio, score_cutoff=NEAR_RATIO, limit=None)
        pairs = sorted((ids[at], score) for word, score, at in matches if word != token)
        return np.array([i for i, _ in pairs], dtype=np.int32), np.array([s for _, s in pairs], dtype=np.float32)


def speech_corpus(words: list[tuple[int, float, float, str]]) -> SpeechCorpus:
    """words: (video code, start, end, word as transcribed), in video then time order."""
    videos: list[int] = []
    starts: list[float] = []
    ends: list[float] = []
    tokens: list[int] = []
    token_word: list[int] = []
    vocabulary: dict[str, int] = {}
    for video, start, end, raw in words:
        parts = normalise(raw).split()
        if not parts:
            continue
        for part in parts:
            tokens.append(vocabulary.setdefault(part, len(vocabulary)))
            token_word.append(len(videos))
        videos.append(video)
        starts.append(start)
        ends.append(end)
    token_ids = np.array(tokens, dtype=np.int32)
    postings = np.argsort(token_ids, kind="stable").astype(np.int32)
    posting_offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(token_ids, minlength=len(vocabulary)), out=posting_offsets[1:])
    return SpeechCorpus(
        word_video=np.array(videos, dtype=np.int32),
        word_start=np.array(starts, dtype=np.float32),
        word_end=np.array(ends, dtype=np.float32),
        tokens=token_ids,
        token_word=np.array(token_word, dtype=np.int32),
        vocabulary=vocabulary,
        postings=postings,
        posting_offsets=posting_offsets,
    )
