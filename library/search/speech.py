"""Every transcribed word of an index, and where a phrase was said word for word.

exact_match and the exact channel of classification ask "where was this phrase said?".
Scanning one string of the whole transcript with `str.find` costs a pass over all of it
per query (42 ms at 10M words, a million segments: docs/search.md), so the words are held
as token ids with a posting list per token instead: a phrase is looked up from its
rarest token's occurrences and checked token by token, in time proportional to how
often that token was said, not to the size of the library.

A word is normalised (text.normalise) and may become several tokens ("don't" -> "don t"),
so matches start and end on token boundaries, as the string scan's word-boundary rule did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from library.search.text import normalise

NO_WORDS = np.zeros(0, dtype=np.int64)


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
        # Start from the rarest token of the phrase: the fewest candidates to check.
        counts = [int(self.posting_offsets[i + 1] - self.posting_offsets[i]) for i in ids]  # type: ignore[operator]
        anchor = int(np.argmin(counts))
        anchor_id: int = ids[anchor]  # type: ignore[assignment]
        found = self.postings[self.posting_offsets[anchor_id] : self.posting_offsets[anchor_id + 1]]
        starts = found.astype(np.int64) - anchor
        starts = starts[(starts >= 0) & (starts + len(ids) <= len(self.tokens))]
        for position, token in enumerate(ids):
            if position != anchor:
                starts = starts[self.tokens[starts + position] == token]
        first, last = self.token_word[starts].astype(np.int64), self.token_word[starts + len(ids) - 1].astype(np.int64)
        same_video = self.word_video[first] == self.word_video[last]  # a phrase never spans two videos
        return first[same_video], last[same_video]


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
