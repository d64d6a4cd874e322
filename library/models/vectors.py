"""Segment vectors as pgvector `halfvec` rows, for search inside PostgreSQL (docs/search-at-scale.md).

One row per (segment, option) that has a vector, rather than three columns on one row:
an HNSW index needs one fixed dimension, and the visual option is 384-d (concept vectors)
or 512-d (CLIP) depending on the model that indexed the video. So the column is a plain
`halfvec` and each (option, dimensions) pair gets its own partial expression index
(`embedding::halfvec(384)` WHERE option = ... AND dims = 384, migration 0008): a query
names the pair and the planner uses that pair's graph; an option a video skipped writes
no row at all.

`start`/`end` are the evidence bounds a hit on this option reports (the spoken words of
the segment, the on-screen text's time), computed at write time (library/evidence.py)
so a search reads them with the row instead of loading transcripts.

The table exists only on PostgreSQL with the `vector` extension (the migration skips it
elsewhere): on SQLite the Segment BinaryFields are the only copy and search runs in
process. Rows are written by library.vector_store in the transaction that writes the
segments, and deleted with them by the database (ON DELETE CASCADE added in SQL: the
Django field is DO_NOTHING so no process ever collects them).
"""

from __future__ import annotations

from django.db import models
from pgvector.django import HalfVectorField

from library.models.indexes import Segment


class SegmentVector(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # Denormalised from the segment: the search query filters on them before the top-k.
    index_id = models.CharField(max_length=24)
    video_id = models.CharField(max_length=24)
    option = models.CharField(max_length=20)
    dims = models.PositiveSmallIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    embedding = HalfVectorField()

    class Meta:
        indexes = [models.Index(fields=["index_id", "option", "video_id"], name="segvec_scope")]

    def __str__(self) -> str:
        return f"{self.option} vector of segment {self.segment_id}"
