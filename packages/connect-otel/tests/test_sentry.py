"""With Sentry's logging integration on, a failing export never becomes a Sentry event."""

from __future__ import annotations

import json

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python


def test_export_failures_do_not_become_sentry_events(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("500")
    result = run_python(
        """
        import json, logging
        import sentry_sdk

        events = []

        def keep(event, hint):
            events.append(event.get("logger"))
            return None  # recorded here, never sent

        sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", before_send=keep)
        import connect_otel
        connect_otel.configure()
        from opentelemetry import trace
        with trace.get_tracer("app").start_as_current_span("doomed"):
            pass
        trace.get_tracer_provider().force_flush()
        logging.getLogger("app").error("a real application error")
        connect_otel.shutdown()
        print(json.dumps(events))
        """,
        export_env,
    )
    assert "Failed to export" in result.stderr, "the export did fail"
    # The app's own error still reaches Sentry; nothing from the export does.
    assert json.loads(result.stdout.splitlines()[-1]) == ["app"]
