"""`connect-otel check` against a good endpoint, a bad token, an unreachable host, one that
trickles its answer and one that redirects elsewhere."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from connect_testkit.ports import free_port
from connect_testkit.receiver import Fault, Receiver
from connect_testkit.scripts import clean_environ

# Plain runs on Python 3.13, in the environment integration/bin/setup makes.
PLAIN_PYTHON = Path(__file__).parents[3] / ".venv-plain" / "bin" / "python"


def check(url: str, token: str, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connect_otel.cli", "check"],
        env=clean_environ(CONNECT_EXPORT_URL=url, CONNECT_EXPORT_TOKEN=token, **environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_in(
    project: Path, *args: str, python: str = sys.executable, **env: str
) -> subprocess.CompletedProcess[str]:
    """The installed `connect-otel check`, run from an app's directory as its users run it."""
    script = Path(python).parent / "connect-otel"
    return subprocess.run(
        [str(script), "check", *args],
        cwd=project,
        env=clean_environ(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_accepted_by_a_good_endpoint(receiver: Receiver) -> None:
    result = check(receiver.url, "test-token")
    assert result.returncode == 0, result.stdout + result.stderr
    for signal in ("traces", "metrics", "logs"):
        assert f"{signal:<8} ok   accepted (HTTP 200)" in result.stdout
    assert [s.name for s in receiver.spans()] == ["connect-otel check"]
    assert [m.name for m in receiver.metrics()] == ["connect.check"]
    assert [log.body for log in receiver.logs()] == ["connect-otel check"]
    assert "test-token" not in result.stdout
    assert "with a token of 10 characters" in result.stdout
    # What would be traced here: the test environment has requests, httpx and the rest.
    assert "Libraries: tracing requests, httpx, urllib3, urllib" in result.stdout


def test_bad_token_is_named(receiver: Receiver) -> None:
    result = check(receiver.url, "wrong-token")
    assert result.returncode == 1
    assert result.stdout.count("rejected: bad token (HTTP 401)") == 3
    assert receiver.spans() == []


def test_unreachable_endpoint_is_named() -> None:
    result = check(f"http://127.0.0.1:{free_port()}", "test-token")
    assert result.returncode == 1
    assert result.stdout.count("unreachable:") == 3
    assert "Connection refused" in result.stdout


def test_missing_token_says_so() -> None:
    result = check("http://127.0.0.1:9", "")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_TOKEN is not set" in result.stdout


def test_bad_setting_is_named() -> None:
    result = check("not-a-url", "t")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_URL" in result.stderr


def test_a_rejected_token_is_not_printed() -> None:
    result = check("http://127.0.0.1:9", "my real secret")
    assert result.returncode == 2
    assert "CONNECT_EXPORT_TOKEN" in result.stderr and "my real secret" not in result.stderr


def test_the_checks_own_log_record_says_where_it_was_logged(receiver: Receiver) -> None:
    assert check(receiver.url, "test-token").returncode == 0
    (record,) = receiver.logs()
    assert record.attributes["code.function.name"] == "_log_payload"
    assert record.attributes["code.line.number"] > 0
    assert record.attributes["code.file.path"].endswith("connect_otel/cli.py")


def test_missing_token_says_how_to_point_the_check_at_an_apps_settings() -> None:
    result = check("http://127.0.0.1:9", "")
    assert "DJANGO_SETTINGS_MODULE" in result.stdout and "--app module:app" in result.stdout


def test_reads_djangos_settings_module(receiver: Receiver, tmp_path: Path) -> None:
    write(
        tmp_path / "mysite" / "settings.py",
        f"""
        SECRET_KEY = "check"
        INSTALLED_APPS = ["connect_otel.django"]
        CONNECT_EXPORT_URL = "{receiver.url}"
        CONNECT_EXPORT_TOKEN = "test-token"
        """,
    )
    (tmp_path / "mysite" / "__init__.py").touch()
    result = check_in(tmp_path, DJANGO_SETTINGS_MODULE="mysite.settings")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Settings from the environment and Django's mysite.settings" in result.stdout
    assert [s.resource["service.name"] for s in receiver.spans()] == ["mysite"]
    # Without the variable the check says where it looked.
    missing = check_in(tmp_path)
    assert missing.returncode == 2 and "DJANGO_SETTINGS_MODULE" in missing.stdout


def test_reads_a_flask_apps_config_without_turning_export_on_in_the_check(
    receiver: Receiver, tmp_path: Path
) -> None:
    write(
        tmp_path / "blog.py",
        f"""
        from flask import Flask
        import connect_otel.flask

        app = Flask(__name__)
        app.config["CONNECT_EXPORT_URL"] = "{receiver.url}"
        app.config["CONNECT_EXPORT_TOKEN"] = "test-token"
        connect_otel.flask.init_app(app)
        """,
    )
    result = check_in(tmp_path, "--app", "blog:app")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Settings from the environment and the Flask app blog:app" in result.stdout
    # The check's span alone: loading the app did not start the app's own export.
    assert [s.resource["service.name"] for s in receiver.spans()] == ["blog"]
    assert [log.body for log in receiver.logs()] == ["connect-otel check"]


def test_an_app_package_is_not_taken_for_plain_without_plain(
    receiver: Receiver, tmp_path: Path
) -> None:
    # FastAPI projects often have app/settings.py too.
    write(tmp_path / "app" / "settings.py", "DEBUG = False\n")
    result = check_in(tmp_path, CONNECT_EXPORT_URL=receiver.url, CONNECT_EXPORT_TOKEN="test-token")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Settings from the environment\n" in result.stdout


def test_reads_plains_settings(receiver: Receiver, tmp_path: Path) -> None:
    python = PLAIN_PYTHON if PLAIN_PYTHON.exists() else None
    if python is None:
        pytest.skip("Plain needs Python 3.13+: integration/bin/setup makes .venv-plain")
    write(
        tmp_path / "app" / "settings.py",
        f"""
        NAME = "catalogue"
        SECRET_KEY = "check"
        URLS_ROUTER = "app.urls.AppRouter"
        INSTALLED_PACKAGES = ["connect_otel.plain"]
        CONNECT_EXPORT_URL = "{receiver.url}"
        CONNECT_EXPORT_TOKEN = "test-token"
        """,
    )
    (tmp_path / "app" / "__init__.py").touch()
    result = check_in(tmp_path, python=str(python))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Settings from the environment and Plain's app.settings" in result.stdout
    assert [s.resource["service.name"] for s in receiver.spans()] == ["catalogue"]


def test_a_trickling_endpoint_fails_each_request_at_its_deadline(receiver: Receiver) -> None:
    # One byte every 0.2 s satisfies any per-read timeout; the deadline is for the request.
    receiver.set_fault("trickle", delay=0.2)
    started = time.monotonic()
    result = check(receiver.url, "test-token", CONNECT_EXPORT_TIMEOUT="1")
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("unreachable: no answer within 1.0s") == 3
    # Three requests of 1 s each, and the interpreter's start.
    assert took < 3 + 2.5, f"took {took:.1f}s"


@pytest.mark.parametrize("status", ["302", "307"])
def test_a_redirect_fails_names_where_it_points_and_keeps_the_token(
    receiver: Receiver, status: Fault
) -> None:
    with Receiver(token="test-token") as other_host:
        elsewhere = f"{other_host.url}/collect"
        receiver.set_fault(status, location=elsewhere)
        result = check(receiver.url, "test-token")
        assert result.returncode == 1, result.stdout
        assert result.stdout.count(f"FAIL redirected to {elsewhere} (HTTP {status})") == 3
        assert "accepted" not in result.stdout
        assert other_host.requests() == []
        assert [r.status for r in receiver.requests()] == [int(status)] * 3
