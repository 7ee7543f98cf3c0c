"""With Sentry's logging integration on, a failing export never becomes a Sentry event, whichever
starts first; and Connect never loads Sentry for an app that does not."""

from __future__ import annotations

import json

import pytest

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python

SENTRY_RECORDING_EVENTS = """
import sentry_sdk

events = []

def keep(event, hint):
    events.append(event.get("logger"))
    return None  # recorded here, never sent

sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", before_send=keep)
"""
CONNECT = """
import connect_otel
connect_otel.configure()
"""
A_FAILING_EXPORT_AND_AN_APP_ERROR = """
import json, logging
from opentelemetry import trace
with trace.get_tracer("app").start_as_current_span("doomed"):
    pass
trace.get_tracer_provider().force_flush()
logging.getLogger("app").error("a real application error")
connect_otel.shutdown()
print(json.dumps(events))
"""


@pytest.mark.parametrize("sentry_first", [True, False], ids=["sentry first", "connect first"])
def test_export_failures_do_not_become_sentry_events(
    receiver: Receiver, export_env: dict[str, str], sentry_first: bool
) -> None:
    receiver.set_fault("500")
    started = (
        [SENTRY_RECORDING_EVENTS, CONNECT] if sentry_first else [CONNECT, SENTRY_RECORDING_EVENTS]
    )
    result = run_python("".join([*started, A_FAILING_EXPORT_AND_AN_APP_ERROR]), export_env)
    # Whether the console shows the failure depends on when it fell (before or after the bridge
    # left at shutdown); the endpoint's answers are the proof.
    answered = {(request.signal, request.status) for request in receiver.requests()}
    assert ("traces", 500) in answered, "the export did fail"
    # The app's own error still reaches Sentry; nothing from the export does.
    assert json.loads(result.stdout.splitlines()[-1]) == ["app"]


def test_sentry_is_not_imported_for_an_app_that_does_not_use_it(
    export_env: dict[str, str],
) -> None:
    result = run_python(
        """
        import sys
        import connect_otel
        connect_otel.configure()
        loaded = {name.split(".")[0] for name in sys.modules}
        print(sorted(loaded & {"sentry_sdk", "httpcore"}))
        connect_otel.shutdown()
        """,
        export_env,
    )
    assert result.stdout.splitlines()[-1] == "[]"
