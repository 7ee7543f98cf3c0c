"""A test run exports nothing, under each framework's own runner, unless asked to."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ, run_python

QUICK = {"OTEL_BSP_SCHEDULE_DELAY": "100", "OTEL_BLRP_SCHEDULE_DELAY": "100"}

FLASK_TEST = """
import flask

import connect_otel.flask

app = flask.Flask("under_test")
connect_otel.flask.init_app(app)


@app.get("/")
def index() -> str:
    return "ok"


def test_index() -> None:
    assert app.test_client().get("/").status_code == 200
"""

DJANGO_FILES = {
    "manage.py": """
        import sys

        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    """,
    "project/__init__.py": "",
    "project/settings.py": """
        SECRET_KEY = "a-test-project-secret"
        ALLOWED_HOSTS = ["testserver"]
        INSTALLED_APPS = ["connect_otel.django"]
        ROOT_URLCONF = "project.urls"
        DATABASES = {}
        USE_TZ = True
    """,
    "project/urls.py": """
        from django.http import HttpResponse
        from django.urls import path

        urlpatterns = [path("", lambda request: HttpResponse("ok"))]
    """,
    "tests.py": """
        from django.test import SimpleTestCase


        class IndexTest(SimpleTestCase):
            def test_index(self) -> None:
                self.assertEqual(self.client.get("/").status_code, 200)
    """,
}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        argv, cwd=cwd, env=clean_environ(**env), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def exported_requests(receiver: Receiver) -> int:
    # The test process has exited, and its exit flushed whatever it was going to send.
    return len(receiver.spans())


@pytest.fixture(params=[False, True], ids=["by default", "CONNECT_EXPORT_IN_TESTS"])
def on_purpose(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def settings_env(receiver: Receiver, on_purpose: bool) -> dict[str, str]:
    env = {"CONNECT_EXPORT_URL": receiver.url, "CONNECT_EXPORT_TOKEN": "test-token", **QUICK}
    if on_purpose:
        env["CONNECT_EXPORT_IN_TESTS"] = "true"
    return env


def test_pytest_runs_export_nothing(receiver: Receiver, tmp_path: Path, on_purpose: bool) -> None:
    (tmp_path / "test_app.py").write_text(FLASK_TEST)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"]
    run(argv, tmp_path, settings_env(receiver, on_purpose))
    if on_purpose:
        receiver.wait_for(lambda r: any(s.name == "GET /" for s in r.spans()))
    else:
        assert exported_requests(receiver) == 0


def test_djangos_test_command_exports_nothing(
    receiver: Receiver, tmp_path: Path, on_purpose: bool
) -> None:
    for name, text in DJANGO_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    env = {**settings_env(receiver, on_purpose), "DJANGO_SETTINGS_MODULE": "project.settings"}
    run([sys.executable, "manage.py", "test", "-v", "0"], tmp_path, env)
    if on_purpose:
        receiver.wait_for(lambda r: any(s.name == "GET /" for s in r.spans()))
    else:
        assert exported_requests(receiver) == 0


def test_plains_test_runner_marker_exports_nothing(receiver: Receiver, on_purpose: bool) -> None:
    env = {**settings_env(receiver, on_purpose), "PLAIN_TEST_RUNNING": "1"}
    run_python(
        """
        import connect_otel
        from opentelemetry import trace

        connect_otel.configure()
        trace.get_tracer("test").start_span("GET /").end()
        """,
        env=env,
    )
    if on_purpose:
        receiver.wait_for(lambda r: any(s.name == "GET /" for s in r.spans()))
    else:
        assert exported_requests(receiver) == 0
