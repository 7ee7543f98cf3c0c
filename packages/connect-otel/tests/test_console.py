"""The console under each real server is the same with and without Connect, plus Connect's own
start-up line; records logged about a request after its span ended carry its trace."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from connect_testkit.ports import free_port
from connect_testkit.receiver import LogRecord, Receiver, Span
from connect_testkit.scripts import clean_environ, run_python
from connect_testkit.servers import gunicorn, run_server, uvicorn

APPS = Path(__file__).parent / "apps"
STARTED = "Connect is exporting"
# gunicorn's master says this only when its worker has not exited by the time it looks.
TIMING_DEPENDENT = re.compile(r"Worker \(pid:\d+\) was sent SIGTERM")
MANAGE_PY_CHECK = (
    "from django.core.management import execute_from_command_line\n"
    "execute_from_command_line(['manage.py', 'check'])"
)
QUICK = {"OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BLRP_SCHEDULE_DELAY": "200"}


@dataclass(frozen=True)
class Case:
    argv: Callable[[int], list[str]]
    paths: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    # Lines the app prints either way: the comparison alone would pass on an empty console.
    expected: tuple[str, ...] = ()


CASES = {
    "flask": Case(
        lambda port: gunicorn("console_flask:app", port),
        ("/", "/boom"),
        expected=("WARNING in console_flask: index warned", "RuntimeError: tutorial failure"),
    ),
    "flask-configured-first": Case(
        lambda port: gunicorn("console_flask:app", port),
        ("/", "/boom"),
        env={"CONSOLE_CONFIGURE_FIRST": "1"},
        expected=("WARNING in console_flask: index warned", "RuntimeError: tutorial failure"),
    ),
    "no-logging-configured": Case(
        lambda port: gunicorn("console_bare:app", port),
        ("/",),
        env={"CONSOLE_LOGGING": "none"},
        expected=("request warned", "request failed", "KeyError: 'missing'"),
    ),
    "basic-config": Case(
        lambda port: gunicorn("console_bare:app", port),
        ("/",),
        env={"CONSOLE_LOGGING": "basic"},
        expected=("basic console_bare WARNING request warned",),
    ),
    "basic-config-after-connect": Case(
        lambda port: gunicorn("console_bare:app", port),
        ("/",),
        env={"CONSOLE_LOGGING": "basic-after"},
        expected=("basic console_bare WARNING request warned",),
    ),
    "fastapi": Case(
        lambda port: uvicorn("console_fastapi:app", port),
        ("/", "/boom"),
        expected=("Exception in ASGI application", "RuntimeError: template failure"),
    ),
    "django": Case(
        lambda port: gunicorn("console_django:application", port),
        ("/", "/missing", "/boom"),
        env={"DJANGO_SETTINGS_MODULE": "console_django"},
        expected=("CONNECT_PAGEVIEWS_IDENTITY_KEY is not",),
    ),
}


@dataclass
class Run:
    console: list[str]
    receiver: Receiver


def normalised(output: str) -> list[str]:
    """The console's lines with times, pids, ports and line numbers made equal; sorted, as the
    server's processes write to it side by side. A traceback's frames are left out: with Connect
    its middleware is on the stack that uvicorn prints."""
    return sorted(
        re.sub(r"\d+", "N", line)
        for line in output.splitlines()
        if line.strip() and not line.startswith(" ") and not TIMING_DEPENDENT.search(line)
    )


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def run(case: Case, receiver: Receiver, token: str | None) -> Run:
    port = free_port()
    env = clean_environ(CONNECT_EXPORT_URL=receiver.url, **QUICK, **case.env)
    if token is not None:
        env["CONNECT_EXPORT_TOKEN"] = token
    with run_server(case.argv(port), env=env, port=port, cwd=APPS) as server:
        for path in case.paths[1:]:
            server.get(path)
        server.stop()
        return Run(normalised(server.output()), receiver)


def test_the_console_shows_the_same_lines_with_connect_on(
    case: Case, receiver: Receiver, export_env: dict[str, str]
) -> None:
    without = run(case, receiver, token=None).console
    with_connect = run(case, receiver, token=export_env["CONNECT_EXPORT_TOKEN"]).console
    for expected in case.expected:
        assert any(expected in line for line in without), (expected, without)
    assert [line for line in with_connect if STARTED not in line] == without
    assert any(STARTED in line for line in with_connect), "Connect's start-up line is shown"
    assert not any(str(log.body).startswith(STARTED) for log in receiver.logs()), (
        "the start-up line is about Connect: never exported"
    )


def exported(receiver: Receiver, body: str) -> tuple[LogRecord, Span]:
    def found(r: Receiver) -> bool:
        return any(str(log.body).startswith(body) for log in r.logs()) and any(
            s.kind == "SERVER" for s in r.spans()
        )

    receiver.wait_for(found, timeout=20)
    (log,) = [log for log in receiver.logs() if str(log.body).startswith(body)]
    servers = [s for s in receiver.spans() if s.kind == "SERVER"]
    (span,) = [s for s in servers if s.trace_id == log.trace_id] or [None]
    assert span is not None, (log.trace_id, [s.trace_id for s in servers])
    return log, span


@pytest.fixture
def exporting(receiver: Receiver, export_env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield clean_environ(**export_env, **QUICK)


def test_an_exception_that_escapes_a_fastapi_app_is_exported_with_its_trace(
    receiver: Receiver, exporting: dict[str, str]
) -> None:
    port = free_port()
    # With uvicorn's access log on: its lines are the server's, never exported.
    argv = [arg for arg in uvicorn("console_fastapi:app", port) if arg != "--no-access-log"]
    with run_server(argv, env=exporting, port=port, cwd=APPS) as server:
        assert server.get("/boom")[0] == 500
        log, span = exported(receiver, "Exception in ASGI application")
        assert '"GET /boom HTTP/1.1" 500' in server.output()
    assert not any("HTTP/1.1" in str(record.body) for record in receiver.logs())
    assert span.attributes["url.path"] == "/boom"
    assert log.span_id == span.span_id
    assert log.severity_text == "ERROR"
    assert "RuntimeError: template failure" in log.attributes["exception.stacktrace"]
    assert log.attributes["exception.type"] == "RuntimeError"


def test_djangos_late_not_found_warning_carries_the_requests_trace(
    receiver: Receiver, exporting: dict[str, str]
) -> None:
    port = free_port()
    env = {**exporting, "DJANGO_SETTINGS_MODULE": "console_django"}
    argv = gunicorn("console_django:application", port)
    with run_server(argv, env=env, port=port, cwd=APPS, ready_path="/missing"):
        log, span = exported(receiver, "Not Found: /missing")
    assert log.span_id == span.span_id
    assert log.severity_text == "WARN"


def test_a_management_command_prints_the_start_up_line_and_the_same_warnings(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    def check(**token: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", MANAGE_PY_CHECK],
            env=clean_environ(
                CONNECT_EXPORT_URL=receiver.url, DJANGO_SETTINGS_MODULE="console_django", **token
            ),
            cwd=APPS,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return normalised(result.stderr)

    without = check()
    with_connect = check(CONNECT_EXPORT_TOKEN=export_env["CONNECT_EXPORT_TOKEN"])
    assert any("CONNECT_PAGEVIEWS_IDENTITY_KEY is not" in line for line in without), without
    assert [line for line in with_connect if STARTED not in line] == without
    assert any(STARTED in line for line in with_connect)
    assert not any(str(log.body).startswith(STARTED) for log in receiver.logs())


def test_the_start_up_line_is_shown_when_logs_are_not_exported(
    export_env: dict[str, str],
) -> None:
    # Nothing widens the root's level then: Connect's own logger lets its INFO line through.
    result = run_python(
        "import connect_otel; connect_otel.configure()",
        env={**export_env, "CONNECT_EXPORT_LOGS": "false"},
    )
    assert STARTED in result.stderr, result.stderr


def test_without_a_token_flask_decides_about_its_handler_alone() -> None:
    # Flask adds its handler when `app.logger` is first used: after the app configured logging,
    # in the usual order. Connect off must not move that moment.
    run_python(
        """
        from flask import Flask
        import connect_otel.flask

        app = Flask("quiet")
        assert connect_otel.flask.init_app(app) is False
        assert "logger" not in app.__dict__, "app.logger was not created"
        """
    )


FLASK_SCRIPTS = {
    # The app configures logging after `init_app`, as many do in a factory: Flask must see the
    # app's handler, or every `app.logger` line prints twice.
    "configured after init_app": """
        import logging.config
        from flask import Flask
        import connect_otel.flask

        app = Flask("late")
        connect_otel.flask.init_app(app)
        logging.config.dictConfig({
            "version": 1,
            "handlers": {"console": {"class": "logging.StreamHandler", "level": "INFO"}},
            "root": {"handlers": ["console"], "level": "INFO"},
        })
        app.logger.warning("configured late")
        """,
    # An app that logs through its own name but never uses `app.logger`: Flask never adds its
    # handler, so its INFO lines print nowhere.
    "app.logger never used": """
        import logging
        from flask import Flask
        import connect_otel.flask

        logging.getLogger().setLevel(logging.INFO)
        app = Flask("quiet")
        connect_otel.flask.init_app(app)
        logging.getLogger("quiet").info("printed nowhere")
        logging.getLogger("quiet").warning("printed by Python")
        """,
    # `configure()` first, then the app uses `app.logger` before `init_app`: Flask saw Connect's
    # handler then, and its own is added when `init_app` learns of the app.
    "app.logger used before init_app": """
        import connect_otel
        connect_otel.configure()
        from flask import Flask
        import connect_otel.flask

        app = Flask("early")
        app.logger.debug("created")
        connect_otel.flask.init_app(app)
        app.logger.warning("printed by Flask")
        """,
}


@pytest.mark.parametrize("script", FLASK_SCRIPTS.values(), ids=FLASK_SCRIPTS.keys())
def test_flask_adds_its_handler_when_it_would_without_connect(
    script: str, export_env: dict[str, str]
) -> None:
    def console(**env: str) -> list[str]:
        printed = normalised(run_python(script, env=env).stderr)
        return [line for line in printed if STARTED not in line]

    without = console()
    assert without, "the app prints something either way"
    assert console(**export_env, **QUICK) == without
