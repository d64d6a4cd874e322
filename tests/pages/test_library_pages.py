"""The library, index and video pages through Django's test client, with really indexed videos."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from library.models import Task, TaskStatus
from tests.factories import MembershipFactory
from tests.pages.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_pages_require_a_login_and_the_login_page_signs_in(editor):
    client = Client()
    response = client.get("/indexes/abc/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/indexes/abc/"

    wrong = client.post("/login/", {"username": editor.user.username, "password": "nope"})
    assert wrong.status_code == 200
    assert "Please enter a correct username and password" in wrong.content.decode()

    right = client.post("/login/", {"username": editor.user.username, "password": PASSWORD, "next": "/"})
    assert (right.status_code, right["Location"]) == (302, "/")
    assert editor.team.name in client.get("/").content.decode()

    # Logging out is a POST (a GET must not log anyone out).
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/")["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_another_teams_indexes_videos_and_progress_are_not_found(
    editor, outsider, library_index, indexed, cooking_video
):
    video = indexed(library_index, cooking_video)
    own = logged_in(editor)
    assert own.get(f"/indexes/{library_index.id}/").status_code == 200
    assert own.get(f"/videos/{video.id}/").status_code == 200

    stranger = logged_in(outsider)
    home = stranger.get("/").content.decode()
    assert library_index.name not in home
    assert stranger.get(f"/indexes/{library_index.id}/").status_code == 404
    assert stranger.get(f"/videos/{video.id}/").status_code == 404
    assert stranger.get(f"/videos/{video.id}/captions.vtt").status_code == 404
    task = Task.objects.get(video=video)
    assert stranger.get(f"/indexes/{library_index.id}/progress.json?tasks={task.id}").status_code == 404


def test_the_index_page_shows_cards_and_filters_by_status_and_by_what_was_said_or_shown(
    editor, library_index, indexed, cooking_video, two_shot_video
):
    cooking = indexed(library_index, cooking_video)
    two_shots = indexed(library_index, two_shot_video)
    failed = Task.objects.create(
        index=library_index,
        filename="broken.mp4",
        status=TaskStatus.FAILED,
        error_code="video_file_broken",
        error_message="The file is damaged.",
    )
    client = logged_in(editor)

    page = client.get(f"/indexes/{library_index.id}/").content.decode()
    for video in (cooking, two_shots):
        card = re.search(rf'<li class="card status-ready" id="card-{video.id}".*?</li>', page, re.S).group(0)
        assert f'href="/videos/{video.id}/"' in card
        assert re.search(r'<img src="http://testserver/media/thumbnails/[^"]+\?e=\d+&amp;u=\d+&amp;s=[^"]+"', card)
        assert "0:08" in card if video == cooking else "0:06" in card
    assert "The file is damaged." in page and f"card-{failed.id}" in page

    def card_ids(**params: str) -> list[str]:
        body = client.get(f"/indexes/{library_index.id}/", params).content.decode()
        return re.findall(r'id="card-(\w+)"', body)

    assert card_ids(q="spaghetti") == [cooking.id]  # spoken
    assert card_ids(q="pasta night") == [cooking.id]  # on screen
    assert card_ids(q="two-shots") == [two_shots.id]  # file name
    assert card_ids(q="nothing like this") == []
    assert card_ids(status="failed") == [failed.id]
    assert sorted(card_ids(status="ready")) == sorted([cooking.id, two_shots.id])
    assert card_ids(status="processing") == []


def test_the_progress_endpoint_renders_the_cards_of_running_and_finished_uploads(
    editor, library_index, indexed, cooking_video
):
    video = indexed(library_index, cooking_video)
    done = Task.objects.get(video=video)
    running = Task.objects.create(
        index=library_index,
        filename="long.mp4",
        status=TaskStatus.INDEXING,
        stage="speech",
        progress=42.0,
        duration=120.0,
    )
    client = logged_in(editor)

    response = client.get(f"/indexes/{library_index.id}/progress.json", {"tasks": f"{done.id},{running.id},nope"})
    items = {item["task"]: item for item in response.json()["items"]}
    assert set(items) == {done.id, running.id}
    assert (items[done.id]["status"], items[done.id]["active"]) == ("ready", False)
    assert f'id="card-{video.id}"' in items[done.id]["html"]
    assert (items[running.id]["status"], items[running.id]["active"], items[running.id]["progress"]) == (
        "indexing",
        True,
        42.0,
    )
    assert 'aria-valuenow="42"' in items[running.id]["html"]
    assert "Transcribing speech" in items[running.id]["html"]
    assert f'data-task="{running.id}"' in items[running.id]["html"]


def test_viewers_read_but_get_no_upload_zone(editor, library_index):
    viewer = MembershipFactory(team=editor.team, role="viewer")
    assert "data-upload" not in logged_in(viewer).get(f"/indexes/{library_index.id}/").content.decode()
    assert "data-upload" in logged_in(editor).get(f"/indexes/{library_index.id}/").content.decode()


def test_the_video_page_lists_transcript_texts_and_shots_as_moments_to_seek(
    editor, library_index, indexed, cooking_video
):
    video = indexed(library_index, cooking_video)
    page = logged_in(editor).get(f"/videos/{video.id}/").content.decode()

    assert re.search(rf'<video id="player" data-player [^>]*src="http://testserver/media/{video.file.name}\?e=', page)
    line = video.transcript[0]
    assert "spaghetti" in line["value"].lower()
    assert f'data-seek="{line["start"]:.3f}" data-until="{line["end"]:.3f}"' in page
    text = next(text for text in video.texts if "PASTA" in text["value"].upper())
    assert f'data-seek="{text["start"]:.3f}"' in page
    # One button per shot, at the shot's start, with the thumbnail taken at that cut.
    shot_buttons = re.findall(r'<button type="button" class="shot" data-seek="([\d.]+)">\s*<img src="([^"]+)"', page)
    assert [float(start) for start, _ in shot_buttons] == pytest.approx([0.0, 4.0], abs=0.6)
    assert all("/media/thumbnails/" in src for _, src in shot_buttons)

    # The transcript is also the player's captions track.
    assert video.language == "en"
    assert f'<track kind="captions" src="/videos/{video.id}/captions.vtt" label="Transcript (en)" srclang="en">' in page
    captions = logged_in(editor).get(f"/videos/{video.id}/captions.vtt")
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    cues = re.findall(r"(\d\d):(\d\d):(\d\d\.\d{3}) --> \d\d:\d\d:\d\d\.\d{3}\n(.+)", captions.content.decode())
    assert captions.content.decode().startswith("WEBVTT\n\n")
    # Cues are cut at sentence ends (library/subtitles.py), each starting on a spoken word.
    word_starts = {round(float(start), 3) for line in video.transcript for start, _, _ in line["words"]}
    assert cues and all(round(float(s), 3) in word_starts for _, _, s, _ in cues)
    assert float(cues[0][2]) == pytest.approx(video.transcript[0]["words"][0][0], abs=0.001)
    import webvtt

    parsed = webvtt.from_string(captions.content.decode())
    assert (
        " ".join(c.text.replace("\n", " ") for c in parsed).split()
        == " ".join(line["value"] for line in video.transcript).split()
    )


def test_the_video_page_says_which_options_were_skipped_and_why(
    no_visual_model, editor, library_index, indexed, cooking_video
):
    video = indexed(library_index, cooking_video)
    page = logged_in(editor).get(f"/videos/{video.id}/").content.decode()
    assert video.skipped, "the test expects the engine to skip visual (no CLIP, concepts off)"
    for option, reason in video.skipped.items():
        assert re.search(rf"<dt>{option}</dt><dd>{re.escape(reason)}</dd>", page.replace("&#x27;", "'"))


def test_media_answers_range_requests_with_the_exact_bytes(editor, library_index, indexed, cooking_video):
    video = indexed(library_index, cooking_video)
    page = logged_in(editor).get(f"/videos/{video.id}/").content.decode()
    url = re.search(r'<video id="player"[^>]*src="http://testserver([^"]+)"', page).group(1).replace("&amp;", "&")
    data = cooking_video.read_bytes()

    anonymous = Client()  # the signature, not a session, grants access (as a browser's <video> fetches it)
    partial = anonymous.get(url, HTTP_RANGE="bytes=1000-1999")
    assert partial.status_code == 206
    assert partial["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    assert b"".join(partial.streaming_content) == data[1000:2000]
    tail = anonymous.get(url, HTTP_RANGE="bytes=-500")
    assert b"".join(tail.streaming_content) == data[-500:]
    assert anonymous.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    assert anonymous.get(url.split("?")[0]).status_code == 404  # unsigned
