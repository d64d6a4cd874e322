"""The permission matrix, generated from the URL conf and the admin registry.

Every write route under /v1.1, /v1.2, /api/v1 and the pages, and every registered
ModelAdmin's add, change and delete views, actions and extra URLs, is tried by every
actor: allowed exactly where core/rules.py says, else 403 (same team), 404 (another
team's object) or 401 (a key that is no longer valid); after a refused attempt the
database and the media folder are exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from core.models import Role
from core.rules import operator_commands, rule_table
from tests.permissions.rules_map import (
    ADMIN_RULES,
    API_RULES,
    NOBODY,
    OBJECT,
    OPERATOR,
    OPERATOR_MODELS,
    PUBLIC,
    AdminRule,
    Rule,
)
from tests.permissions.rules_v13 import SIGNED
from tests.permissions.world import (
    API_ACTORS,
    ROLE_OF,
    SESSION_ACTORS,
    World,
    changed,
    client_for,
    make_world,
    session_client_for,
    snapshot,
)

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
API_PREFIXES = ("v1.2/", "v1.1/", "v1.3/", "api/v1/")
STANDARD_ADMIN_URLS = ("changelist", "add", "history", "delete", "change")


# --- walking the URL conf ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    prefix: str  # "v1.2/", "v1.1/", "api/v1/" or "" (the pages)
    reverse_name: str  # namespaced, for reverse()
    name: str  # the key in API_RULES
    method: str


def _patterns(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _patterns(entry, prefix + str(entry.pattern), inner or "")
        else:
            yield prefix + str(entry.pattern), namespace, entry


def _dummy_kwargs(pattern: URLPattern) -> dict[str, str]:
    groups = getattr(pattern.pattern, "converters", None) or {}
    names = list(groups) or list(pattern.pattern.regex.groupindex)
    return {name: "1" for name in names if name != "format"}


def _write_methods(pattern: URLPattern, path: str) -> list[str]:
    view = pattern.callback
    actions = getattr(view, "actions", None)
    if actions is not None:  # a DRF viewset route
        return [method.upper() for method in actions if method.upper() in WRITE_METHODS]
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is not None and hasattr(cls, "http_method_names") and getattr(view, "cls", None) is not None:
        return [method for method in WRITE_METHODS if hasattr(cls, method.lower())]
    if cls is not None and hasattr(cls, "http_method_names"):
        # A Django class-based view says what it answers; asking it anonymously could run a
        # handler (logging out touches the database, which collection may not use).
        return [m for m in WRITE_METHODS if m.lower() in cls.http_method_names and hasattr(cls, m.lower())]
    # A Django view: ask it, anonymously. 405 is the only answer that means "no such write".
    client = Client()
    return [method for method in WRITE_METHODS if client.generic(method, path).status_code != 405]


def discover_routes() -> list[Route]:
    routes: dict[tuple[str, str, str], Route] = {}
    for raw, namespace, pattern in _patterns(get_resolver(), "", ""):
        if raw.startswith("admin/") or not pattern.name:
            continue
        prefix = next((p for p in API_PREFIXES if raw.startswith(p)), "")
        full_name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        try:
            path = reverse(full_name, kwargs=_dummy_kwargs(pattern))
        except Exception:
            path = "/" + raw.strip("^$")
        key_name = pattern.name if prefix else full_name
        for method in _write_methods(pattern, path):
            routes.setdefault((prefix, key_name, method), Route(prefix, full_name, key_name, method))
    return sorted(routes.values(), key=lambda r: (r.prefix, r.name, r.method))


# --- walking the admin registry ---------------------------------------------------------------


@dataclass(frozen=True)
class AdminEntry:
    model: str  # "library.index"
    what: str  # add / change / delete / an action / a custom URL name


def discover_admin() -> list[AdminEntry]:
    entries = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        names = ["add", "change", "delete"]
        names += [name for _, name, _ in model_admin._get_base_actions()]
        base = f"{model._meta.app_label}_{model._meta.model_name}_"
        names += [
            url.name
            for url in model_admin.get_urls()
            if url.name and url.name.removeprefix(base) not in STANDARD_ADMIN_URLS
        ]
        entries += [AdminEntry(label, name) for name in dict.fromkeys(names)]
    return sorted(entries, key=lambda e: (e.model, e.what))


ROUTES = discover_routes()
ADMIN_ENTRIES = discover_admin()


def test_every_write_has_a_rule() -> None:
    """A new endpoint, admin view or action fails here until it is given a command."""
    unmapped = [f"{r.method} {r.prefix}{r.name}" for r in ROUTES if (r.name, r.method) not in API_RULES]
    unmapped += [
        f"admin {e.model} {e.what}"
        for e in ADMIN_ENTRIES
        if e.model not in OPERATOR_MODELS and (e.model, e.what) not in ADMIN_RULES
    ]
    assert not unmapped, "writes without a rule in tests/permissions/rules_map.py: " + ", ".join(unmapped)
    # And no stale rule: every mapped write still exists.
    assert {(r.name, r.method) for r in ROUTES} == set(API_RULES)
    assert {(e.model, e.what) for e in ADMIN_ENTRIES if e.model not in OPERATOR_MODELS} == set(ADMIN_RULES)
    # Every command of the table is reachable from some surface, or is the operator's.
    reached = {rule.command for rule in [*API_RULES.values(), *ADMIN_RULES.values()]}
    missing = {c for rules in rule_table().values() for c in rules} - reached - operator_commands()
    assert missing <= {"classification_run.cancel", "webhook.manage"}, missing  # no surface yet


# --- what each actor must get -----------------------------------------------------------------


def expected(command: str, target: str, actor: str, *, admin_site: bool = False) -> int | str:
    """'allowed', or the status of the refusal."""
    if command == SIGNED:  # a signed URL (v1.3 multipart chunks) is its own authorisation
        return "allowed"
    if actor in ("removed_key", "revoked_key"):
        return 401
    if command == PUBLIC:
        return "allowed"
    if command in (NOBODY, OPERATOR) or command in operator_commands():
        return 403
    if actor == "removed_session":
        # No team left: the admin refuses them as a whole; elsewhere team A's ids no longer exist.
        return 403 if admin_site or target != OBJECT else 404
    if actor == "other_owner":
        return 404 if target == OBJECT else "allowed"
    return "allowed" if command in rule_table()[ROLE_OF[actor]] else 403


def _assert_outcome(
    response: Any, want: int | str, rule_command: str, changes: bool, before: dict[str, Any], after: dict[str, Any]
) -> None:
    body = getattr(response, "content", b"")[:300]
    if want == "allowed":
        assert response.status_code < 400, (response.status_code, body)
        if changes and rule_command not in rule_table()["viewer"] and rule_command != PUBLIC:
            assert changed(before, after), "an allowed write changed nothing"
        return
    assert response.status_code == want, (response.status_code, body)
    assert not changed(before, after), f"a refused write changed {changed(before, after)}"


@pytest.fixture
def world(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    # Eight users per case: a slow password hash would be most of the matrix's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No worker: enqueueing is recorded, never run.
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)  # every job kind enqueues there
    # URL tasks and webhook endpoints name a loopback address that nobody fetches (no worker runs).
    settings.FRAMEWISE_OUTBOUND_ALLOW = settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]
    _fake_generation(monkeypatch)
    return make_world()


class _FakeGenerator:
    label = "matrix"


def _fake_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generation's permission is what is tested, not the generator: answer instantly."""
    monkeypatch.setattr("library.generation.services.get_generator", lambda: _FakeGenerator())
    monkeypatch.setattr("library.generation.jobs.get_generator", lambda: _FakeGenerator())
    monkeypatch.setattr(
        "library.generation.services.produce", lambda generator, context, request: ("A text.", {"data": "A text."})
    )
    monkeypatch.setattr("library.generation.services.video_context", lambda video: None)


API_CASES = [
    pytest.param(route, actor, id=f"{route.method} {route.prefix}{route.name} as {actor}")
    for route in ROUTES
    for actor in (API_ACTORS if route.prefix else SESSION_ACTORS)
]


@pytest.mark.parametrize(("route", "actor"), API_CASES)
def test_api_and_page_writes(
    world: World, route: Route, actor: str, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rule: Rule = API_RULES[(route.name, route.method)]
    content = world.content_for(actor) if rule.target != OBJECT else world.a
    kwargs, data, fmt = rule.request(world, content)
    client = client_for(world, actor) if route.prefix else session_client_for(world, actor)
    path = reverse(route.reverse_name, kwargs=kwargs)
    before = snapshot(settings.MEDIA_ROOT)
    with django_capture_on_commit_callbacks(execute=True):
        if fmt == "json":
            response = client.generic(route.method, path, data=_json(data), content_type="application/json")
        else:
            response = getattr(client, route.method.lower())(
                path, data=data, format="multipart" if fmt == "multipart" else None
            )
    after = snapshot(settings.MEDIA_ROOT)
    want = expected(rule.command, rule.target, actor)
    _assert_outcome(response, want, rule.command, rule.changes, before, after)
    if want != "allowed" and route.prefix.startswith("v1"):
        assert set(response.json()) == {"code", "message"}
        assert response.json()["code"] == {401: "api_key_invalid", 403: "forbidden", 404: "resource_not_exist"}[want]


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data)


ADMIN_CASES = [
    pytest.param(entry, actor, id=f"admin {entry.model} {entry.what} as {actor}")
    for entry in ADMIN_ENTRIES
    for actor in SESSION_ACTORS
]


def _admin_request(client: Client, entry: AdminEntry, rule: AdminRule, world: World, content: Any) -> Any:
    app_label, model_name = entry.model.split(".")
    base = f"admin:{app_label}_{model_name}_"
    data = rule.data(world, content)
    obj = rule.obj(world, content) if rule.obj else None
    if entry.what == "add":
        return client.post(reverse(base + "add"), data)
    if entry.what == "change":
        url = reverse(base + "change", args=[obj.pk])
        return client.post(url, {**_inline_fields(client, url), **data})
    if entry.what == "delete":
        return client.post(reverse(base + "delete", args=[obj.pk]), data)
    if entry.what.startswith(f"{app_label}_{model_name}_"):  # an extra URL of the admin
        try:
            url = reverse(f"admin:{entry.what}")
        except NoReverseMatch:
            url = reverse(f"admin:{entry.what}", args=[obj.pk])
        return client.post(url, data)
    action = {"action": entry.what, ACTION_CHECKBOX_NAME: [obj.pk], "index": 0, **data}
    return client.post(reverse(base + "changelist"), action)


OPERATOR_OBJECT = "1"


def _inline_fields(client: Client, url: str) -> dict[str, Any]:
    """What the change page's inline formsets post back (management forms, hidden ids), as a browser would."""
    page = client.get(url)
    fields: dict[str, Any] = {}
    if page.status_code != 200 or not page.context:
        return fields
    for inline in page.context.get("inline_admin_formsets", []):
        formset = inline.formset
        management = formset.management_form
        fields.update({management.add_prefix(name): value for name, value in management.initial.items()})
        for form in formset.forms:
            fields.update({field.html_name: field.value() or "" for field in form.hidden_fields()})
    return fields


@pytest.mark.parametrize(("entry", "actor"), ADMIN_CASES)
def test_admin_writes(
    world: World, entry: AdminEntry, actor: str, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = session_client_for(world, actor)
    if entry.model in OPERATOR_MODELS:
        rule = AdminRule(OPERATOR, OBJECT, lambda w, c: {"post": "yes"}, lambda w, c: _Pk(OPERATOR_OBJECT))
    else:
        rule = ADMIN_RULES[(entry.model, entry.what)]
    content = world.content_for(actor) if rule.target != OBJECT else world.a
    before = snapshot(settings.MEDIA_ROOT)
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_request(client, entry, rule, world, content)
    after = snapshot(settings.MEDIA_ROOT)
    want = expected(rule.command, rule.target, actor, admin_site=True)
    if want == "allowed":
        # Admin forms answer 200 with errors when they refuse input: a real success redirects.
        assert response.status_code == 302, (response.status_code, _form_errors(response))
    _assert_outcome(response, want, rule.command, rule.changes, before, after)


@dataclass(frozen=True)
class _Pk:
    pk: str


def _form_errors(response: Any) -> Any:
    context = getattr(response, "context", None) or {}
    form = context.get("adminform") or context.get("form")
    return getattr(getattr(form, "form", form), "errors", None)


def test_matrix_size() -> None:
    """Printed for the closing note: `pytest -s` shows it."""
    print(
        f"\npermission matrix: {len(API_CASES)} API/page cases ({len(ROUTES)} writes), "
        f"{len(ADMIN_CASES)} admin cases ({len(ADMIN_ENTRIES)} views and actions)"
    )
    assert Role.values == ["owner", "editor", "viewer"]
