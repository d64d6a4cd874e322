"""Generated title, hashtags, summary and chapters on the video page, from the real local generator."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from library.models import GeneratedText
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_an_editor_generates_texts_and_the_page_shows_them_with_seekable_chapters(
    editor, library_index, indexed, cooking_video
):
    video = indexed(library_index, cooking_video)
    client = logged_in(editor)
    before = client.get(f"/videos/{video.id}/").content.decode()
    assert "Nothing generated yet." in before and "Generate title and hashtags" in before

    for kind in ("gist", "summary", "chapter"):
        response = client.post(f"/videos/{video.id}/generate/", {"kind": kind})
        assert response.status_code == 302 and response["Location"] == f"/videos/{video.id}/#generated-heading"

    page = html.unescape(client.get(f"/videos/{video.id}/").content.decode())
    assert "Generated the chapters." in page
    stored = {
        row["kind"]: row["data"] for row in client.get(f"/api/v1/videos/{video.id}/generations/").json()["results"]
    }
    assert stored["gist"]["title"] and stored["gist"]["title"] in page
    for tag in stored["gist"]["hashtags"]:
        assert f"#{tag.lstrip('#')}" in page
    assert stored["summary"]["summary"] in page
    chapters = stored["chapter"]["chapters"]
    shown = re.findall(
        r'<button type="button" class="line" data-seek="([\d.]+)"><time>[^<]+</time> <span><strong>'
        r"([^<]+)</strong>",
        page,
    )
    assert [(float(start), title) for start, title in shown] == [
        (pytest.approx(chapter["start"], abs=0.001), chapter["chapter_title"]) for chapter in chapters
    ]
    assert "Regenerate summary" in page

    again = client.post(f"/videos/{video.id}/generate/", {"kind": "summary", "regenerate": "1"})
    assert again.status_code == 302
    assert GeneratedText.objects.filter(video=video, kind="summary").count() == 1  # rewritten, not duplicated


def test_viewers_and_strangers_cannot_generate(editor, outsider, library_index, indexed, cooking_video):
    video = indexed(library_index, cooking_video)
    viewer = MembershipFactory(team=editor.team, role="viewer")
    viewer_client = logged_in(viewer)
    assert "Generate title and hashtags" not in viewer_client.get(f"/videos/{video.id}/").content.decode()
    assert viewer_client.post(f"/videos/{video.id}/generate/", {"kind": "gist"}).status_code == 403
    assert logged_in(outsider).post(f"/videos/{video.id}/generate/", {"kind": "gist"}).status_code == 404
    assert not GeneratedText.objects.filter(video=video).exists()

    unknown = logged_in(editor).post(f"/videos/{video.id}/generate/", {"kind": "poem"}, follow=True)
    assert "Choose what to generate" in unknown.content.decode()
