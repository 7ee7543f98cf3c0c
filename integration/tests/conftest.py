"""What every end-to-end test module shares: one headless Chromium for the whole run.

Playwright's sync API allows one running instance per thread, so the browser tests and the
real-app tests share this one instead of each starting their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from connect_integration.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing: run integration/bin/setup")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            # Playwright turns the back-forward cache off by default; the bfcache test needs it.
            ignore_default_args=["--disable-back-forward-cache"],
        )
        yield launched
        launched.close()
