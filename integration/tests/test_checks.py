"""`make test ARGS=...`: the user's pytest options reach both pytest runs and narrow both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from connect_integration.checks import Step, newest_release_node_ids, plan, run
from connect_integration.python313 import ENVIRONMENT_PYTHON

ROOT = Path(__file__).parents[2]
IDS = [
    "integration/tests/test_frameworks.py::test_x[fastapi]",
    "integration/tests/browser/test_end_to_end.py::test_y[fastapi]",
    "packages/connect-pageviews/tests/test_frameworks.py::test_z[django]",
]


def dry_run(*args: str) -> list[str]:
    result = subprocess.run(
        ["bash", "integration/bin/test", "--dry-run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def test_the_readme_example_selects_by_the_users_k_alone_in_both_runs() -> None:
    *_, first, newest = dry_run("-k", "sampling")
    assert first.split() == [".venv/bin/python", "-m", "pytest", "-k", "sampling"]
    words = newest.split()
    assert words[:3] == [".venv-plain/bin/python", "-m", "pytest"]
    assert words.count("-k") == 1 and words[3:5] == ["-k", "sampling"]
    chosen = words[5:]
    assert chosen and all(
        "[fastapi]" in i or "[django]" in i or "/test_django.py::" in i for i in chosen
    )
    assert any(i.startswith("'packages/connect-pageviews/") for i in chosen)


def test_every_check_is_in_the_plan_in_order() -> None:
    lines = dry_run("-x")
    assert [line.split(" --")[0] for line in lines[:2]] == ["uv run", "uv run"]
    assert "mypy" in lines[2] and "integration/testkit/src" in lines[2]
    assert lines[3] == "cd packages/connect-js && npm test --silent"
    assert lines[4] == ".venv/bin/python -m pytest -x"


def test_paths_given_narrow_the_newest_releases_run_to_the_tests_under_them() -> None:
    (*_, newest) = plan(["packages/connect-pageviews/tests/test_frameworks.py", "-x"], IDS)
    assert newest.argv[3:] == ["-x", IDS[2]]
    assert newest.may_select_nothing
    assert [s.title for s in plan(["packages/connect-otel/tests"], IDS)][-1] == "pytest"


def test_no_tests_is_a_failure_unless_the_users_options_chose_it() -> None:
    nothing = [sys.executable, "-c", "raise SystemExit(5)"]
    assert run([Step("unfiltered", nothing)]) == 5
    assert run([Step("filtered", nothing, may_select_nothing=True)]) == 0
    assert not plan(["-x", "--tb", "short"], IDS)[-1].may_select_nothing
    for narrowing in (["-k", "x"], ["-kx"], ["-m", "slow"], ["--deselect", "a::b"], ["--lf"]):
        assert plan(narrowing, IDS)[-1].may_select_nothing, narrowing


def test_a_real_run_of_one_test_passes_though_the_newest_releases_run_selects_none() -> None:
    ids = newest_release_node_ids(str(ENVIRONMENT_PYTHON))
    pytest_steps = [
        s
        for s in plan(["-k", "a_wrong_token_is_refused", "-p", "no:cacheprovider"], ids)
        if "pytest" in s.argv
    ]
    assert len(pytest_steps) == 2
    assert run(pytest_steps) == 0
