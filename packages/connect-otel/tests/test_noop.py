"""Without a token, Connect is not there: no provider, no thread, no handler, no SDK import."""

from __future__ import annotations

import json

import pytest

from connect_testkit.scripts import run_python

PROBE = """
import json, logging, sys, threading
handlers_before = list(logging.getLogger().handlers)
level_before = logging.getLogger().level
SDK_PREFIXES = ("opentelemetry.sdk", "opentelemetry.exporter", "opentelemetry.instrumentation")
import connect_otel
first = connect_otel.configure()
second = connect_otel.configure()
from opentelemetry import trace
print(json.dumps({
    "active": [first, second],
    "sdk_modules": sorted(m for m in sys.modules if m.startswith(SDK_PREFIXES)),
    "threads": threading.active_count(),
    "handlers_changed": logging.getLogger().handlers != handlers_before,
    "level_changed": logging.getLogger().level != level_before,
    "provider": type(trace.get_tracer_provider()).__name__,
}))
"""


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CONNECT_EXPORT_TOKEN": "t", "CONNECT_EXPORT_ENABLED": "false"},
        {"CONNECT_EXPORT_TOKEN": "t", "OTEL_SDK_DISABLED": "true"},
        {"CONNECT_EXPORT_TOKEN": "t", "PLAIN_TEST_RUNNING": "1"},
    ],
    ids=["no token", "export disabled", "OTEL_SDK_DISABLED", "Plain's test runner"],
)
def test_inactive_configure_installs_and_starts_nothing(env: dict[str, str]) -> None:
    state = json.loads(run_python(PROBE, env).stdout)
    assert state == {
        "active": [False, False],
        "sdk_modules": [],
        "threads": 1,
        "handlers_changed": False,
        "level_changed": False,
        "provider": "ProxyTracerProvider",
    }


def test_bad_setting_fails_in_configure_even_without_a_token() -> None:
    result = run_python(
        """
        import connect_otel
        try:
            connect_otel.configure()
        except connect_otel.ConfigurationError as error:
            print(error)
        """,
        {"CONNECT_LOG_LEVEL": "LOUD"},
    )
    assert "CONNECT_LOG_LEVEL" in result.stdout
    assert "level name" in result.stdout


def test_second_configure_changes_nothing(export_env: dict[str, str]) -> None:
    result = run_python(
        """
        import json, logging, threading
        import connect_otel
        from opentelemetry import trace
        assert connect_otel.configure()
        provider, threads = trace.get_tracer_provider(), threading.active_count()
        handlers = list(logging.getLogger().handlers)
        assert connect_otel.configure(trace_sample_rate=0.0)
        print(json.dumps([
            trace.get_tracer_provider() is provider,
            threading.active_count() == threads,
            logging.getLogger().handlers == handlers,
            connect_otel.active_settings().trace_sample_rate,
        ]))
        connect_otel.shutdown()
        """,
        export_env,
    )
    assert json.loads(result.stdout.splitlines()[-1]) == [True, True, True, 1.0]
