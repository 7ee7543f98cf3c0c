"""Runs a snippet of Python in a fresh interpreter, as an app process would start."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence

# Variables a developer's shell may carry that would leak into a test's process.
_OWN_PREFIXES = ("CONNECT_", "PLAIN_CONNECT_", "OTEL_")


def clean_environ(**extra: str) -> dict[str, str]:
    """The current environment without any Connect or OpenTelemetry setting, plus `extra`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    environ.update(extra)
    return environ


def run_python(
    code: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    args: Sequence[str] = (),
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Runs `code` (dedented) with `env` added to a clean environment; fails with its output."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=clean_environ(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result
