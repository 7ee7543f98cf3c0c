"""Real headless Chromium (Debian's), real pages served over HTTP, beacons collected by the
local receiver on another port: a cross-origin endpoint, as in production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage

from connect_integration.browser import Site, Tab, serve_site
from connect_testkit.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context()
    yield fresh
    fresh.close()


@pytest.fixture
def tab(context: BrowserContext) -> Iterator[Tab]:
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"console {message.type}: {message.text}")

    page.on("console", on_console)
    yield Tab(page, problems)
    assert problems == [], "the beacon must never throw or log"
