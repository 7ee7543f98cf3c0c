"""Published apps nobody on this project wrote, each under its real server with only the glue a
user would write (integration/apps/realapps): Django's auth views and admin and
Flask-Security-Too's views under gunicorn, SQLAdmin's under uvicorn. A test runs one through
`RealApp.run`."""

from __future__ import annotations

import email
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from connect_testkit.ports import free_port
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server, uvicorn

REALAPPS = Path(__file__).parents[2] / "apps" / "realapps"
# The user every app is seeded with, through the app's own command for it.
USERNAME = "ada"
EMAIL = "ada@lovelace.dev"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class RealApp:
    name: str
    directory: Path
    # The app as its server names it ("module:attribute").
    target: str
    # The one-off commands before the server starts (`python -m ...` arguments).
    setup: tuple[tuple[str, ...], ...] = ()
    asgi: bool = False

    def argv(self, port: int) -> list[str]:
        return uvicorn(self.target, port) if self.asgi else gunicorn(self.target, port)

    @contextmanager
    def run(self, workdir: Path, **env: str) -> Iterator[Server]:
        """Serves the app with its database and mail folder in `workdir`; `env` adds settings."""
        (workdir / "mail").mkdir(exist_ok=True)
        environ = clean_environ(
            PYTHONPATH=str(self.directory),
            DJANGO_SETTINGS_MODULE="realsite.settings",
            REALSITE_DATABASE=str(workdir / "django.sqlite3"),
            REALAPP_DATABASE=str(workdir / "flask.sqlite3"),
            REALSITE_MAIL_DIR=str(workdir / "mail"),
            REALAPP_MAIL_DIR=str(workdir / "mail"),
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
            REALAPP_USERNAME=USERNAME,
            REALAPP_PASSWORD=PASSWORD,
            **env,
        )
        # Set-up commands are not the app at work: they run without the export token.
        quiet = {k: v for k, v in environ.items() if k != "CONNECT_EXPORT_TOKEN"}
        for command in self.setup:
            subprocess.run(
                [sys.executable, "-m", *command],
                env=quiet,
                cwd=self.directory,
                check=True,
                capture_output=True,
                timeout=120,
            )
        port = free_port()
        with run_server(self.argv(port), environ, port, cwd=self.directory) as server:
            yield server

    def mail(self, workdir: Path) -> list[str]:
        """The plain-text body of every e-mail the app has written so far, decoded."""
        bodies = []
        for path in sorted((workdir / "mail").iterdir()):
            # Both file backends (Django's, Flask-Mailman's) end each message with this line.
            for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
                for part in email.message_from_string(raw).walk():
                    payload = part.get_payload(decode=True)
                    if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                        bodies.append(payload.decode())
        return bodies


DJANGO_SETUP = (
    ("django", "migrate", "--verbosity", "0"),
    ("django", "createsuperuser", "--noinput", "--username", USERNAME, "--email", EMAIL),
)
FLASK_SECURITY_SETUP = (
    ("flask", "--app", "app", "users", "create", EMAIL, "--password", PASSWORD, "--active"),
)
REAL_APPS = {
    app.name: app
    for app in (
        RealApp("django", REALAPPS / "django", "realsite.wsgi", DJANGO_SETUP),
        RealApp("flask-security", REALAPPS / "flask_security", "app:app", FLASK_SECURITY_SETUP),
        RealApp("sqladmin", REALAPPS / "sqladmin", "app:app", asgi=True),
    )
}
