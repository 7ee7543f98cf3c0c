"""Test-run options shared by every test directory."""

from __future__ import annotations

import os

import pytest

# integration/bin/pytest-only narrows a run to the tests whose id contains this text, leaving
# -k free for the caller's own selection (pytest keeps only the last -k it is given).
ONLY = "CONNECT_TESTS_ONLY"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = os.environ.get(ONLY)
    if not wanted:
        return
    kept = [item for item in items if wanted in item.nodeid]
    dropped = [item for item in items if wanted not in item.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
