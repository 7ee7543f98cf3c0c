"""What the end-to-end test modules share: one headless Chromium for the whole run (Playwright's
sync API allows one running instance per thread), one PostgreSQL cluster for the example apps'
runs (Plain's example needs it; its set-up is idempotent, so the runs share it), and each
example app with a receiver of its own (a module may narrow `example` to fewer apps).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from connect_integration.browser import CHROMIUM, CHROMIUM_ARGS
from connect_integration.examples import EXAMPLES, ExampleApp
from connect_integration.postgres import postgres_server
from connect_testkit.receiver import Receiver


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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def database_env(example: ExampleApp, request: pytest.FixtureRequest) -> dict[str, str]:
    """Plain's example needs PostgreSQL; the others use SQLite files (`example` is each
    module's own parametrised fixture)."""
    if example.name != "plain":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture(params=sorted(EXAMPLES), scope="module")
def example(request: pytest.FixtureRequest) -> ExampleApp:
    return EXAMPLES[request.param]


@pytest.fixture(scope="module")
def receiver(example: ExampleApp) -> Iterator[Receiver]:
    with Receiver() as running:
        yield running
