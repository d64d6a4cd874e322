"""Lexical candidates in PostgreSQL: which videos can hold an exact_match phrase or an on-screen text.

The pgvector backend loads no index whole, so the in-process phrase matcher (speech.py,
scoring.py) runs on the candidate videos only, and the database says which those are:

* speech: full-text search over each video's transcript, a GIN index on
  `to_tsvector('simple', transcript)` (migration library 0008). The JSON variant of
  `to_tsvector` indexes the strings only (the words, not their timestamps); `simple`
  lower-cases and keeps every word (no stemming, no stop words), so a phrase's words are
  lexemes as they were said. A video is a candidate when it holds every word of the
  phrase, or (phrases of 3+ words) every word but one, the near-verbatim rule; the
  matcher then checks order, adjacency and spelling. We chose full-text over pg_trgm:
  phrases are whole words (exact_match matches on word boundaries), a word lookup in a
  GIN of lexemes is one posting list, where trigrams of short common words match most
  of a library; and it needs no extension, so it works on any PostgreSQL.
* on-screen text and logos (far fewer rows, often OCR without spaces): videos whose
  spans contain the query's longest word (case-insensitive substring of the JSON text),
  or for logos any video with a brand seen (a brand name inside the query is found by
  the reverse match, which needs the names).

What full-text does not give: the in-process matcher folds accents ("cafe" finds
"café"); `simple` keeps them, so a phrase typed without the accents of a transcript
is not found on this backend (docs/search-at-scale.md).
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from engines.base import CONVERSATION, LOGO, TEXT_IN_VIDEO
from library.models import Index
from search.spec import SearchSpec, leaves
from search.speech import NEAR_MIN_TOKENS
from search.text import normalise


def _lexeme(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def phrase_tsquery(text: str) -> str | None:
    """Every word (and, from NEAR_MIN_TOKENS words on, every word but one) as a tsquery."""
    tokens = list(dict.fromkeys(normalise(text).split()))
    if not tokens:
        return None
    groups = [tokens]
    if len(normalise(text).split()) >= NEAR_MIN_TOKENS:
        groups += [tokens[:skip] + tokens[skip + 1 :] for skip in range(len(tokens))]
    return " | ".join("(" + " & ".join(_lexeme(t) for t in group) + ")" for group in groups if group)


def candidate_videos(index: Index, spec: SearchSpec, allowed: list[str] | None) -> set[str]:
    found: set[str] = set()
    scope = "index_id = %s AND indexed_at IS NOT NULL"
    base: list[Any] = [index.id]
    if allowed is not None:
        scope += " AND id = ANY(%s)"
        base.append(allowed)
    with connection.cursor() as cursor:
        for leaf in leaves(spec.query):
            options = leaf.options if leaf.options is not None else spec.options
            conversation = leaf.conversation_option or spec.conversation_option
            if not leaf.text:
                continue
            if CONVERSATION in options and conversation == "exact_match" and CONVERSATION in index.embedding_options:
                query = phrase_tsquery(leaf.text)
                if query:
                    cursor.execute(
                        f"SELECT id FROM library_video WHERE {scope} AND "
                        "to_tsvector('simple'::regconfig, transcript) @@ to_tsquery('simple'::regconfig, %s)",
                        [*base, query],
                    )
                    found.update(row[0] for row in cursor.fetchall())
            if TEXT_IN_VIDEO in options and TEXT_IN_VIDEO in index.embedding_options:
                words = sorted(normalise(leaf.text).split(), key=len)
                if words:
                    cursor.execute(
                        f"SELECT id FROM library_video WHERE {scope} AND texts::text ILIKE %s",
                        [*base, "%" + words[-1].replace("%", r"\%").replace("_", r"\_") + "%"],
                    )
                    found.update(row[0] for row in cursor.fetchall())
            if LOGO in options and LOGO in index.embedding_options:
                cursor.execute(f"SELECT id FROM library_video WHERE {scope} AND logos <> '[]'::jsonb", base)
                found.update(row[0] for row in cursor.fetchall())
    return found
