"""The rule table itself, and the behaviours around it the matrix cannot see in one request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from core import accounts
from core.models import Membership, Role
from core.rules import Actor, Command, check, rule_table
from library.commands import LibraryCommand
from library.models import Video
from search.commands import SearchCommand
from taxonomy.commands import TaxonomyCommand
from tests.factories import SYSTEM
from tests.permissions.world import World, client_for, make_world


@pytest.fixture
def world(db: None, settings: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr("core.jobs.async_task", lambda *args, **kwargs: None)  # every job kind enqueues there
    # URL tasks and webhook endpoints name a loopback address that nobody fetches (no worker runs).
    settings.FRAMEWISE_OUTBOUND_ALLOW = settings.FRAMEWISE_WEBHOOK_ALLOW = ["127.0.0.0/8"]
    return make_world()


def test_the_table_says_viewers_read_editors_change_owners_administer() -> None:
    assert rule_table()[Role.VIEWER] == {SearchCommand.SEARCH, TaxonomyCommand.CLASSIFY}
    assert (
        LibraryCommand.INDEX_DELETE in rule_table()[Role.EDITOR]
        and TaxonomyCommand.LABEL_CONFIRM in rule_table()[Role.EDITOR]
    )
    team_commands = {
        Command.API_KEY_CREATE,
        Command.API_KEY_REVOKE,
        Command.MEMBERSHIP_ADD,
        LibraryCommand.WEBHOOK_MANAGE,
    }
    assert not team_commands & rule_table()[Role.EDITOR]
    assert rule_table()[Role.OWNER] == rule_table()[Role.EDITOR] | team_commands | {
        Command.MEMBERSHIP_CHANGE, Command.MEMBERSHIP_REMOVE,
    }  # fmt: skip
    assert Command.TEAM_CREATE not in rule_table()[Role.OWNER]


def test_a_demoted_owners_key_loses_the_rights_on_its_next_request(world: World) -> None:
    owner = client_for(world, "owner")
    assert owner.put(f"/v1.2/indexes/{world.a.index.id}", {"index_name": "Mine"}, format="json").status_code == 204
    accounts.membership_change(actor=SYSTEM, membership=world.spare_membership, role=Role.OWNER)  # a team keeps one
    membership = Membership.objects.get(team=world.a.team, user=world.users["owner"])
    accounts.membership_change(actor=SYSTEM, membership=membership, role=Role.VIEWER)
    response = owner.delete(f"/v1.2/indexes/{world.a.index.id}")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert owner.get(f"/v1.2/indexes/{world.a.index.id}").status_code == 200  # still a viewer


def test_a_removed_members_key_is_invalid_and_an_inactive_users_too(world: World) -> None:
    editor = client_for(world, "editor")
    assert editor.get("/v1.2/indexes").status_code == 200
    accounts.membership_remove(
        actor=SYSTEM, membership=Membership.objects.get(team=world.a.team, user=world.users["editor"])
    )
    response = editor.get("/v1.2/indexes")
    assert (response.status_code, response.json()["code"]) == (401, "api_key_invalid")
    world.users["viewer"].is_active = False
    world.users["viewer"].save()
    assert client_for(world, "viewer").get("/v1.2/indexes").status_code == 401


def test_a_team_keeps_an_owner(world: World) -> None:
    owner = Membership.objects.get(team=world.a.team, user=world.users["owner"])
    with pytest.raises(Exception, match="at least one owner"):
        accounts.membership_remove(actor=SYSTEM, membership=owner)


def test_keys_are_minted_by_owners_only_and_act_with_their_users_role(world: World) -> None:
    viewer = Actor.for_session(world.users["viewer"])
    with pytest.raises(Exception, match="viewer"):
        accounts.api_key_create(actor=viewer, team=world.a.team, user=world.users["viewer"])
    owner = Actor.for_session(world.users["owner"])
    _, raw = accounts.api_key_create(actor=owner, team=world.a.team, user=world.users["viewer"])
    client = Client(HTTP_X_API_KEY=raw)
    assert client.delete(f"/v1.2/indexes/{world.a.index.id}").status_code == 403


def test_superusers_are_owners_everywhere_by_session_but_not_by_key(world: World) -> None:
    root = world.users["other_owner"]
    root.is_superuser = True
    root.save()
    check(Actor.for_session(root), LibraryCommand.INDEX_DELETE, world.a.team)  # no error
    key_actor = Actor.for_api_key(world.spare_key, Role.VIEWER)
    with pytest.raises(Exception, match="viewer"):
        check(key_actor, LibraryCommand.INDEX_DELETE, world.a.team)


def test_admin_filters_and_choices_show_only_the_users_teams(world: World, client: Client) -> None:
    client.force_login(world.users["owner"])
    for url in ("/admin/library/index/", "/admin/library/video/", "/admin/taxonomy/videolabel/",
                "/admin/taxonomy/taxonomy/", "/admin/library/task/", "/admin/core/apikey/add/",
                "/admin/library/index/add/", "/admin/taxonomy/classificationrun/start/"):  # fmt: skip
        page = client.get(url).content.decode()
        assert "Team B" not in page and world.b.index.id not in page, url
    assert "other_owner" not in client.get("/admin/core/apikey/add/").content.decode()
    # The label filter of another team's node finds nothing rather than that team's labels.
    page = client.get(f"/admin/library/video/?label={world.b.node_active.pk}").content.decode()
    assert world.a.video.filename not in page
    assert (
        world.a.video.filename in client.get(f"/admin/library/video/?label={world.a.node_active.pk}").content.decode()
    )


def test_a_taxonomy_cannot_move_to_another_team(world: World, client: Client) -> None:
    root = world.users["owner"]
    accounts.membership_set(actor=SYSTEM, team=world.b.team, user=root, role=Role.OWNER)
    client.force_login(root)
    url = f"/admin/taxonomy/taxonomy/{world.a.taxonomy.pk}/change/"
    response = client.post(url, {"team": world.b.team.pk, "name": "Moved", "description": ""})
    assert response.status_code == 302
    world.a.taxonomy.refresh_from_db()
    assert (world.a.taxonomy.team_id, world.a.taxonomy.name) == (world.a.team.pk, "Moved")


def test_an_admin_delete_removes_the_files_and_the_signed_urls_stop_working(
    world: World, client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from library.media import media_url

    video = world.a.video
    stored = Path(settings.MEDIA_ROOT) / video.file.name
    signed = media_url(video.file.name, user=world.users["viewer"])  # as a member received it
    assert stored.exists() and client.get(signed).status_code == 200
    version = video.index.content_version
    client.force_login(world.users["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/library/video/{video.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Video.objects.filter(pk=video.pk).exists() and not stored.exists()
    assert client.get(signed).status_code == 404
    video.index.refresh_from_db()
    assert video.index.content_version == version + 1  # cached search matrices of the index are stale now
