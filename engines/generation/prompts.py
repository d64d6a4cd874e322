"""What a client's prompt asks for, read without a language model.

The offline generator cannot follow arbitrary instructions, but it can honour the ones
clients write most: a length ("up to three sentences", "in 2-3 sentences", "under 50
words", "top 3 highlights"), which parts they want (a title, hashtags, a summary...),
a creative form it cannot write (a rap song, a poem), and the content words that might
say what to focus on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NUMBER_WORDS = {
    "a single": 1,
    "single": 1,
    "one": 1,
    "a couple of": 2,
    "a couple": 2,
    "two": 2,
    "a few": 3,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMBER = r"(\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNITS = {
    "sentence": "sentence",
    "word": "word",
    "highlight": "highlight",
    "moment": "highlight",
    "chapter": "chapter",
    "section": "chapter",
    "hashtag": "hashtag",
    "tag": "hashtag",
    "topic": "topic",
    "bullet": "sentence",
    "point": "sentence",
    "line": "sentence",
}
# "2-3 sentences", "two or three sentences", "up to 3 sentences", "a one-sentence summary".
_COUNT = re.compile(
    rf"\b{_NUMBER}(?:\s*(?:-|–|to|or)\s*{_NUMBER})?[\s-]+(?:\w+[\s-]+)?"
    rf"({'|'.join(_UNITS)})s?\b",
    re.IGNORECASE,
)

# Which parts a prompt asks for. Singular "topic" and "highlighting" usually describe a
# summary ("highlighting the main topic"), so only the plural nouns ask for the lists.
_SECTIONS = {
    "title": re.compile(r"\btitles?\b|\bheadlines?\b"),
    "summary": re.compile(r"summar|\bdescri|\boverview|\brecap|\babout\b|\bgist\b"),
    "hashtag": re.compile(r"\bhashtags?\b"),
    "topic": re.compile(r"\btopics\b|\bthemes\b|\bcategories\b"),
    "chapter": re.compile(r"\bchapters?\b|\bsections\b|\btable of contents\b"),
    "highlight": re.compile(r"\bhighlights\b|\bkey moments\b|\bimportant moments\b"),
}
# Longer forms first: "a rap song" is a rap song, not a rap.
CREATIVE_FORMS = (
    "rap song",
    "rap",
    "song",
    "lyrics",
    "poem",
    "haiku",
    "limerick",
    "story",
    "joke",
    "essay",
    "email",
    "tweet",
    "script",
    "slogan",
    "advertisement",
    "press release",
)


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string: long lists stay readable."""
    return frozenset(words.split())


STOPWORDS = word_set(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even ever every few for from further get
    gets got had has have having he her here hers herself him himself his how however i if in into is it its
    itself just let like ll me more most much must my myself no nor not now of off on once only or other our
    ours ourselves out over own per please quite rather re really same shall she should so some such than that
    the their theirs them themselves then there these they this those through thus to too under until up upon us
    very via was we well were what when where which while who whom whose why will with within without would yet
    you your yours yourself yourselves s t ve d m o y ok okay oh yeah yes hey hi hello today now first next
    finally also still lot lots thing things something anything everything one two three go going gonna want
    know see look say said says make makes made take takes come comes put back way many new good great right
    """
)

# Words of instructions rather than of content: a prompt made only of these and of
# stopwords asks about the video as a whole.
INSTRUCTION_WORDS = word_set(
    """
    generate write create produce provide give list describe description describing summary summaries summarize
    summarise summarizing video videos clip clips footage film recording title titles headline hashtag hashtags
    topic topics chapter chapters highlight highlights highlighting moment moments sentence sentences word words
    paragraph paragraphs format formatted following followed style tone language short brief concise detailed
    long longer shorter please main key event events concluding conclusion remarks overview recap gist report
    live tv audience viewer viewers reader readers educational instructional language showcase showcases
    showcasing surprising interesting important best part parts based using use bullet bullets point points line
    lines up least maximum minimum exactly around approximately output answer question tell explain top happens
    happening happened shown show shows seen
    """
)
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True)
class PromptRequest:
    text: str
    # unit ("sentence", "word", "highlight", ...) -> the largest count the prompt allows
    limits: dict[str, int] = field(default_factory=dict)
    sections: frozenset[str] = frozenset()
    creative_form: str | None = None
    content_words: tuple[str, ...] = ()


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.lower()
    return int(value) if value.isdigit() else NUMBER_WORDS.get(value)


def limits(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for match in _COUNT.finditer(text):
        low, high, unit = _number(match.group(1)), _number(match.group(2)), _UNITS[match.group(3).lower()]
        count = max(value for value in (low, high) if value is not None)
        if count > 0:
            found[unit] = min(found.get(unit, count), count)
    return found


def words(text: str) -> list[str]:
    return [token.lower().strip("'’-") for token in _TOKEN.findall(text)]


def parse(text: str) -> PromptRequest:
    lowered = text.lower()
    sections = frozenset(name for name, pattern in _SECTIONS.items() if pattern.search(lowered))
    creative = next((form for form in CREATIVE_FORMS if re.search(rf"\b{form}s?\b", lowered)), None)
    content = tuple(
        dict.fromkeys(
            word
            for word in words(text)
            if len(word) > 2 and word not in STOPWORDS and word not in INSTRUCTION_WORDS and word not in CREATIVE_FORMS
        )
    )
    return PromptRequest(
        text=text, limits=limits(text), sections=sections, creative_form=creative, content_words=content
    )
