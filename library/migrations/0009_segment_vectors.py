"""pgvector rows for search inside PostgreSQL, and the full-text index of spoken words.

Conditional on the database, so one migration history serves every deployment:
* PostgreSQL with the `vector` extension available: the extension (CREATE EXTENSION needs
  a superuser, or the extension pre-created by one), the SegmentVector table with a real
  foreign key ON DELETE CASCADE to its segment, and one HNSW graph per (option, dimensions)
  (library/vector_store.py);
* any PostgreSQL: a GIN full-text index of each video's spoken words, for exact_match
  (search/lexical.py: to_tsvector over the transcript JSON indexes its strings only);
* SQLite: nothing. Search runs in process from the Segment BinaryFields, as before.
The model is in the migration state everywhere, so the ORM knows it; code asks
library.vector_store.table_exists() before touching the table.
"""

import django.db.models.deletion
import pgvector.django.halfvec
from django.db import migrations, models

from library import vector_store


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS video_transcript_fts ON library_video "
        "USING gin (to_tsvector('simple'::regconfig, transcript))"
    )
    if not vector_store.extension_available(connection):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    schema_editor.create_model(apps.get_model("library", "SegmentVector"))
    schema_editor.execute(
        f"ALTER TABLE {vector_store.TABLE} ADD CONSTRAINT segvec_segment_fk FOREIGN KEY (segment_id) "
        "REFERENCES library_segment (id) ON DELETE CASCADE"
    )
    for option, dims in vector_store.INDEXED:
        schema_editor.execute(vector_store.hnsw_index_sql(option, dims))
    vector_store.forget_table_state()


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS video_transcript_fts")
    schema_editor.execute(f"DROP TABLE IF EXISTS {vector_store.TABLE}")
    vector_store.forget_table_state()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0008_assets"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SegmentVector",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("index_id", models.CharField(max_length=24)),
                        ("video_id", models.CharField(max_length=24)),
                        ("option", models.CharField(max_length=20)),
                        ("dims", models.PositiveSmallIntegerField()),
                        ("start", models.FloatField()),
                        ("end", models.FloatField()),
                        ("embedding", pgvector.django.halfvec.HalfVectorField()),
                        (
                            "segment",
                            models.ForeignKey(
                                db_constraint=False,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="library.segment",
                            ),
                        ),
                    ],
                    options={
                        "indexes": [models.Index(fields=["index_id", "option", "video_id"], name="segvec_scope")],
                    },
                ),
            ],
        ),
        # After the state operation, so `create` finds the model in `apps`.
        migrations.RunPython(create, drop),
    ]
