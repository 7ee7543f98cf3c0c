"""The framework settings `connect-otel check` reads: the same `CONNECT_*` settings the app reads.

Django's come from `DJANGO_SETTINGS_MODULE`, Plain's from `app/settings.py` under the current
directory (or `PLAIN_SETTINGS_MODULE`), a Flask app's config from the app named by `--app` (or
`FLASK_APP`), loaded as `flask --app` loads it. Environment variables still come first, as in
the app.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from connect_config.frameworks import django_settings, flask_config, plain_settings
from connect_otel.settings import TABLE

HOW_TO_POINT = (
    "To read an app's settings, run it where the app runs: Django with DJANGO_SETTINGS_MODULE "
    "set, Plain from the project directory (the one holding app/), Flask with --app module:app."
)


@dataclass(frozen=True)
class AppSettings:
    source: str  # named in the check's output
    framework: Mapping[str, object] = field(default_factory=dict)
    framework_defaults: Mapping[str, object] = field(default_factory=dict)


ENVIRONMENT_ONLY = AppSettings("the environment")


def find(flask_app: str | None) -> AppSettings:
    """The settings of the app the check is run for, or the environment's alone."""
    flask_app = flask_app or os.environ.get("FLASK_APP")
    with _current_directory_importable():
        if flask_app:
            return _flask(flask_app)
        if os.environ.get("DJANGO_SETTINGS_MODULE"):
            return _django(os.environ["DJANGO_SETTINGS_MODULE"])
        plain_project = os.environ.get("PLAIN_SETTINGS_MODULE") or Path("app/settings.py").is_file()
        if plain_project and importlib.util.find_spec("plain") is not None:
            return _plain()
    return ENVIRONMENT_ONLY


def _django(module: str) -> AppSettings:
    return AppSettings(
        f"the environment and Django's {module}",
        TABLE.framework_values(django_settings()),
        {"SERVICE_NAME": module.split(".")[0]},
    )


def _plain() -> AppSettings:
    from plain.runtime import settings

    lookup = plain_settings()
    return AppSettings(
        f"the environment and Plain's {os.environ.get('PLAIN_SETTINGS_MODULE', 'app.settings')}",
        TABLE.framework_values(lookup),
        {"SERVICE_NAME": settings.NAME},
    )


def _flask(import_path: str) -> AppSettings:
    from flask.cli import ScriptInfo

    # The app's module turns Connect on when it calls init_app: here only its config is wanted.
    with _export_disabled():
        app = ScriptInfo(app_import_path=import_path).load_app()
    return AppSettings(
        f"the environment and the Flask app {import_path}",
        TABLE.framework_values(flask_config(app)),
        {"SERVICE_NAME": app.name},
    )


@contextmanager
def _current_directory_importable() -> Iterator[None]:
    # As `manage.py`, `plain` and `flask` have it; a console script's path holds only its bin/.
    sys.path.insert(0, os.getcwd())
    try:
        yield
    finally:
        sys.path.remove(os.getcwd())


@contextmanager
def _export_disabled() -> Iterator[None]:
    name = "CONNECT_EXPORT_ENABLED"
    before = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before
