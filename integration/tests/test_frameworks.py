"""connect-otel in each framework's example app, under its real server, exporting to the local
receiver: what a user of that framework expects to see."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_integration.examples import ExampleApp
from connect_pageviews import decrypt_identity
from connect_testkit.markup import script_attributes, shows
from connect_testkit.receiver import Metric, Receiver, Span
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server

TOKEN = "framework-token"
IDENTITY_KEY = "example-identity-key"
# uvicorn re-raises SIGTERM once its graceful shutdown is done; gunicorn exits 0.
GRACEFUL = (0, -signal.SIGTERM)
QUICK = {"CONNECT_METRICS_INTERVAL": "1", "OTEL_BSP_SCHEDULE_DELAY": "100",
         "OTEL_BLRP_SCHEDULE_DELAY": "100"}  # fmt: skip


@pytest.fixture(scope="module")
def server(
    example: ExampleApp,
    receiver: Receiver,
    database_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    database = tmp_path_factory.mktemp(example.name) / "example.sqlite3"
    env = {
        **database_env,
        "CONNECT_EXPORT_URL": receiver.url,
        "CONNECT_EXPORT_TOKEN": receiver.token,
        "CONNECT_PAGEVIEWS_TOKEN": "pv_example",
        "CONNECT_PAGEVIEWS_IDENTITY_KEY": IDENTITY_KEY,
        "CONNECT_PAGEVIEWS_URL": receiver.beacon_url,
        **QUICK,
    }
    with example.run(database, **env) as running:
        yield running


def duration_routes(receiver: Receiver) -> list[object]:
    """The `http.route` of every http.server.request.duration point so far."""
    return [
        point.attributes.get("http.route")
        for metric in receiver.metrics()
        if metric.name == "http.server.request.duration"
        for point in metric.points
    ]


def test_a_server_span_per_request_named_by_its_route(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    assert server.get("/items/42")[0] == 200
    span = receiver.server_span("/items/42")
    assert span.attributes["http.route"] == example.item_route
    assert span.name == f"GET {example.item_route}"
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["http.response.status_code"] == 200
    assert span.resource["service.name"] == example.service_name
    if example.name == "plain":
        assert span.resource["service.version"] == "1.4.0", "Plain's VERSION"
    assert "http.method" not in span.attributes, "the stable conventions only"


def test_secret_and_personal_path_segments_never_leave(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    token, uid = "s3t-4f9e8c2d1b", "MTIzNDU"
    assert server.get(f"/reset/{uid}/{token}?email=ada%40example.com&page=2")[0] == 200
    span = receiver.server_span("/reset/[redacted]/[redacted]")
    # The route names the segments (Plain's with converters: <str:token>).
    assert span.attributes["http.route"].replace("str:", "") in (
        "/reset/<uidb64>/<token>",
        "/reset/{uidb64}/{token}",
    )
    assert span.attributes["url.query"] == "email=[redacted]&page=2"
    exported = repr([(s.name, s.attributes) for s in receiver.spans()])
    for secret in (token, uid, "ada%40example.com", "ada@example.com"):
        assert secret not in exported


def test_the_root_route_is_slash_in_the_span_and_the_metric(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    assert server.get("/")[0] == 200

    def roots(r: Receiver) -> list[Span]:
        return [s for s in r.spans() if s.kind == "SERVER" and s.attributes.get("url.path") == "/"]

    receiver.wait_for(lambda r: bool(roots(r)))
    # The server's readiness probe may have asked for "/" too: every such span is named alike.
    assert {(s.name, s.attributes["http.route"]) for s in roots(receiver)} == {("GET /", "/")}

    receiver.wait_for(lambda r: "/" in duration_routes(r), timeout=20)


def test_query_duration_histogram(server: Server, receiver: Receiver) -> None:
    assert server.get("/db")[0] == 200
    receiver.wait_for(
        lambda r: any(m.name == "db.client.operation.duration" for m in r.metrics()), timeout=20
    )


def test_the_raising_route_records_its_exception(server: Server, receiver: Receiver) -> None:
    assert server.get("/boom")[0] == 500
    span = receiver.server_span("/boom")
    assert span.status_code == "ERROR"
    events = [e for e in span.events if e.name == "exception"]
    assert events and events[0].attributes["exception.type"] == "RuntimeError"
    assert "always fails" in events[0].attributes["exception.message"]


def test_a_database_span_is_a_child_of_the_request(server: Server, receiver: Receiver) -> None:
    # Another test of this server asks for /db too, and its span may still be on its way.
    asked = time.time_ns()
    assert server.get("/db")[0] == 200

    def this_request(r: Receiver) -> list[Span]:
        return [
            s for s in r.spans()
            if s.kind == "SERVER" and s.attributes.get("url.path") == "/db" and s.start_ns >= asked
        ]  # fmt: skip

    receiver.wait_for(lambda r: bool(this_request(r)))
    (request_span,) = this_request(receiver)
    receiver.wait_for(lambda r: any(s.parent_span_id == request_span.span_id for s in r.spans()))
    queries = [
        s for s in receiver.spans()
        if s.parent_span_id == request_span.span_id and s.kind == "CLIENT"
    ]  # fmt: skip
    assert queries, [s.name for s in receiver.spans() if s.trace_id == request_span.trace_id]
    assert all(q.trace_id == request_span.trace_id for q in queries)
    assert any("SELECT" in str(q.attributes.get("db.query.text", q.name)) for q in queries)
    time.sleep(0.3)  # a doubled span would arrive in the same batch
    in_trace = [s for s in receiver.spans() if s.trace_id == request_span.trace_id]
    assert len({s.scope for s in in_trace if s.kind == "CLIENT"}) == 1, "one layer per query"


def test_request_duration_histogram_has_slashed_routes(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    server.get("/items/42")

    receiver.wait_for(lambda r: example.item_route in duration_routes(r), timeout=20)
    assert all(str(route).startswith("/") for route in duration_routes(receiver) if route)
    histogram = next(m for m in receiver.metrics() if m.name == "http.server.request.duration")
    assert (histogram.kind, histogram.temporality) == ("histogram", "DELTA")


DEVELOPMENT_METRICS = {
    "http.server.active_requests",
    "http.server.request.body.size",
    "http.server.response.body.size",
}


def test_development_metrics_only_when_asked(
    example: ExampleApp,
    server: Server,
    receiver: Receiver,
    database_env: dict[str, str],
    tmp_path: Path,
) -> None:
    if example.name == "plain":
        pytest.skip("Plain's own instrumentation records request durations only")
    server.get("/items/42")
    receiver.wait_for(lambda r: example.item_route in duration_routes(r), timeout=20)
    assert not DEVELOPMENT_METRICS & {m.name for m in receiver.metrics()}

    with Receiver(token=TOKEN) as asked:
        env = {
            "CONNECT_EXPORT_URL": asked.url,
            "CONNECT_EXPORT_TOKEN": TOKEN,
            "CONNECT_DEVELOPMENT_METRICS": "true",
            **QUICK,
            **database_env,
        }
        with example.run(tmp_path / "db.sqlite3", **env) as running:
            assert running.get("/items/42")[0] == 200

            def in_flight(r: Receiver) -> list[Metric]:
                return [m for m in r.metrics() if m.name == "http.server.active_requests"]

            asked.wait_for(lambda r: bool(in_flight(r)), timeout=20)
    metric = in_flight(asked)[0]
    assert metric.temporality == "DELTA"
    assert {p.attributes.get("http.request.method") for p in metric.points} == {"GET"}
    if example.name == "fastapi":  # a GET has no request body to measure
        assert "http.server.response.body.size" in {m.name for m in asked.metrics()}


def test_a_log_record_from_a_request_carries_its_trace_once(
    server: Server, receiver: Receiver
) -> None:
    assert server.get("/log")[0] == 200
    span = receiver.server_span("/log")
    line = "an informative line from inside a request"
    receiver.wait_for(lambda r: any(log.body == line for log in r.logs()))
    matching = [log for log in receiver.logs() if log.body == line]
    assert len(matching) == 1, "one record per logging call"
    assert (matching[0].trace_id, matching[0].span_id) == (span.trace_id, span.span_id)


def test_excluded_paths_make_no_spans(server: Server, receiver: Receiver) -> None:
    assert server.get("/health")[0] == 200
    assert server.get("/items/42?after=health")[0] == 200
    receiver.wait_for(
        lambda r: any(s.attributes.get("url.query") == "after=health" for s in r.spans())
    )
    assert not [s for s in receiver.spans() if s.attributes.get("url.path") == "/health"]


def test_excluded_paths_are_not_in_the_request_metrics(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    if example.name == "plain":
        pytest.skip("Plain records its own request metrics")
    assert server.get("/health")[0] == 200
    assert server.get("/items/42")[0] == 200

    receiver.wait_for(lambda r: example.item_route in duration_routes(r), timeout=20)
    assert "/health" not in duration_routes(receiver)


def test_no_internal_asgi_spans(example: ExampleApp, server: Server, receiver: Receiver) -> None:
    if example.name != "fastapi":
        pytest.skip("the ASGI middleware's send/receive spans are FastAPI's")
    assert server.get("/items/43")[0] == 200
    span = receiver.server_span("/items/43")
    in_trace = [s.name for s in receiver.spans() if s.trace_id == span.trace_id]
    assert not [name for name in in_trace if name.endswith(("http send", "http receive"))]


def test_a_plain_job_is_traced_and_linked_to_the_request_that_queued_it(
    example: ExampleApp, server: Server, receiver: Receiver, database_env: dict[str, str]
) -> None:
    if example.name != "plain":
        pytest.skip("plain.jobs is Plain's")
    status, body = server.get("/job")
    assert status == 200, body.decode(errors="replace") + server.output()[-3000:]
    request_span = receiver.server_span("/job")
    receiver.wait_for(
        lambda r: any(
            s.kind == "PRODUCER" for s in r.spans() if s.trace_id == request_span.trace_id
        )
    )
    (sent,) = [s for s in receiver.spans() if s.kind == "PRODUCER" and s.name == "send default"]
    assert sent.trace_id == request_span.trace_id
    env = clean_environ(
        PYTHONPATH=str(example.directory), CONNECT_EXPORT_URL=receiver.url,
        CONNECT_EXPORT_TOKEN=receiver.token, **database_env, **QUICK,
    )  # fmt: skip
    worker = subprocess.Popen(
        [example.python, "-m", "plain", "jobs", "worker", "--max-processes", "1"],
        cwd=example.directory, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        receiver.wait_for(lambda r: any(s.name == "process default" for s in r.spans()), timeout=60)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=30)[0].decode(errors="replace")
    (processed,) = [s for s in receiver.spans() if s.name == "process default"]
    assert processed.kind == "CONSUMER", output
    assert (sent.trace_id, sent.span_id) in processed.links
    assert any(log.body == "greeting ada from a job" for log in receiver.logs()), output


def test_sigterm_flushes_the_last_request(
    example: ExampleApp, database_env: dict[str, str], tmp_path: Path
) -> None:
    slow = {"CONNECT_METRICS_INTERVAL": "3600", "OTEL_BSP_SCHEDULE_DELAY": "3600000",
            "OTEL_BLRP_SCHEDULE_DELAY": "3600000"}  # fmt: skip
    with Receiver(token=TOKEN) as receiver:
        env = {
            "CONNECT_EXPORT_URL": receiver.url,
            "CONNECT_EXPORT_TOKEN": TOKEN,
            **database_env,
            **slow,
        }
        with example.run(tmp_path / "db.sqlite3", **env) as server:
            status, body = server.get("/log")
            assert status == 200, body.decode(errors="replace") + server.output()[-3000:]
            assert server.stop() in GRACEFUL
        span = receiver.server_span("/log")
        assert any(log.trace_id == span.trace_id for log in receiver.logs())
        assert any(m.name == "http.server.request.duration" for m in receiver.metrics())


def test_nothing_is_exported_or_started_without_a_token(
    example: ExampleApp, database_env: dict[str, str], tmp_path: Path
) -> None:
    with Receiver(token=TOKEN) as receiver:
        env = {"CONNECT_EXPORT_URL": receiver.url, **database_env}
        with example.run(tmp_path / "db.sqlite3", **env) as server:
            for path in ("/items/42", "/log", "/boom"):
                _, html = server.get(path)
                assert b"data-token" not in html
            assert server.stop() in GRACEFUL
            assert "Connect is exporting" not in server.output()
        assert receiver.requests() == []


def pageviews_tag(html: bytes) -> dict[str, str]:
    (tag,) = [tag for tag in script_attributes(html.decode()) if "data-token" in tag]
    return tag


def test_the_pageviews_tag_joins_the_server_trace_that_rendered_it(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    status, html = server.get("/items/42?join=1")
    assert status == 200
    tag = pageviews_tag(html)
    receiver.wait_for(lambda r: any(x.attributes.get("url.query") == "join=1" for x in r.spans()))
    (span,) = [s for s in receiver.spans() if s.attributes.get("url.query") == "join=1"]
    assert tag["data-trace-id"] == span.trace_id
    assert tag["data-route"] == span.attributes["http.route"] == example.item_route
    if example.name == "plain":  # Plain's request carries the CSP nonce its header allows
        assert tag["nonce"]


def test_a_signed_in_page_carries_the_users_identity_and_never_the_id(
    example: ExampleApp, server: Server
) -> None:
    status, _, headers = server.request(
        "/login",
        method="POST",
        body=b"username=ada&password=lovelace",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status in (302, 303), "the demo user signs in"
    cookie = "; ".join(
        value.split(";", 1)[0] for name, value in headers.items() if name.lower() == "set-cookie"
    )
    status, html = server.get("/", headers={"Cookie": cookie})
    identity = pageviews_tag(html)["data-identity"]
    assert identity and decrypt_identity(identity, IDENTITY_KEY) == example.user_id
    assert not shows(html.decode(), example.user_id)
