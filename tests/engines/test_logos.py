"""The brand lexicon behind the `logo` option."""

from __future__ import annotations

import pytest

from engines.base import TextSpan
from engines.local.logos import get_lexicon, logo_spans


@pytest.mark.parametrize(
    ("text", "brands"),
    [
        ("NIKE AIR MAX", ["Nike"]),
        ("Coca Cola", ["Coca-Cola"]),
        ("COCACOLA", ["Coca-Cola"]),  # OCR dropped the space
        ("McDONALD'S drive", ["McDonald's"]),
        ("H&M summer sale", ["H&M"]),
        ("L'ORÉAL Paris", ["L'Oreal"]),
        ("adidas vs puma", ["Adidas"]),  # "puma" is a common word: whole line only
        ("PUMA", ["Puma"]),
        ("apple pie recipe", []),
        ("INTELLIGENCE", []),  # whole words only: no Intel
        ("NIKEAIRMAX", ["Nike"]),  # OCR dropped the spaces
        ("AUDIOBOOK", []),  # split into real words: no Audi
        ("Heineken and Coke Zero", ["Heineken", "Coca-Cola"]),
    ],
)
def test_brand_names_match_whole_words(text: str, brands: list[str]) -> None:
    assert get_lexicon().find(text) == brands


def test_the_lexicon_holds_hundreds_of_brands() -> None:
    brands = get_lexicon().brands
    assert len(brands) >= 300
    assert len(set(brands)) == len(brands)


def test_logo_spans_take_the_text_span_times_and_merge_close_sightings() -> None:
    texts = (
        TextSpan(start=0.0, end=3.0, value="NIKE AIR MAX", box=(0.1, 0.1, 0.4, 0.2), confidence=0.9),
        TextSpan(start=4.0, end=6.0, value="Just do it. Nike", box=(0.1, 0.5, 0.4, 0.6), confidence=0.95),
        TextSpan(start=20.0, end=22.0, value="nike", confidence=0.8),
        TextSpan(start=1.0, end=2.0, value="Subscribe"),
    )
    spans = logo_spans(texts)
    assert [(s.value, s.start, s.end) for s in spans] == [("Nike", 0.0, 6.0), ("Nike", 20.0, 22.0)]
    assert spans[0].box == (0.1, 0.1, 0.4, 0.2) and spans[0].confidence == 0.95
