"""Headless Chromium (Debian's package, driven by Playwright's Python client) for the page tests.

One browser per test session; each test gets a fresh context (cookies, cache) whose
console errors, page errors and requests to any host but the live server are collected
and fail the test: the pages must work offline and without a console error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Into var/ by default, so a test run leaves the checkout clean; the README's screenshots are
# refreshed with FRAMEWISE_SCREENSHOTS=docs/screenshots.
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / os.environ.get("FRAMEWISE_SCREENSHOTS", "var/screenshots")
VIEWPORT = {"width": 1280, "height": 860}


@dataclass
class BrowserSession:
    """A browser context for one test, and what went wrong in it."""

    context: Any
    base_url: str
    problems: list[str] = field(default_factory=list)

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"page error on {page.url}: {error}"))
        return page

    def _console(self, page: Any, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error on {page.url}: {message.text}")

    def log_in(self, page: Any, username: str, password: str) -> None:
        page.goto(f"{self.base_url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{self.base_url}/")


def player_state(page: Any, player_id: str) -> dict[str, Any]:
    return page.evaluate(
        "(id) => { const v = document.getElementById(id); return {paused: v.paused, time: v.currentTime}; }", player_id
    )


def wait_until_near(page: Any, player_id: str, moment: float, tolerance: float = 0.5) -> None:
    """Wait until the player has finished seeking and stands within `tolerance` s of `moment`."""
    page.wait_for_function(
        "([id, moment, tolerance]) => { const v = document.getElementById(id);"
        " return !v.seeking && Math.abs(v.currentTime - moment) < tolerance; }",
        arg=[player_id, moment, tolerance],
    )


def assert_fits_a_phone(page: Any) -> None:
    """At a phone's width the page reflows: nothing sticks out sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} is {overflow}px wider than a 390px screen"
    finally:
        page.set_viewport_size(VIEWPORT)


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # From the top: the sticky bar would otherwise sit wherever the page was scrolled to.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """One browser for all page tests; closed when they are done, before other packages run."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread, so Django
    # would refuse ORM calls from the test body; nothing here is actually async.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(chromium: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[BrowserSession]:
    # Django's live server answers /media/ itself with its static view, which ignores
    # Range; a deployment routes /media/ to library.media.serve_media, so the tests do too.
    from django.test.testcases import _MediaFilesHandler

    monkeypatch.setattr(_MediaFilesHandler, "_should_handle", lambda self, path: False, raising=False)
    context = chromium.new_context(viewport=VIEWPORT, base_url=live_server.url)
    session = BrowserSession(context=context, base_url=live_server.url)
    own_host = urlsplit(live_server.url).netloc

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).netloc in (own_host, "") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            session.problems.append(f"external request: {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    yield session
    context.close()
    assert not session.problems, "\n".join(session.problems)
