"""A small world for the permission matrix: team A (owner, editor, viewer, a removed member,
a revoked key) and team B (another owner), each with an index, a ready video with files on
disk, tasks, a taxonomy, labels and a run. No real video and no indexing: rows and a few
bytes are enough to decide who may do what.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core import accounts
from core.models import ApiKey, Membership, Role, Team
from library.models import Asset, AssetMethod, AssetStatus, Index, Task, TaskStatus, Thumbnail, Video
from library.models.webhooks import WebhookEndpoint
from taxonomy.models import ClassificationRun, RunStatus, Taxonomy, TaxonomyNode, VideoLabel
from tests.factories import SYSTEM, IndexFactory, TeamFactory, UserFactory

# The actors of the matrix. API surfaces use keys where a key exists; pages and the admin use sessions.
API_ACTORS = [
    "owner", "editor", "viewer", "viewer_session", "removed_key", "removed_session", "revoked_key", "other_owner",
]  # fmt: skip
SESSION_ACTORS = ["owner", "editor", "viewer", "removed_session", "other_owner"]
ROLE_OF = {"owner": Role.OWNER, "editor": Role.EDITOR, "viewer": Role.VIEWER, "viewer_session": Role.VIEWER}


@dataclass
class Content:
    """One team's things, created by the operator."""

    team: Team
    index: Index
    video: Video
    ready_task: Task
    failed_task: Task
    taxonomy: Taxonomy
    node_active: TaxonomyNode
    node_inactive: TaxonomyNode
    node_free: TaxonomyNode  # on no video yet: a label can be added with it
    label: VideoLabel
    run: ClassificationRun
    webhook: WebhookEndpoint


@dataclass
class World:
    a: Content
    b: Content
    users: dict[str, User]
    raw_keys: dict[str, str]
    spare_key: ApiKey  # a key of team A for "revoke"
    spare_membership: Membership  # a viewer of team A for "change role" and "remove"
    outsider: User  # in no team: the one to add
    extra: dict[str, Any] = field(default_factory=dict)

    def content_for(self, actor: str) -> Content:
        """The team a create request by `actor` goes to: their own."""
        return self.b if actor == "other_owner" else self.a


def _file(name: str, data: bytes) -> str:
    return default_storage.save(name, ContentFile(data))


def make_content(team: Team) -> Content:
    index = IndexFactory(team=team)
    video = Video(
        index=index, filename="pasta.mp4", title="Pasta", sha256=hashlib.sha256(team.name.encode()).hexdigest()
    )
    video.file.name = _file(f"videos/{index.id}/{video.id}.mp4", b"\x00\x00\x00\x18ftypmp42 not really a video")
    video.duration, video.fps, video.width, video.height, video.size = 8.0, 25.0, 640, 360, 40
    video.transcript = [{"start": 0.0, "end": 4.0, "value": "Cooking pasta today."}]
    video.indexed_at = timezone.now()
    video.save()
    Thumbnail.objects.create(video=video, time=0.0, image=_file(f"thumbnails/{video.id}/0.jpg", b"\xff\xd8\xff jpeg"))
    ready = Task.objects.create(
        index=index, video=video, filename="pasta.mp4", status=TaskStatus.READY, upload=video.file.name
    )
    failed = Task.objects.create(
        index=index,
        filename="broken.mp4",
        status=TaskStatus.FAILED,
        error_code="video_url_unreachable",
        source_url="http://127.0.0.1:9/broken.mp4",
        upload=_file(f"uploads/{index.id}/broken.mp4", b"broken"),
    )
    taxonomy = Taxonomy.objects.create(team=team, name="Topics")
    nodes = []
    for position, (name, active) in enumerate([("Food", True), ("Sport", False), ("Travel", True)]):
        node = TaxonomyNode(taxonomy=taxonomy, code=name.lower(), name=name, depth=1, position=position)
        node.active, node.prompts = active, [name.lower()]
        node.save()
        node.path, node.name_path = f"/{node.pk}/", name
        node.save()
        nodes.append(node)
    run = ClassificationRun.objects.create(
        team=team, taxonomy=taxonomy, index=index, options=["conversation"], status=RunStatus.SUCCEEDED
    )
    label = VideoLabel.objects.create(video=video, node=nodes[0], run=run, score=90.0, duration_ratio=0.8)
    webhook = WebhookEndpoint.objects.create(team=team, url="http://127.0.0.1:9/hook", events=["index.task.ready"])
    return Content(team, index, video, ready, failed, taxonomy, nodes[0], nodes[1], nodes[2], label, run, webhook)


def make_world() -> World:
    team_a, team_b = TeamFactory(name="Team A"), TeamFactory(name="Team B")
    users = {name: UserFactory(username=name) for name in ("owner", "editor", "viewer", "removed", "other_owner")}
    for name, role in (
        ("owner", Role.OWNER),
        ("editor", Role.EDITOR),
        ("viewer", Role.VIEWER),
        ("removed", Role.EDITOR),
    ):
        accounts.membership_set(actor=SYSTEM, team=team_a, user=users[name], role=role)
    accounts.membership_set(actor=SYSTEM, team=team_b, user=users["other_owner"], role=Role.OWNER)
    raw = {}
    for name in ("owner", "editor", "viewer", "removed"):
        raw[name] = accounts.api_key_create(actor=SYSTEM, team=team_a, user=users[name], name=name)[1]
    raw["other_owner"] = accounts.api_key_create(actor=SYSTEM, team=team_b, user=users["other_owner"])[1]
    revoked, raw["revoked"] = accounts.api_key_create(actor=SYSTEM, team=team_a, user=users["editor"], name="old")
    accounts.api_key_revoke(actor=SYSTEM, key=revoked)
    spare_key, _ = accounts.api_key_create(actor=SYSTEM, team=team_a, user=users["owner"], name="spare")
    # Removed after their key was made: the key must stop working, the session must lose the team.
    accounts.membership_remove(actor=SYSTEM, membership=Membership.objects.get(team=team_a, user=users["removed"]))
    spare_user = UserFactory(username="spare")
    spare = accounts.membership_set(actor=SYSTEM, team=team_a, user=spare_user, role=Role.VIEWER)
    world = World(
        a=make_content(team_a),
        b=make_content(team_b),
        users=users,
        raw_keys=raw,
        spare_key=spare_key,
        spare_membership=spare,
        outsider=UserFactory(username="outsider"),
    )
    # A v1.3 asset per team, for the admin's asset views (API rules make their own per request).
    world.extra["assets"] = {team.pk: make_asset(team) for team in (team_a, team_b)}
    return world


def make_asset(team: Team, **fields: Any) -> Asset:
    """A ready asset of `team` with a stored file of its own."""
    data = secrets.token_bytes(64)
    name = default_storage.save(f"assets/{team.pk}/matrix", ContentFile(data))
    return Asset.objects.create(
        team=team, method=AssetMethod.DIRECT, status=AssetStatus.READY, filename="matrix.mp4", file=name,
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), duration=10.0, fps=25.0, width=640, height=360,
        **fields,
    )  # fmt: skip


def client_for(world: World, actor: str) -> APIClient:
    """A client acting as `actor`: an API key, or a logged-in session."""
    client = APIClient()
    keys = {"owner": "owner", "editor": "editor", "viewer": "viewer", "removed_key": "removed",
            "revoked_key": "revoked", "other_owner": "other_owner"}  # fmt: skip
    sessions = {"viewer_session": "viewer", "removed_session": "removed"}
    if actor in keys:
        client.credentials(HTTP_X_API_KEY=world.raw_keys[keys[actor]])
    else:
        client.force_login(world.users[sessions[actor]])
    return client


def session_client_for(world: World, actor: str) -> APIClient:
    client = APIClient()
    client.force_login(world.users["removed" if actor == "removed_session" else actor])
    return client


# Bookkeeping that a request may write without changing anything anyone owns.
IGNORED_FIELDS = {"last_used_at", "last_login"}
# The API rate limiter counts every request, refused ones too.
IGNORED_MODELS = {"core.RateCounter"}
SNAPSHOT_APPS = ("core", "library", "taxonomy", "auth", "admin")


def snapshot(media_root: str) -> dict[str, Any]:
    """Row count and a hash of every row of the apps' tables, and the media folder's listing."""
    state: dict[str, Any] = {}
    # The pgvector rows exist on PostgreSQL with the extension only (migration library/0009).
    tables = set(connection.introspection.table_names())
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label in IGNORED_MODELS or model._meta.db_table not in tables:
                continue
            rows = sorted(
                repr(sorted((k, v) for k, v in row.items() if k not in IGNORED_FIELDS))
                for row in model._default_manager.values()
            )
            state[model._meta.label] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    root = Path(media_root)
    state["media"] = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return state


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [key for key in before if before[key] != after.get(key)]
