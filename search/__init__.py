"""Moment search: find the moments of an index's videos that match a text (or an image).

backend.py      which vector backend answers (FRAMEWISE_VECTOR_BACKEND): in process or pgvector
matrix.py       per-index in-memory matrices, cached per content version (shared with classification)
pg_backend.py   pgvector: a search's candidates from PostgreSQL, filters inside the index scan
lexical.py      pgvector: exact_match and on-screen text candidates from the database
checks.py       start-up check of a forced pgvector backend
calibration.py  raw similarity -> 0-100 score -> high/medium/low, the same meaning for every option
embeddings.py   query vectors with an LRU
text.py         lexical normalisation and phrase finding
scoring.py      one query against one option -> segment hits
hits.py         segment hits and the and/or/not/then operators
clips.py        segment hits -> merged clips, ordering, grouping by video
filters.py      the video-metadata `filter`
spec.py         what a search asks for (also what page tokens carry)
params.py       request parameters -> spec
query.py        the service: search_run(spec=, indexes=) -> SearchOutcome -> pages
tokens.py       signed, expiring page tokens
"""
