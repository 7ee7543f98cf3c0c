"""The example apps and how each runs under its real server: gunicorn for Flask and Django,
uvicorn for FastAPI. Tests, the demo and the benchmarks start them the same way."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from connect_integration import python313
from connect_testkit.ports import free_port
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, plain_server, run_server, uvicorn

APPS = Path(__file__).parents[2] / "apps"


@dataclass(frozen=True)
class ExampleApp:
    name: str
    directory: Path
    service_name: str
    # The route pattern of /items/42, as http.route and the beacon's route report it.
    item_route: str
    # The signed-in demo user ("ada" / "lovelace") and their id.
    user_id: str
    # Plain needs Python 3.13+: from another interpreter, its app runs on .venv-plain's.
    python: str = sys.executable

    def argv(self, port: int) -> list[str]:
        if self.name == "plain":
            return plain_server(port, python=self.python)
        if self.name == "fastapi":
            return uvicorn("app:app", port, python=self.python)
        target = "example.wsgi" if self.name == "django" else "app:app"
        return gunicorn(target, port, python=self.python)

    def prepare(self, env: Mapping[str, str]) -> None:
        """One-off set-up before the server starts (Django's migrations and demo user)."""
        # Migrations are not the app at work: they export nothing.
        env = {k: v for k, v in env.items() if k != "CONNECT_EXPORT_TOKEN"}
        if self.name == "plain":
            subprocess.run(
                [self.python, "-m", "plain", "postgres", "sync"],
                env=dict(env),
                cwd=self.directory,
                check=True,
                capture_output=True,
                timeout=120,
            )
        if self.name != "django":
            return
        for code in (
            "import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0)",
            "import django; django.setup(); from example.views import create_demo_user; "
            "create_demo_user()",
        ):
            subprocess.run(
                [self.python, "-c", code],
                env=dict(env),
                cwd=self.directory,
                check=True,
                capture_output=True,
                timeout=120,
            )

    @contextmanager
    def run(self, database: Path, **env: str) -> Iterator[Server]:
        """Serves the app; `database` is its SQLite file (Plain's comes from DATABASE_URL)."""
        environ = clean_environ(
            EXAMPLE_DATABASE=str(database),
            DJANGO_SETTINGS_MODULE="example.settings",
            PYTHONPATH=str(self.directory),
            **env,
        )
        self.prepare(environ)
        port = free_port()
        with run_server(self.argv(port), environ, port, cwd=self.directory) as server:
            yield server


def _plain_python() -> str | None:
    if importlib.util.find_spec("plain") is not None:
        return sys.executable
    return python313.environment_python()


EXAMPLES = {
    app.name: app
    for app in (
        ExampleApp("flask", APPS / "flask", "flask_example", "/items/<int:item_id>", "7301"),
        ExampleApp("django", APPS / "django", "example", "/items/<int:item_id>", "7302"),
        ExampleApp("fastapi", APPS / "fastapi", "fastapi_example", "/items/{item_id}", "7303"),
    )
}
if plain_python := _plain_python():
    EXAMPLES["plain"] = ExampleApp(
        "plain", APPS / "plain", "plain_example", "/items/<int:item_id>", "7304", plain_python
    )
