"""Every check of `make test`, in order: lint, types, the beacon's build and size, pytest in
.venv, then pytest again in the Python 3.13 environment for the releases that need it.

    python -m connect_integration.checks [--dry-run] [pytest options...]

The options go to both pytest runs. The second run names its tests by node id (FastAPI's
end-to-end tests, the tag under Django 6), so the user's own `-k`, `-m` or paths narrow it as
they narrow the first run. When they narrow it to nothing, that is not a failure; when nothing
of it is collected without them, it is. `--dry-run` prints the commands instead of running them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from connect_integration import python313

ROOT = python313.ROOT
NO_TESTS_COLLECTED = 5
# The newest releases that need Python 3.12+: FastAPI 0.165+ (which carries telemetry of its
# own) and Django 6 (whose own CSP nonce the tag must carry). Test file, then the parameter its
# tests run under there ("": every test of the file).
NEWEST_RELEASES = (
    ("integration/tests/test_frameworks.py", "fastapi"),
    ("integration/tests/browser/test_end_to_end.py", "fastapi"),
    ("packages/connect-pageviews/tests/test_frameworks.py", "django"),
    ("packages/connect-pageviews/tests/test_django.py", ""),
)
# pytest options that take the next argument as their value (when not given as --opt=value).
_WITH_VALUE = {
    "-k", "-m", "-p", "-c", "-o", "-W", "--deselect", "--ignore", "--ignore-glob", "--timeout",
    "--maxfail", "--tb", "--rootdir", "--basetemp", "--durations", "--confcutdir",
    "--import-mode", "--log-level", "--junit-xml", "--override-ini",
}  # fmt: skip
# Options that choose among the tests rather than say how to run them.
_FILTERS = {
    "-k", "-m", "--deselect", "--ignore", "--ignore-glob", "--lf", "--last-failed", "--sw",
    "--stepwise",
}  # fmt: skip


@dataclass(frozen=True)
class Step:
    title: str
    argv: list[str]
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    # A pytest run the user's options may narrow to no test at all.
    may_select_nothing: bool = False

    def command_line(self) -> str:
        line = shlex.join([f"{name}={value}" for name, value in self.env.items()] + self.argv)
        if self.cwd != ROOT:
            line = f"cd {shlex.quote(str(self.cwd.relative_to(ROOT)))} && {line}"
        return line


def split_pytest_args(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(options with their values, positional paths or node ids)."""
    options: list[str] = []
    positional: list[str] = []
    taking_value = False
    for arg in args:
        if taking_value:
            options.append(arg)
            taking_value = False
        elif arg.startswith("-"):
            options.append(arg)
            taking_value = arg in _WITH_VALUE
        else:
            positional.append(arg)
    return options, positional


def narrows(args: Sequence[str]) -> bool:
    """Whether the user's options choose among the tests (`-ksampling` included)."""
    options, positional = split_pytest_args(args)
    names = {option.split("=", 1)[0] for option in options if option.startswith("-")}
    names |= {option[:2] for option in options if re.match(r"-[km].", option)}
    return bool(positional or names & _FILTERS)


def newest_release_node_ids(python: str) -> list[str]:
    """The node ids of the tests that run under the newest releases, collected in the
    environment that has them."""
    files = sorted({path for path, _ in NEWEST_RELEASES})
    collected = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if collected.returncode != 0:
        raise SystemExit(f"collecting in {python} failed:\n{collected.stdout}{collected.stderr}")
    ids = []
    for line in collected.stdout.splitlines():
        for path, parameter in NEWEST_RELEASES:
            if line.startswith(f"{path}::") and (
                not parameter or re.search(rf"[\[-]{parameter}[\]-]", line)
            ):
                ids.append(line)
    if not ids:
        raise SystemExit(f"no test of {[p for _, p in NEWEST_RELEASES]} collected in {python}")
    return ids


def within(node_id: str, positional: Sequence[str]) -> bool:
    """Whether a node id lies under one of the paths or node ids the user named."""
    for chosen in positional:
        chosen = chosen.rstrip("/")
        if node_id == chosen or node_id.startswith((chosen + "/", chosen + "::", chosen + "[")):
            return True
    return False


def plan(pytest_args: Sequence[str], newest_ids: Sequence[str]) -> list[Step]:
    # Relative to the repository, where every step but npm's runs: readable in --dry-run.
    python = ".venv/bin/python"
    plain_python = str(python313.ENVIRONMENT_PYTHON.relative_to(ROOT))
    plain_env = {"UV_PROJECT_ENVIRONMENT": str(python313.ENVIRONMENT.relative_to(ROOT))}
    uv_run = ["uv", "run", "--frozen", "--no-sync"]
    plain_version = python313.environment_version()
    typed = ["packages/connect-config/src", "packages/connect-otel/src"]
    typed += ["packages/connect-pageviews/src"]
    typed += ["integration/testkit/src", "integration/src"]
    steps = [
        Step("ruff", [*uv_run, "ruff", "check", "."]),
        Step("ruff format", [*uv_run, "ruff", "format", "--check", "."]),
        Step(
            f"mypy --strict ({plain_version} environment: it has every framework installed)",
            [*uv_run, "mypy", *typed],
            env=plain_env,
        ),
        Step(
            "connect-js: type check, build reproducibility, size budget",
            ["npm", "test", "--silent"],
            cwd=ROOT / "packages/connect-js",
        ),
        Step("pytest", [python, "-m", "pytest", *pytest_args]),
    ]
    options, positional = split_pytest_args(pytest_args)
    ids = [i for i in newest_ids if within(i, positional)] if positional else list(newest_ids)
    if ids:
        steps.append(
            Step(
                f"pytest, {plain_version} environment (Plain): FastAPI 0.165+, Django 6",
                [plain_python, "-m", "pytest", *options, *ids],
                may_select_nothing=narrows(pytest_args),
            )
        )
    return steps


def run(steps: Sequence[Step]) -> int:
    for step in steps:
        print(f"\033[1m==> {step.title}\033[0m", file=sys.stderr, flush=True)
        code = subprocess.run(step.argv, cwd=step.cwd, env={**os.environ, **step.env}).returncode
        if code == NO_TESTS_COLLECTED and step.may_select_nothing:
            print("(the options given left no test of this run)", file=sys.stderr, flush=True)
            continue
        if code != 0:
            return code
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    dry_run = args[:1] == ["--dry-run"]
    pytest_args = args[1:] if dry_run else args
    steps = plan(pytest_args, newest_release_node_ids(str(python313.ENVIRONMENT_PYTHON)))
    if dry_run:
        for step in steps:
            print(step.command_line())
        return 0
    return run(steps)


if __name__ == "__main__":
    raise SystemExit(main())
