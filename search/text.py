"""Lexical matching: what "the same words" means for exact_match, on-screen text and logos.

Matching is case, accent and punctuation insensitive: both sides go through
`normalise` (NFKD, accents dropped, lower case, every run of non-alphanumerics becomes
one space). On-screen text is also compared with its spaces removed (`squash`),
because OCR often drops the spaces between words ("STUDYABROADPARIS",
offline-models.md §3c); a squashed match must be at least `MIN_SQUASHED` characters
long so that a short word does not match inside an unrelated one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# A squashed (space-free) match needs this many characters: "paris" inside
# "studyabroadparis" is evidence, "air" inside "chair" is not.
MIN_SQUASHED = 4
# Joins the items of a corpus string: never produced by `normalise`, so no match spans two items.
SEPARATOR = "\n"


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", without_accents.casefold()).strip()


def squash(text: str) -> str:
    return normalise(text).replace(" ", "")


def find_phrase(corpus: str, phrase: str) -> Iterator[int]:
    """Offsets in `corpus` (normalised words joined by spaces) where `phrase` starts on word boundaries.

    `phrase` must be normalised. Plain `str.find` (C speed) does the scanning; the
    boundary test rejects matches inside longer words.
    """
    if not phrase:
        return
    start = corpus.find(phrase)
    while start != -1:
        end = start + len(phrase)
        before_ok = start == 0 or not corpus[start - 1].isalnum()
        after_ok = end == len(corpus) or not corpus[end].isalnum()
        if before_ok and after_ok:
            yield start
        start = corpus.find(phrase, start + 1)


def find_substring(corpus: str, needle: str) -> Iterator[int]:
    """Every offset of `needle` in `corpus`, boundaries ignored (for squashed text)."""
    if not needle:
        return
    start = corpus.find(needle)
    while start != -1:
        yield start
        start = corpus.find(needle, start + 1)
