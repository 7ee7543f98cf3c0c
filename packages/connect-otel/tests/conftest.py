from __future__ import annotations

from collections.abc import Iterator

import pytest

from connect_testkit.receiver import Receiver

TOKEN = "test-token"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(token=TOKEN) as running:
        yield running


@pytest.fixture
def export_env(receiver: Receiver) -> dict[str, str]:
    """The environment that points connect-otel at the test's receiver."""
    return {"CONNECT_EXPORT_URL": receiver.url, "CONNECT_EXPORT_TOKEN": TOKEN}
