"""Taxonomies editors curate, classification runs over an index, and the labels they leave.

A flat list of classes is a taxonomy of depth 1; an IAB import is a tree. Nodes keep a
materialised path of node ids ("/12/40/41/"), so a subtree is one indexed prefix query
(ids, not codes: SQLite's LIKE ignores case and IAB codes such as "v9i3On" are not
guaranteed to differ by more than case).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import Team
from core.models.jobs import JobRow
from core.scoping import TeamScopedQuerySet
from library.models import Index, Video, new_object_id

CLASSIFY_OPTIONS = ("visual", "conversation", "text_in_video")
CONVERSATION_OPTIONS = ("semantic", "exact_match")


class TaxonomySource(models.TextChoices):
    CUSTOM = "custom", "Own classes"
    IAB = "iab", "IAB Tech Lab Content Taxonomy"


class Taxonomy(models.Model):
    team_path = "team"
    objects = TeamScopedQuerySet["Taxonomy"].as_manager()

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="taxonomies")
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=TaxonomySource.choices, default=TaxonomySource.CUSTOM)
    version = models.CharField(max_length=20, blank=True, help_text="The source's version, e.g. 3.1.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "taxonomies"
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="taxonomy_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class TaxonomyNode(models.Model):
    team_path = "taxonomy__team"
    objects = TeamScopedQuerySet["TaxonomyNode"].as_manager()

    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    code = models.CharField(max_length=64, help_text="The id in the source file, or a slug of the name.")
    name = models.CharField(max_length=300)
    # "/<root id>/.../<own id>/": descendants are the nodes whose path starts with this one's.
    path = models.CharField(max_length=400, db_index=True, editable=False)
    # "Tier 1 > Tier 2 > Name", for people and for default prompts.
    name_path = models.CharField(max_length=1200, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False, help_text="1 for a top-level node.")
    position = models.PositiveIntegerField(default=0, help_text="Order in the source file.")
    prompts = models.JSONField(default=list, blank=True)
    # Set when an editor changes the prompts: re-imports then leave them alone.
    prompts_edited = models.BooleanField(default=False)
    options = models.JSONField(
        default=list, blank=True, help_text="Options to classify this node with; empty: the run's options."
    )
    active = models.BooleanField(default=True, help_text="Inactive nodes are not classified.")
    extension = models.CharField(max_length=20, blank=True, help_text="IAB extension marker, e.g. SCD.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["taxonomy_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["taxonomy", "code"], name="node_unique_taxonomy_code")]

    def __str__(self) -> str:
        return self.name_path or self.name

    def set_parent(self, parent: TaxonomyNode | None) -> None:
        """Hang the node under `parent` (None: the top level) and derive depth and both paths from it.

        Not saved. The node needs its id already (its path ends with it), and the parent's paths
        must be final: the IAB import and the class editors both rely on placing parents first.
        """
        self.parent = parent
        self.depth = parent.depth + 1 if parent else 1
        self.name_path = f"{parent.name_path} > {self.name}" if parent else self.name
        self.path = f"{parent.path if parent else '/'}{self.pk}/"

    def default_prompts(self, *, ambiguous: bool = False) -> list[str]:
        """The name; with its parent's name when another node of the taxonomy has the same name.

        The path is not added to every prompt: "Sports, Baseball" would match anything about
        sports, and a node already counts its descendants' evidence (so the parent's prompt
        would label every sibling at once).
        """
        if ambiguous and self.parent is not None:
            return [f"{self.name} ({self.parent.name})"]
        return [self.name]

    @property
    def effective_prompts(self) -> list[str]:
        return [prompt for prompt in self.prompts if prompt.strip()] or [self.name]


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ClassificationRun(JobRow):
    """A job row: classify an index's videos (all, or `video_ids`) against a taxonomy.

    Workers claim it with a conditional UPDATE and keep `heartbeat_at` fresh; labels are
    upserted per (video, node), so a re-delivered or resumed run rewrites, never duplicates.
    """

    team_path = "team"
    objects = TeamScopedQuerySet["ClassificationRun"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="classification_runs")
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.CASCADE, related_name="runs")
    index = models.ForeignKey(Index, on_delete=models.CASCADE, related_name="classification_runs")
    video_ids = models.JSONField(default=list, blank=True, help_text="Selected videos; empty: the whole index.")
    options = models.JSONField(default=list)
    conversation_option = models.CharField(max_length=12, default="semantic")
    min_video_score = models.FloatField(default=75.0)
    min_clip_score = models.FloatField(default=65.0)
    min_duration_ratio = models.FloatField(default=0.5)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    progress = models.FloatField(default=0.0)
    videos_total = models.PositiveIntegerField(default=0)
    videos_done = models.PositiveIntegerField(default=0)
    labels_written = models.PositiveIntegerField(default=0)
    skipped_options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.taxonomy} on {self.index} ({self.status})"


class LabelOrigin(models.TextChoices):
    MODEL = "model", "Found by the model"
    ROLLUP = "rollup", "Implied by a labeled sub-category"
    EDITOR = "editor", "Added by an editor"


class Decision(models.TextChoices):
    NONE = "", "Not reviewed"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class VideoLabelQuerySet(TeamScopedQuerySet["VideoLabel"]):
    def visible(self) -> VideoLabelQuerySet:
        """What a labeled library shows: everything but labels an editor rejected."""
        return self.exclude(decision=Decision.REJECTED)


class VideoLabel(models.Model):
    """One node on one video. Score fields are None when no run currently supports it."""

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="labels")
    node = models.ForeignKey(TaxonomyNode, on_delete=models.CASCADE, related_name="labels")
    run = models.ForeignKey(ClassificationRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="labels")
    origin = models.CharField(max_length=10, choices=LabelOrigin.choices, default=LabelOrigin.MODEL)
    score = models.FloatField(null=True, blank=True)
    duration_ratio = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    avg_score = models.FloatField(null=True, blank=True)
    normalized_score = models.FloatField(null=True, blank=True)
    # [{start, end, score, option, prompt}]: the evidence, descendants' clips included.
    clips = models.JSONField(default=list, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.NONE, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    team_path = "video__index__team"
    objects = VideoLabelQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["video", "node"], name="label_unique_video_node")]
        indexes = [models.Index(fields=["node", "decision"], name="label_node_decision")]

    def __str__(self) -> str:
        return f"{self.node} on {self.video}"

    @property
    def is_editor_decided(self) -> bool:
        return self.decision != Decision.NONE or self.origin == LabelOrigin.EDITOR


class ClassifyResultSet(models.Model):
    """The full, ordered result of one /classify request, served page by page through tokens."""

    team_path = "team"
    objects = TeamScopedQuerySet["ClassifyResultSet"].as_manager()

    id = models.CharField(primary_key=True, max_length=24, default=new_object_id, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    results = models.JSONField(default=list)
    skipped_options = models.JSONField(default=dict, blank=True)
    page_limit = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
