from __future__ import annotations

from typing import Any

from django.db import models

from core.models.teams import Team
from core.scoping import TeamScopedQuerySet
from library.models.assets import Asset
from library.models.common import new_object_id

# Engine names clients send (Twelve Labs model names) and what each family does here:
# "marengo*" engines feed search and classification, "pegasus*" engines generation.
# `/v1.2/engines` lists the v1.2 names; v1.3 indexes name today's models (library/api/v13/options.py).
V12_EMBEDDING_ENGINES = ("marengo2.5", "marengo2.6")
V12_GENERATIVE_ENGINES = ("pegasus1", "pegasus1.1")
V12_ENGINE_NAMES = V12_EMBEDDING_ENGINES + V12_GENERATIVE_ENGINES
EMBEDDING_ENGINES = (*V12_EMBEDDING_ENGINES, "marengo2.7", "marengo3.0")
GENERATIVE_ENGINES = (*V12_GENERATIVE_ENGINES, "pegasus1.2")
ENGINE_NAMES = EMBEDDING_ENGINES + GENERATIVE_ENGINES
ADDONS = ("thumbnail",)


class Index(models.Model):
    team_path = "team"
    objects = TeamScopedQuerySet["Index"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="indexes")
    name = models.CharField(max_length=200)
    # [{"engine_name": "marengo2.6", "engine_options": ["visual", ...]}], as clients send it.
    engines = models.JSONField(default=list)
    addons = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever the index's searchable content changes; in-memory matrices built
    # from its segments (in any process) are valid only for the version they were built at.
    content_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "indexes"
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="index_unique_team_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def options(self) -> frozenset[str]:
        """Every engine option enabled by any of the index's engines."""
        return frozenset(option for engine in self.engines for option in engine.get("engine_options", []))

    @property
    def embedding_options(self) -> frozenset[str]:
        return frozenset(
            option
            for engine in self.engines
            if engine.get("engine_name") in EMBEDDING_ENGINES
            for option in engine.get("engine_options", [])
        )

    @property
    def has_generative_engine(self) -> bool:
        return any(engine.get("engine_name") in GENERATIVE_ENGINES for engine in self.engines)

    @property
    def engine_names(self) -> list[str]:
        return [engine["engine_name"] for engine in self.engines]

    @property
    def wants_thumbnails(self) -> bool:
        return "thumbnail" in (self.addons or [])


def video_upload_path(instance: Any, filename: str) -> str:
    # The original name is kept in the `filename` column exactly; the stored name only
    # keeps the extension, so unicode or hostile names never reach the file system.
    suffix = "." + filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else ""
    return f"videos/{instance.index_id}/{instance.id}{suffix}"


class Video(models.Model):
    """A validated video of an index. It exists from validation until deletion.

    A video whose indexing fails for good is deleted again (its upload stays on the
    task), so a later upload of the same file is not taken for a duplicate.
    """

    team_path = "index__team"
    objects = TeamScopedQuerySet["Video"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="videos")
    # The v1.3 asset this video indexes (an "indexed asset"); its file is the asset's, shared.
    asset = models.ForeignKey(Asset, on_delete=models.SET_NULL, null=True, blank=True, related_name="videos")
    file = models.FileField(max_length=500)
    filename = models.CharField(max_length=500)
    title = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64)
    duration = models.FloatField()
    fps = models.FloatField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.BigIntegerField()
    container = models.CharField(max_length=100, blank=True)
    video_codec = models.CharField(max_length=50, blank=True)
    audio_codec = models.CharField(max_length=50, blank=True)
    has_audio = models.BooleanField(default=False)
    user_metadata = models.JSONField(default=dict, blank=True)
    # What indexing extracted, replaced as a whole on re-index (see pipeline.py).
    shots = models.JSONField(default=list, blank=True)
    transcript = models.JSONField(default=list, blank=True)  # in the spoken language
    # ISO 639-1 code of the speech: the upload's `language`, else detected ("" when silent).
    language = models.CharField(max_length=10, blank=True)
    # For speech in another language than English, its English translation, one line per
    # transcript line ({start, end, value}); search, classification and generation read it.
    translation = models.JSONField(default=list, blank=True)
    texts = models.JSONField(default=list, blank=True)
    logos = models.JSONField(default=list, blank=True)
    # "Objects and scenes": spans of what the visual concept classifier saw (no CLIP).
    concepts = models.JSONField(default=list, blank=True)
    skipped = models.JSONField(default=dict, blank=True, help_text="Options that could not run, and why.")
    engine_name = models.CharField(max_length=50, blank=True)
    engine_versions = models.JSONField(default=dict, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # The database, not a check-then-insert, is what makes two concurrent uploads
            # of one file end as one video and one "duplicate" task.
            models.UniqueConstraint(fields=["index", "sha256"], name="video_unique_index_sha256"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_ready(self) -> bool:
        return self.indexed_at is not None


class Thumbnail(models.Model):
    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="thumbnails")
    time = models.FloatField()
    image = models.FileField(max_length=500)

    class Meta:
        ordering = ["time"]
        constraints = [models.UniqueConstraint(fields=["video", "time"], name="thumbnail_unique_video_time")]


class Segment(models.Model):
    """One cell of a video's time grid with what each option saw in it.

    Vectors are float16 bytes: half the size of float32 with no measurable loss for
    cosine ranking, and any process can load an index's matrix straight from the table.
    """

    team_path = "video__index__team"
    objects = TeamScopedQuerySet["Segment"].as_manager()

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="segments")
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    transcript = models.TextField(blank=True)
    translation = models.TextField(blank=True, help_text="English of the transcript, for speech in other languages.")
    on_screen_text = models.TextField(blank=True)
    logos = models.TextField(blank=True)
    conversation_vector = models.BinaryField(null=True)
    text_vector = models.BinaryField(null=True)
    visual_vector = models.BinaryField(null=True)

    class Meta:
        ordering = ["video_id", "position"]
        constraints = [models.UniqueConstraint(fields=["video", "position"], name="segment_unique_video_position")]
