"""Which command each write endpoint and admin view or action runs, and a valid request for it.

The matrix test walks the URL conf and the admin registry and looks every write up
here: one without an entry fails the test, so a new endpoint or action needs a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from core.rules import Command
from library.commands import LibraryCommand
from search.commands import SearchCommand
from taxonomy.commands import TaxonomyCommand
from tests.permissions import rules_v13, rules_v13_search
from tests.permissions.world import Content, World
from tests.taxonomy.conftest import mini_iab_tsv

PUBLIC = "public"  # logging in and out: no team's data
NOBODY = "nobody"  # a view that is read-only for every role
OPERATOR = "operator"  # superusers only (Django's own model permissions)

OBJECT = "object"  # acts on team A's object: another team gets 404
OWN = "own"  # creates in the actor's own team: another team's owner may

Builder = Callable[[World, Content], tuple[dict[str, Any], dict[str, Any], str]]


@dataclass(frozen=True)
class Rule:
    command: str
    target: str
    request: Builder  # (url kwargs, body, format: "json" or "multipart")
    changes: bool = True  # an allowed attempt must change the database or the disk


def _json(kwargs: Callable[[Content], dict[str, Any]], body: Callable[[Content], dict[str, Any]]) -> Builder:
    return lambda world, c: (kwargs(c), body(c), "json")


def _multipart(kwargs: Callable[[Content], dict[str, Any]], body: Callable[[Content], dict[str, Any]]) -> Builder:
    return lambda world, c: (kwargs(c), body(c), "multipart")


def none(c: Content) -> dict[str, Any]:
    return {}


def index_kw(c: Content) -> dict[str, Any]:
    return {"index_id": c.index.id}


def video_kw(c: Content) -> dict[str, Any]:
    return {"index_id": c.index.id, "video_id": c.video.id}


ENGINES = [{"engine_name": "marengo2.6", "engine_options": ["conversation"]}]
CLASSES = [{"name": "Food", "prompts": ["cooking pasta"]}]
URL = "http://127.0.0.1:9/new.mp4"

# (URL name, method) -> rule. The /v1.2 and /v1.1 routes share their names.
API_RULES: dict[tuple[str, str], Rule] = {
    ("indexes", "POST"): Rule(
        LibraryCommand.INDEX_CREATE, OWN, _json(none, lambda c: {"index_name": "New", "engines": ENGINES})
    ),
    ("index", "PUT"): Rule(LibraryCommand.INDEX_RENAME, OBJECT, _json(index_kw, lambda c: {"index_name": "Renamed"})),
    ("index", "DELETE"): Rule(LibraryCommand.INDEX_DELETE, OBJECT, _json(index_kw, none)),
    ("video", "PUT"): Rule(LibraryCommand.VIDEO_UPDATE, OBJECT, _json(video_kw, lambda c: {"video_title": "Renamed"})),
    ("video", "DELETE"): Rule(LibraryCommand.VIDEO_DELETE, OBJECT, _json(video_kw, none)),
    ("tasks", "POST"): Rule(
        LibraryCommand.TASK_CREATE, OBJECT, _multipart(none, lambda c: {"index_id": c.index.id, "video_url": URL})
    ),
    ("task-external-provider", "POST"): Rule(
        LibraryCommand.TASK_CREATE, OBJECT, _json(none, lambda c: {"index_id": c.index.id, "url": URL})
    ),
    ("task", "DELETE"): Rule(LibraryCommand.TASK_DELETE, OBJECT, _json(lambda c: {"task_id": c.failed_task.id}, none)),
    ("search", "POST"): Rule(
        SearchCommand.SEARCH,
        OBJECT,
        _json(none, lambda c: {"index_id": c.index.id, "query": "pasta", "search_options": ["conversation"]}),
    ),
    ("search-combined", "POST"): Rule(
        SearchCommand.SEARCH,
        OBJECT,
        _json(
            none,
            lambda c: {
                "index_id": c.index.id,
                "query": {"$or": [{"text": "pasta"}]},
                "search_options": ["conversation"],
            },
        ),
    ),
    ("search-v2", "POST"): Rule(
        SearchCommand.SEARCH,
        OBJECT,
        _multipart(none, lambda c: {"index_id": c.index.id, "query_text": "pasta", "search_options": "conversation"}),
    ),
    ("classify", "POST"): Rule(
        TaxonomyCommand.CLASSIFY,
        OBJECT,
        _json(none, lambda c: {"video_ids": [c.video.id], "classes": CLASSES, "options": ["conversation"]}),
    ),
    ("classify-bulk", "POST"): Rule(
        TaxonomyCommand.CLASSIFY,
        OBJECT,
        _json(none, lambda c: {"index_id": c.index.id, "classes": CLASSES, "options": ["conversation"]}),
    ),
    ("gist", "POST"): Rule(
        LibraryCommand.GENERATE, OBJECT, _json(none, lambda c: {"video_id": c.video.id, "types": ["title"]})
    ),
    ("summarize", "POST"): Rule(
        LibraryCommand.GENERATE, OBJECT, _json(none, lambda c: {"video_id": c.video.id, "type": "summary"})
    ),
    ("generate", "POST"): Rule(
        LibraryCommand.GENERATE, OBJECT, _json(none, lambda c: {"video_id": c.video.id, "prompt": "What is cooked?"})
    ),
    # /api/v1/
    ("native-webhook-list", "POST"): Rule(
        LibraryCommand.WEBHOOK_MANAGE,
        OWN,
        _json(none, lambda c: {"url": "http://127.0.0.1:9/new", "events": ["index.task.ready"]}),
    ),
    ("native-webhook-detail", "PATCH"): Rule(
        LibraryCommand.WEBHOOK_MANAGE, OBJECT, _json(lambda c: {"pk": c.webhook.pk}, lambda c: {"active": False})
    ),
    ("native-webhook-detail", "DELETE"): Rule(
        LibraryCommand.WEBHOOK_MANAGE, OBJECT, _json(lambda c: {"pk": c.webhook.pk}, none)
    ),
    ("native-webhook-rotate-secret", "POST"): Rule(
        LibraryCommand.WEBHOOK_MANAGE, OBJECT, _json(lambda c: {"pk": c.webhook.pk}, none)
    ),
    ("native-webhook-send-test", "POST"): Rule(
        LibraryCommand.WEBHOOK_MANAGE, OBJECT, _json(lambda c: {"pk": c.webhook.pk}, none)
    ),
    ("native-index-list", "POST"): Rule(
        LibraryCommand.INDEX_CREATE, OWN, _json(none, lambda c: {"name": "New", "engines": ENGINES})
    ),
    ("native-video-reindex", "POST"): Rule(
        LibraryCommand.VIDEO_REINDEX, OBJECT, _json(lambda c: {"pk": c.video.id}, none)
    ),
    ("native-task-list", "POST"): Rule(
        LibraryCommand.TASK_CREATE, OBJECT, _json(none, lambda c: {"index": c.index.id, "video_url": URL})
    ),
    ("native-task-retry", "POST"): Rule(
        LibraryCommand.TASK_RETRY, OBJECT, _json(lambda c: {"pk": c.failed_task.id}, none)
    ),
    ("native-search", "POST"): Rule(
        SearchCommand.SEARCH,
        OBJECT,
        _json(none, lambda c: {"query": "pasta", "search_options": ["conversation"], "index_ids": [c.index.id]}),
    ),
    ("native-video-generations", "POST"): Rule(
        LibraryCommand.GENERATE, OBJECT, _json(lambda c: {"video_id": c.video.id}, lambda c: {"kind": "summary"})
    ),
    ("native-taxonomy-list", "POST"): Rule(
        TaxonomyCommand.TAXONOMY_CREATE, OWN, _json(none, lambda c: {"name": "Flat", "classes": CLASSES})
    ),
    ("native-taxonomy-import-iab", "POST"): Rule(
        TaxonomyCommand.TAXONOMY_IMPORT,
        OWN,
        _multipart(none, lambda c: {"file": SimpleUploadedFile("Content Taxonomy 3.1.tsv", mini_iab_tsv())}),
    ),
    ("native-taxonomy-node-detail", "PATCH"): Rule(
        TaxonomyCommand.TAXONOMY_EDIT,
        OBJECT,
        _json(lambda c: {"pk": c.node_active.id}, lambda c: {"prompts": ["noodles"]}),
    ),
    ("native-classification-run-list", "POST"): Rule(
        TaxonomyCommand.RUN_CREATE,
        OBJECT,
        _json(none, lambda c: {"taxonomy": c.taxonomy.id, "index": c.index.id, "options": ["conversation"]}),
    ),
    ("native-label-list", "POST"): Rule(
        TaxonomyCommand.LABEL_ADD, OBJECT, _json(none, lambda c: {"video": c.video.id, "node": c.node_free.id})
    ),
    ("native-label-confirm", "POST"): Rule(
        TaxonomyCommand.LABEL_CONFIRM, OBJECT, _json(lambda c: {"pk": c.label.id}, none)
    ),
    ("native-label-reject", "POST"): Rule(
        TaxonomyCommand.LABEL_REJECT, OBJECT, _json(lambda c: {"pk": c.label.id}, none)
    ),
    ("native-label-reset", "POST"): Rule(
        TaxonomyCommand.LABEL_RESET, OBJECT, _json(lambda c: {"pk": c.label.id}, none)
    ),
    # The pages.
    ("studio:video-generate", "POST"): Rule(
        LibraryCommand.GENERATE, OBJECT, lambda w, c: ({"video_id": c.video.id}, {"kind": "summary"}, "form")
    ),
    ("studio:login", "POST"): Rule(PUBLIC, OWN, lambda w, c: ({}, {}, "form"), changes=False),
    ("studio:login", "PUT"): Rule(PUBLIC, OWN, lambda w, c: ({}, {}, "form"), changes=False),
    ("studio:logout", "POST"): Rule(PUBLIC, OWN, lambda w, c: ({}, {}, "form"), changes=False),
}
API_RULES.update(rules_v13.rules(Rule, OBJECT, OWN))
API_RULES.update(rules_v13_search.rules(Rule, OBJECT, OWN))


# --- the admin ---------------------------------------------------------------------------------

# Admins guarded by Django's own model permissions: superusers only.
OPERATOR_MODELS = {
    "auth.user", "auth.group", "core.team",
    "django_q.schedule", "django_q.success", "django_q.failure", "django_q.ormq",
    # django-axes' login records: the operator's.
    "axes.accessattempt", "axes.accessfailurelog", "axes.accesslog",
}  # fmt: skip


@dataclass(frozen=True)
class AdminRule:
    command: str
    target: str
    data: Callable[[World, Content], dict[str, Any]]  # the form, or the action's extra fields
    obj: Callable[[World, Content], Any] | None = None  # the object changed, deleted or selected
    changes: bool = True


RUN_FORM = {
    "options": ["conversation"], "conversation_option": "semantic",
    "min_video_score": "50", "min_clip_score": "50", "min_duration_ratio": "0.5",
}  # fmt: skip
CONFIRM = {"post": "yes"}


def _action(command: str, obj: Callable[[World, Content], Any], changes: bool = True) -> AdminRule:
    return AdminRule(command, OBJECT, lambda w, c: {}, obj, changes)


def _delete_selected(command: str, obj: Callable[[World, Content], Any]) -> AdminRule:
    return AdminRule(command, OBJECT, lambda w, c: CONFIRM, obj)


# (model label, "add" | "change" | "delete" | action name | custom URL name) -> rule.
ADMIN_RULES: dict[tuple[str, str], AdminRule] = {
    ("library.index", "add"): AdminRule(
        LibraryCommand.INDEX_CREATE,
        OWN,
        lambda w, c: {"team": c.team.pk, "name": "New", "options": ["conversation"], "addons": '["thumbnail"]'},
    ),
    ("library.index", "change"): AdminRule(
        LibraryCommand.INDEX_RENAME, OBJECT, lambda w, c: {"name": "Renamed"}, lambda w, c: c.index
    ),
    ("library.index", "delete"): AdminRule(
        LibraryCommand.INDEX_DELETE, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.index
    ),
    ("library.index", "delete_selected"): _delete_selected(LibraryCommand.INDEX_DELETE, lambda w, c: c.index),
    ("library.index", "reindex_all"): _action(LibraryCommand.VIDEO_REINDEX, lambda w, c: c.index),
    ("library.index", "classify_whole_library"): _action(
        TaxonomyCommand.RUN_CREATE, lambda w, c: c.index, changes=False
    ),
    ("library.video", "add"): AdminRule(NOBODY, OWN, lambda w, c: {}),
    ("library.asset", "add"): AdminRule(NOBODY, OWN, lambda w, c: {}),
    ("library.asset", "change"): AdminRule(NOBODY, OBJECT, lambda w, c: {}, lambda w, c: rules_v13.admin_asset(w, c)),
    ("library.asset", "delete"): AdminRule(
        LibraryCommand.ASSET_DELETE, OBJECT, lambda w, c: CONFIRM, lambda w, c: rules_v13.admin_asset(w, c)
    ),
    ("library.asset", "delete_selected"): _delete_selected(
        LibraryCommand.ASSET_DELETE, lambda w, c: rules_v13.admin_asset(w, c)
    ),
    ("library.video", "change"): AdminRule(
        LibraryCommand.VIDEO_UPDATE, OBJECT, lambda w, c: {"title": "Renamed"}, lambda w, c: c.video
    ),
    ("library.video", "delete"): AdminRule(
        LibraryCommand.VIDEO_DELETE, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.video
    ),
    ("library.video", "delete_selected"): _delete_selected(LibraryCommand.VIDEO_DELETE, lambda w, c: c.video),
    ("library.video", "reindex"): _action(LibraryCommand.VIDEO_REINDEX, lambda w, c: c.video),
    ("library.video", "classify_selected_videos"): _action(
        TaxonomyCommand.RUN_CREATE, lambda w, c: c.video, changes=False
    ),
    ("library.video", "generate_title_hashtags_summary"): _action(LibraryCommand.GENERATE, lambda w, c: c.video),
    ("library.task", "add"): AdminRule(
        LibraryCommand.TASK_CREATE, OWN, lambda w, c: {"index": c.index.pk, "video_url": URL, "language": "en"}
    ),
    ("library.task", "change"): AdminRule(NOBODY, OBJECT, lambda w, c: {}, lambda w, c: c.failed_task),
    ("library.task", "delete"): AdminRule(
        LibraryCommand.TASK_DELETE, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.failed_task
    ),
    ("library.task", "delete_selected"): _delete_selected(LibraryCommand.TASK_DELETE, lambda w, c: c.failed_task),
    ("library.task", "retry_failed"): _action(LibraryCommand.TASK_RETRY, lambda w, c: c.failed_task),
    ("core.apikey", "add"): AdminRule(
        Command.API_KEY_CREATE,
        OWN,
        lambda w, c: {"team": c.team.pk, "user": c.team.memberships.first().user_id, "name": "k"},
    ),
    ("core.apikey", "change"): AdminRule(NOBODY, OBJECT, lambda w, c: {"name": "x"}, lambda w, c: w.spare_key),
    ("core.apikey", "delete"): AdminRule(NOBODY, OBJECT, lambda w, c: CONFIRM, lambda w, c: w.spare_key),
    ("core.apikey", "delete_selected"): _delete_selected(NOBODY, lambda w, c: w.spare_key),
    ("core.apikey", "revoke"): _action(Command.API_KEY_REVOKE, lambda w, c: w.spare_key),
    ("library.webhookendpoint", "add"): AdminRule(
        LibraryCommand.WEBHOOK_MANAGE,
        OWN,
        lambda w, c: {
            "team": c.team.pk,
            "url": "http://127.0.0.1:9/new",
            "events": ["index.task.ready"],
            "active": "on",
        },
    ),
    ("library.webhookendpoint", "change"): AdminRule(
        LibraryCommand.WEBHOOK_MANAGE,
        OBJECT,
        lambda w, c: {"team": c.team.pk, "url": "http://127.0.0.1:9/changed", "events": ["index.task.failed"]},
        lambda w, c: c.webhook,
    ),
    ("library.webhookendpoint", "delete"): AdminRule(
        LibraryCommand.WEBHOOK_MANAGE, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.webhook
    ),
    ("library.webhookendpoint", "delete_selected"): _delete_selected(
        LibraryCommand.WEBHOOK_MANAGE, lambda w, c: c.webhook
    ),
    ("library.webhookendpoint", "send_test_event"): _action(LibraryCommand.WEBHOOK_MANAGE, lambda w, c: c.webhook),
    ("library.webhookendpoint", "rotate_secret"): _action(LibraryCommand.WEBHOOK_MANAGE, lambda w, c: c.webhook),
    ("core.membership", "add"): AdminRule(
        Command.MEMBERSHIP_ADD, OWN, lambda w, c: {"team": c.team.pk, "username": w.outsider.username, "role": "viewer"}
    ),
    ("core.membership", "change"): AdminRule(
        Command.MEMBERSHIP_CHANGE, OBJECT, lambda w, c: {"role": "editor"}, lambda w, c: w.spare_membership
    ),
    ("core.membership", "delete"): AdminRule(
        Command.MEMBERSHIP_REMOVE, OBJECT, lambda w, c: CONFIRM, lambda w, c: w.spare_membership
    ),
    ("core.membership", "delete_selected"): _delete_selected(
        Command.MEMBERSHIP_REMOVE, lambda w, c: w.spare_membership
    ),
    ("taxonomy.taxonomy", "add"): AdminRule(
        TaxonomyCommand.TAXONOMY_CREATE, OWN, lambda w, c: {"team": c.team.pk, "name": "New", "description": ""}
    ),
    ("taxonomy.taxonomy", "change"): AdminRule(
        TaxonomyCommand.TAXONOMY_EDIT,
        OBJECT,
        lambda w, c: {"name": "Renamed", "description": "d"},
        lambda w, c: c.taxonomy,
    ),
    ("taxonomy.taxonomy", "delete"): AdminRule(
        TaxonomyCommand.TAXONOMY_DELETE, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.taxonomy
    ),
    ("taxonomy.taxonomy", "delete_selected"): _delete_selected(
        TaxonomyCommand.TAXONOMY_DELETE, lambda w, c: c.taxonomy
    ),
    ("taxonomy.taxonomy", "taxonomy_taxonomy_import"): AdminRule(
        TaxonomyCommand.TAXONOMY_IMPORT,
        OWN,
        lambda w, c: {
            "team": c.team.pk,
            "file": SimpleUploadedFile("Content Taxonomy 3.1.tsv", mini_iab_tsv()),
            "name": "",
        },
    ),
    ("taxonomy.taxonomynode", "add"): AdminRule(
        TaxonomyCommand.TAXONOMY_EDIT,
        OWN,
        lambda w, c: {"taxonomy": c.taxonomy.pk, "parent": "", "name": "New", "prompt_lines": "new", "active": "on"},
    ),
    ("taxonomy.taxonomynode", "change"): AdminRule(
        TaxonomyCommand.TAXONOMY_EDIT,
        OBJECT,
        lambda w, c: {"prompt_lines": "noodles", "active": "on"},
        lambda w, c: c.node_active,
    ),
    ("taxonomy.taxonomynode", "delete"): AdminRule(NOBODY, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.node_free),
    ("taxonomy.taxonomynode", "delete_selected"): _delete_selected(NOBODY, lambda w, c: c.node_free),
    ("taxonomy.taxonomynode", "activate"): _action(TaxonomyCommand.CLASS_ACTIVATE, lambda w, c: c.node_inactive),
    ("taxonomy.taxonomynode", "deactivate"): _action(TaxonomyCommand.CLASS_DEACTIVATE, lambda w, c: c.node_active),
    ("taxonomy.classificationrun", "add"): AdminRule(
        TaxonomyCommand.RUN_CREATE, OWN, lambda w, c: {"taxonomy": c.taxonomy.pk, "index": c.index.pk, **RUN_FORM}
    ),
    ("taxonomy.classificationrun", "taxonomy_classificationrun_start"): AdminRule(
        TaxonomyCommand.RUN_CREATE, OWN, lambda w, c: {"taxonomy": c.taxonomy.pk, "index": c.index.pk, **RUN_FORM}
    ),
    ("taxonomy.classificationrun", "change"): AdminRule(NOBODY, OBJECT, lambda w, c: {}, lambda w, c: c.run),
    ("taxonomy.classificationrun", "delete"): AdminRule(NOBODY, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.run),
    ("taxonomy.classificationrun", "delete_selected"): _delete_selected(NOBODY, lambda w, c: c.run),
    ("taxonomy.classificationrun", "run_again"): _action(TaxonomyCommand.RUN_CREATE, lambda w, c: c.run),
    ("taxonomy.videolabel", "add"): AdminRule(
        TaxonomyCommand.LABEL_ADD, OWN, lambda w, c: {"video": c.video.pk, "node": c.node_free.pk}
    ),
    ("taxonomy.videolabel", "change"): AdminRule(NOBODY, OBJECT, lambda w, c: {}, lambda w, c: c.label),
    ("taxonomy.videolabel", "delete"): AdminRule(NOBODY, OBJECT, lambda w, c: CONFIRM, lambda w, c: c.label),
    ("taxonomy.videolabel", "delete_selected"): _delete_selected(NOBODY, lambda w, c: c.label),
    ("taxonomy.videolabel", "confirm"): _action(TaxonomyCommand.LABEL_CONFIRM, lambda w, c: c.label),
    ("taxonomy.videolabel", "reject"): _action(TaxonomyCommand.LABEL_REJECT, lambda w, c: c.label),
    ("taxonomy.videolabel", "reset"): _action(TaxonomyCommand.LABEL_RESET, lambda w, c: c.label),
}
