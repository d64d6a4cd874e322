"""Reviewing a labeled library in a real browser: search, classification results, taxonomy, a video.

Every clip control must land the player at the clip's start and pause it at its end;
bars must show the numbers the API returns; another team's editor must see none of it.
"""

from __future__ import annotations

from typing import Any

import pytest

from library.generation.services import generation_generate
from studio.generated import page_request
from tests.factories import SYSTEM
from tests.pages.browser import BrowserSession, assert_fits_a_phone, player_state, screenshot, wait_until_near
from tests.pages.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records what a player does from now on: where it seeks to, the positions it plays
# through (timeupdate) and where it pauses.
RECORD_PLAYBACK = """(id) => {
  const video = document.getElementById(id);
  const log = { seeking: [], times: [], paused: [] };
  video.addEventListener("seeking", () => log.seeking.push(video.currentTime));
  video.addEventListener("timeupdate", () => { if (!video.seeking) log.times.push(video.currentTime); });
  video.addEventListener("pause", () => log.paused.push(video.currentTime));
  window.playback = log;
}"""

BAR_PERCENT = "(bar) => bar.firstElementChild.getBoundingClientRect().width / bar.clientWidth * 100"


def play_and_check_clip(page: Any, control: Any, player_id: str) -> tuple[float, float]:
    """Click a clip control; assert the player starts at its start, plays, and pauses at its end."""
    start, end = float(control.get_attribute("data-seek")), float(control.get_attribute("data-end"))
    page.evaluate(RECORD_PLAYBACK, player_id)
    control.click()
    page.wait_for_function("() => window.playback.paused.length > 0", timeout=30_000)
    log = page.evaluate("window.playback")
    # Within a frame (25 fps): the position reported as the seek starts.
    assert log["seeking"][0] == pytest.approx(start, abs=0.04)
    played = [time for time in log["times"] if start < time < end]
    assert played, f"the player never played between {start} and {end}: {log}"
    # Stopped at the end: never played on past it (a busy test machine may report one
    # late timeupdate before the pause lands, hence the margin of a quarter second).
    assert max(log["times"]) <= end + 0.25
    assert log["paused"][0] == pytest.approx(end, abs=0.05)
    state = player_state(page, player_id)
    assert state["paused"] is True and state["time"] == pytest.approx(end, abs=0.05)
    return start, end


def test_an_editor_searches_reviews_classes_and_plays_each_clip_exactly(browser: BrowserSession, editor, labeled):
    cooking = labeled["cooking"]
    for kind in ("gist", "summary", "chapter"):
        generation_generate(actor=SYSTEM, video=cooking, request=page_request(kind))
    page = browser.new_page()
    browser.log_in(page, editor.user.username, PASSWORD)
    assert page.locator(".index-item .previews img").count() == 2
    screenshot(page, "library")

    # Search: every index at once; a result plays its moment in the preview player.
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Search for").fill("add the spaghetti")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=*")
    first = page.locator("a.result").first
    assert f"/videos/{cooking.id}/" in first.get_attribute("href")
    play_and_check_clip(page, first, "preview")
    assert "Playing cooking.mp4" in page.locator("[data-now-playing]").inner_text()
    screenshot(page, "search")
    assert_fits_a_phone(page)

    # Classification results: bars match the API's numbers; sample clips play exactly.
    page.get_by_role("link", name="Classification").click()
    results = page.locator("li.class-result")
    assert results.count() == 2
    for position in range(results.count()):
        result = results.nth(position)
        video_id = result.get_attribute("data-video")
        api = page.request.get(f"/api/v1/labels/?video={video_id}&page_size=100").json()["results"]
        expected = sorted(api, key=lambda label: -label["score"])[:3]
        rows = result.locator(".class-row")
        assert rows.count() == len(expected)
        for row_number, label in enumerate(expected):
            row = rows.nth(row_number)
            assert row.locator(".class-title").inner_text() == label["node"]["name"]
            score_bar = row.locator('[data-bar="score"]').element_handle()
            duration_bar = row.locator('[data-bar="duration"]').element_handle()
            assert page.evaluate(BAR_PERCENT, score_bar) == pytest.approx(label["score"], abs=0.5)
            assert page.evaluate(BAR_PERCENT, duration_bar) == pytest.approx(label["duration_ratio"] * 100, abs=0.5)
            assert row.locator(".bar-value").first.inner_text() == f"{label['score']:.2f}"
    cooking_result = page.locator(f"#result-{cooking.id}")
    play_and_check_clip(page, cooking_result.locator("button.clip").first, f"player-{cooking.id}")
    screenshot(page, "classification")
    assert_fits_a_phone(page)

    # Taxonomy: counts per node; a node lists the videos of its subtree.
    page.get_by_role("link", name="Taxonomies").click()
    page.get_by_role("link", name="Shows").click()
    page.get_by_role("link", name="Food", exact=True).click()
    listed = page.locator(".cards .card-title a")
    food_videos = {label_video for label_video in labeled["food_videos"]}
    assert {listed.nth(i).get_attribute("href").split("/")[2] for i in range(listed.count())} == food_videos
    screenshot(page, "taxonomy")
    assert_fits_a_phone(page)

    # The video page: a label's evidence clip plays exactly; a chapter seeks.
    page.goto(f"/videos/{cooking.id}/")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    play_and_check_clip(page, page.locator(".label-clips button.clip").first, "player")
    chapter = page.locator(".chapters button.line").last
    chapter.click()
    wait_until_near(page, "player", float(chapter.get_attribute("data-seek")))
    page.evaluate("document.getElementById('player').pause()")
    screenshot(page, "video")
    assert_fits_a_phone(page)


def test_another_teams_editor_sees_none_of_it(browser: BrowserSession, labeled, outsider):
    cooking = labeled["cooking"]
    page = browser.new_page()
    browser.log_in(page, outsider.user.username, PASSWORD)
    assert page.locator(".index-list").count() == 0
    assert cooking.index.name not in page.content()

    page.goto("/search/?q=add+the+spaghetti")
    assert page.locator("a.result").count() == 0
    page.goto("/classification/")
    assert page.locator("li.class-result").count() == 0
    page.goto("/taxonomies/")
    assert "Shows" not in page.locator("main").inner_text()
    for url in (f"/videos/{cooking.id}/", f"/indexes/{cooking.index_id}/", f"/taxonomies/{labeled['taxonomy'].id}/"):
        assert page.request.get(url).status == 404
