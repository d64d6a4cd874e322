"""Moment search: find the moments of an index's videos that match a text (or an image).

matrix.py       per-index in-memory matrices, cached per content version (shared with classification)
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
