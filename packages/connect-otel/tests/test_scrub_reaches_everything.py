"""Secrets that libraries write, and secrets in parts of the export the scrubber used to skip,
never reach the receiver: a real Flask app under gunicorn exporting over OTLP/HTTP."""

from __future__ import annotations

from pathlib import Path

from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import gunicorn, run_server

APPS = Path(__file__).parent / "apps"
SECRET = "tok_5e3c2b1a0f9e"
SETTINGS = {
    "CONNECT_METRICS_INTERVAL": "1",
    "OTEL_BSP_SCHEDULE_DELAY": "100",
    "OTEL_BLRP_SCHEDULE_DELAY": "100",
    "OTEL_RESOURCE_ATTRIBUTES": f"deploy.db_password={SECRET},deploy.region=eu",
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST": "referer",
    "OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE": "location",
}


def test_nothing_secret_leaves_from_library_text_links_metrics_or_nested_data(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    port = free_port()
    env = clean_environ(**export_env, **SETTINGS)
    argv = gunicorn("leaky_app:app", port)
    with run_server(argv, env=env, port=port, cwd=str(APPS), ready_path="/done") as server:
        receiver.clear()
        referer = {"Referer": f"https://shop.example/reset?token={SECRET}&page=2"}
        assert server.get(f"/leak?secret={SECRET}", headers=referer)[0] == 302

        def arrived(r: Receiver) -> bool:
            bodies = [str(log.body) for log in r.logs()]
            return (
                any(s.name == "linked" for s in r.spans())
                and any(m.name == "leaky.calls" for m in r.metrics())
                and any("HTTP Request" in body for body in bodies)
                and "nested" in bodies
                and any("http.request.header.referer" in s.attributes for s in r.spans())
            )

        receiver.wait_for(arrived, timeout=20)
        assert server.stop() == 0

    exported = repr((receiver.spans(), receiver.logs(), receiver.metrics()))
    assert SECRET not in exported
    (request_log,) = [log for log in receiver.logs() if "HTTP Request" in str(log.body)]
    assert "/hx?api_key=[redacted]" in request_log.body
    (server,) = [s for s in receiver.spans() if "http.request.header.referer" in s.attributes]
    assert "token=[redacted]" in server.status_message
    assert server.attributes["http.request.header.referer"] == [
        "https://shop.example/reset?token=[redacted]&page=2"
    ]
    assert server.attributes["http.response.header.location"] == ["/done?token=[redacted]"]
    (exception,) = [e for e in server.events if e.name == "exception"]
    assert "/nf?token=[redacted]" in exception.attributes["exception.message"]
    assert "/nf?token=[redacted]" in exception.attributes["exception.stacktrace"]
    refused = [s for s in receiver.spans() if s.kind == "CLIENT" and s.status_code == "ERROR"]
    assert any("/cb?token=[redacted]" in str(s.events) for s in refused)
    metric = next(m for m in receiver.metrics() if m.name == "leaky.calls")
    assert metric.resource["deploy.db_password"] == "[redacted]"
    assert metric.resource["deploy.region"] == "eu"
    assert metric.points[0].attributes["db_password"] == "[redacted]"
    assert metric.points[0].attributes["url.full"] == "https://h/?token=[redacted]"
    assert metric.points[0].attributes["ok"] == "yes"
