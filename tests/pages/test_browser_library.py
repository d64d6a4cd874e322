"""The library in a real browser: log in, drop a video, watch it become ready, play its moments."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import pytest

from library import pipeline
from library.models import Video
from tests.pages.browser import BrowserSession, assert_fits_a_phone, player_state, screenshot, wait_until_near
from tests.pages.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP_FILE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "video/mp4" }));
  const zone = document.querySelector(".dropzone");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}"""

# Records every status a card shows, so the test sees the live progress, not just the end.
RECORD_STATUSES = """() => {
  window.seenStatuses = [];
  const record = () => document.querySelectorAll("#cards [data-status], #cards .pill").forEach((pill) => {
    const status = pill.getAttribute("data-status") || pill.textContent.trim().toLowerCase();
    if (window.seenStatuses[window.seenStatuses.length - 1] !== status) window.seenStatuses.push(status);
  });
  new MutationObserver(record).observe(document.getElementById("cards"), { childList: true, subtree: true });
}"""


@pytest.fixture
def held_indexing(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Holds indexing once it has reported some progress, until the test sets the event.

    A warm engine indexes a short clip within one poll interval; holding it makes the
    test see the live progress it is about, instead of depending on timing.
    """
    release = threading.Event()
    report = pipeline.ProgressReporter.__call__

    def report_then_hold(self: pipeline.ProgressReporter, stage: str, fraction: float) -> None:
        report(self, stage, fraction)
        if self.percentage > 0 and not release.is_set():
            self.write(stage)
            release.wait(timeout=120)

    monkeypatch.setattr(pipeline.ProgressReporter, "__call__", report_then_hold)
    return release


def test_an_editor_drops_a_video_and_watches_it_become_ready_without_a_reload(
    browser: BrowserSession, editor, library_index, worker, cooking_video: Path, held_indexing: threading.Event
):
    page = browser.new_page()
    page.goto("/login/")
    screenshot(page, "login")
    browser.log_in(page, editor.user.username, PASSWORD)
    assert_fits_a_phone(page)
    page.get_by_role("link", name=library_index.name).click()
    page.wait_for_url(f"**/indexes/{library_index.id}/")
    page.evaluate("window.notReloaded = true")
    page.evaluate(RECORD_STATUSES)

    page.evaluate(DROP_FILE, [base64.b64encode(cooking_video.read_bytes()).decode(), "cooking.mp4"])

    # Indexing, with some progress shown: the card was re-rendered while the page stayed.
    progress = page.locator('#cards .card.status-indexing [role=progressbar]:not([aria-valuenow="0"])')
    progress.wait_for(timeout=180_000)
    assert 0 < int(progress.get_attribute("aria-valuenow")) < 100
    held_indexing.set()
    ready = page.locator("#cards .card.status-ready", has_text="cooking.mp4")
    ready.wait_for(timeout=180_000)
    assert page.evaluate("window.notReloaded") is True
    statuses = page.evaluate("window.seenStatuses")
    assert statuses[0] == "uploading" and statuses[-2:] == ["indexing", "ready"], statuses
    video = Video.objects.get(index=library_index, filename="cooking.mp4")
    thumbnail = ready.locator("img")
    thumbnail.wait_for()
    # The card is swapped in by the poller; its picture then loads on its own schedule.
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert page.evaluate("(img) => img.naturalWidth", thumbnail.element_handle()) == 320
    assert ready.locator(".duration").inner_text().endswith("0:08")
    screenshot(page, "index")
    assert_fits_a_phone(page)

    ready.get_by_role("link", name="cooking.mp4").click()
    page.wait_for_url(f"**/videos/{video.id}/")
    player = page.locator("video#player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    # Seeking needs HTTP Range: without it Chromium reports nothing seekable.
    seekable = page.evaluate("(v) => [v.seekable.length, v.seekable.end(0), v.duration]", player.element_handle())
    assert seekable[0] == 1 and seekable[1] == pytest.approx(video.duration, abs=0.1)

    line = video.transcript[0]
    page.locator("[data-follow] button.line").first.click()
    wait_until_near(page, "player", line["start"])

    shot = video.shots[1]
    page.locator("button.shot").nth(1).click()
    wait_until_near(page, "player", shot["start"])
    page.evaluate("document.getElementById('player').pause()")
    assert player_state(page, "player")["time"] == pytest.approx(shot["start"], abs=0.5)
    assert_fits_a_phone(page)
