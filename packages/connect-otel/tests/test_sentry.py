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


def test_sentry_imported_after_connect_still_ignores_export_failures(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    receiver.set_fault("500")
    result = run_python(
        """
        import json, logging
        import connect_otel
        connect_otel.configure()
        import sentry_sdk

        events = []

        def keep(event, hint):
            events.append(event.get("logger"))
            return None  # recorded here, never sent

        sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", before_send=keep)
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
    assert json.loads(result.stdout.splitlines()[-1]) == ["app"]
