"""The test command's narrowed runs: the README's `make test ARGS="-k sampling"` must work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
FRAMEWORKS = "integration/tests/test_frameworks.py"


def pytest_only(match: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["integration/bin/pytest-only", sys.executable, match, FRAMEWORKS, "--", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def collected(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith(FRAMEWORKS + "::")]


def test_the_narrowed_run_keeps_only_its_match() -> None:
    result = pytest_only("fastapi", "--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = collected(result)
    assert ids and all("fastapi" in test_id for test_id in ids)


def test_the_callers_own_k_applies_on_top_and_selecting_nothing_is_fine() -> None:
    narrowed = pytest_only("fastapi", "--collect-only", "-q", "-k", "route")
    assert narrowed.returncode == 0
    ids = collected(narrowed)
    assert ids and all("fastapi" in i and "route" in i for i in ids)
    nothing = pytest_only("fastapi", "--collect-only", "-q", "-k", "sampling")
    assert nothing.returncode == 0, nothing.stdout + nothing.stderr
    assert collected(nothing) == []


def test_a_selection_that_matches_nothing_by_itself_fails() -> None:
    assert pytest_only("no-such-framework").returncode == 5
