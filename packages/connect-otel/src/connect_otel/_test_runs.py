"""Recognises a test run, where Connect exports nothing unless CONNECT_EXPORT_IN_TESTS is on:
exporting from tests costs the endpoint and puts test data into production dashboards.

A test run is:
- Plain's test runner, which sets PLAIN_TEST_RUNNING (the processes it starts inherit it);
- pytest running in this process (pytest-django, Plain's pytest plugin, Flask's and FastAPI's
  test clients under pytest);
- Django's `test` command (`manage.py test`, `django-admin test`, `python -m django test`).

A server that a test starts as a separate process is not a test run: it exports as it would in
production (that is how end-to-end tests of telemetry work). Such a process is a test run only
when PLAIN_TEST_RUNNING reaches it.
"""

from __future__ import annotations

import os
import sys

DJANGO_COMMANDS = frozenset({"manage.py", "django-admin", "django-admin.py", "__main__.py"})


def test_run() -> str | None:
    """What makes this process a test run, or None."""
    if os.environ.get("PLAIN_TEST_RUNNING"):
        return "PLAIN_TEST_RUNNING is set"
    if "_pytest" in sys.modules:
        return "running under pytest"
    argv = sys.argv
    if len(argv) > 1 and argv[1] == "test" and _is_django_command(argv[0]):
        return "running Django's test command"
    return None


def _is_django_command(program: str) -> bool:
    name = os.path.basename(program)
    if name == "__main__.py":
        return os.path.basename(os.path.dirname(program)) == "django"
    return name in DJANGO_COMMANDS
