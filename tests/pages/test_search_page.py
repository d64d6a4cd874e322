"""The search page over every index of the user's teams, with really indexed videos."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import IndexFactory

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def result_links(page: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'(data-[a-z]+)="([^"]*)"', tag)) | {"href": re.search(r'href="([^"]+)"', tag).group(1)}
        for tag in re.findall(r'<a class="result"[^>]*>', page, re.S)
    ]


def test_one_search_covers_every_index_of_the_team_and_links_each_moment(
    editor, outsider, library_index, indexed, cooking_video, two_shot_video
):
    cooking = indexed(library_index, cooking_video)
    second_index = IndexFactory(team=editor.team, name="Second")
    two_shots = indexed(second_index, two_shot_video)
    stranger_index = IndexFactory(team=outsider.team)
    indexed(stranger_index, cooking_video)

    page = logged_in(editor).get("/search/", {"q": "add the spaghetti", "options": ["conversation"]}).content.decode()
    links = result_links(page)
    assert links, page
    first = links[0]
    assert first["href"].startswith(f"/videos/{cooking.id}/?t=")
    spoken = cooking.transcript[0]
    assert float(first["data-seek"]) <= spoken["start"] + 0.5
    assert float(first["data-end"]) >= spoken["start"] + 1
    assert f"/media/{cooking.file.name}?" in first["data-src"]
    assert "/media/thumbnails/" in first["data-poster"]
    # Both of the team's indexes are searched, the stranger's copy of the same file never.
    own = {f"/videos/{cooking.id}/", f"/videos/{two_shots.id}/"}
    assert {link["href"].split("?")[0] for link in links} <= own

    # Text on screen in the other index: the same search box finds it there.
    shown = result_links(
        logged_in(editor).get("/search/", {"q": "HELLO FRAMEWISE", "options": ["text_in_video"]}).content.decode()
    )
    assert shown and shown[0]["href"].startswith(f"/videos/{two_shots.id}/")

    # The stranger's search sees only their own copy.
    theirs = result_links(
        logged_in(outsider).get("/search/", {"q": "add the spaghetti", "options": ["conversation"]}).content.decode()
    )
    assert theirs and not {link["href"].split("?")[0] for link in theirs} & own


def test_a_search_explains_what_it_cannot_do(no_visual_model, editor, library_index, indexed, cooking_video):
    indexed(library_index, cooking_video)
    client = logged_in(editor)
    visual_only = client.get("/search/", {"q": "a red screen", "options": ["visual"]}).content.decode()
    assert 'role="alert"' in visual_only and "visual" in visual_only
    unknown_index = client.get("/search/", {"q": "pasta", "index": "not-mine"}).content.decode()
    assert 'role="alert"' in unknown_index
    first_visit = client.get("/search/").content.decode()
    assert first_visit.count("checked") == 4 and 'role="alert"' not in first_visit
