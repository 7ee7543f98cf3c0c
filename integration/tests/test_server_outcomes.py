"""What each framework's server span says about a request's outcome, under its real server: 4xx
answers are not errors, unrouted requests are named by their method, `server.address` is the
host alone, and a bad `Host` header is traced like any other request."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_integration.examples import ExampleApp
from connect_testkit.receiver import Receiver, Span
from connect_testkit.servers import Server

TOKEN = "outcomes-token"
QUICK = {"CONNECT_METRICS_INTERVAL": "1", "OTEL_BSP_SCHEDULE_DELAY": "100"}
REFUSE_ROUTE = {
    "flask": "/refuse/<int:status>",
    "django": "/refuse/<int:status>",
    "fastapi": "/refuse/{status}",
    "plain": "/refuse/<int:status>",
}
# The apps whose site checks the Host header against a list of allowed hosts.
HOST_CHECKED = {"django", "plain"}


@pytest.fixture(scope="module")
def server(
    example: ExampleApp,
    receiver: Receiver,
    database_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Server]:
    env = {"CONNECT_EXPORT_URL": receiver.url, "CONNECT_EXPORT_TOKEN": receiver.token, **QUICK}
    database = tmp_path_factory.mktemp(example.name) / "example.sqlite3"
    with example.run(database, **database_env, **env) as running:
        yield running


def server_spans(receiver: Receiver, path: str) -> list[Span]:
    return [
        span
        for span in receiver.spans()
        if span.kind == "SERVER" and span.attributes.get("url.path") == path
    ]


def request_span(server: Server, receiver: Receiver, path: str) -> Span:
    server.get(path)
    receiver.wait_for(lambda r: bool(server_spans(r, path)))
    (span,) = server_spans(receiver, path)
    return span


def test_only_server_failures_keep_a_trace_at_rate_zero(
    example: ExampleApp, database_env: dict[str, str], tmp_path: Path
) -> None:
    with Receiver(token=TOKEN) as receiver:
        env = {
            "CONNECT_EXPORT_URL": receiver.url,
            "CONNECT_EXPORT_TOKEN": TOKEN,
            "CONNECT_TRACE_SAMPLE_RATE": "0",
            "CONNECT_TRACE_KEEP_ERRORS": "true",
            **QUICK,
        }
        with example.run(tmp_path / "example.sqlite3", **database_env, **env) as server:
            kept = server_paths_kept(server, receiver)
    assert kept == {"/boom"}


def server_paths_kept(server: Server, receiver: Receiver) -> set[object]:
    assert server.get("/refuse/404")[0] == 404
    assert server.get("/refuse/400")[0] == 400
    assert server.get("/refuse/403")[0] == 403
    assert server.get("/no/such/page/for/sampling")[0] == 404
    assert server.get("/items/44", headers={"Host": "scanner.example"})[0] in (200, 400)
    assert server.get("/boom")[0] == 500
    receiver.wait_for(lambda r: bool(server_spans(r, "/boom")))
    time.sleep(0.5)  # a 4xx trace kept by mistake would have been in the same batch or the next
    return {span.attributes.get("url.path") for span in receiver.spans() if span.kind == "SERVER"}


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_4xx_answer_leaves_the_status_unset(
    example: ExampleApp, server: Server, receiver: Receiver, status: int
) -> None:
    span = request_span(server, receiver, f"/refuse/{status}")
    assert span.attributes["http.response.status_code"] == status
    assert span.status_code == "UNSET"
    assert not [event for event in span.events if event.name == "exception"]
    assert span.attributes["http.route"] == REFUSE_ROUTE[example.name]


def test_a_5xx_answer_is_still_an_error(server: Server, receiver: Receiver) -> None:
    span = request_span(server, receiver, "/boom")
    assert span.status_code == "ERROR"
    assert [event for event in span.events if event.name == "exception"]


def test_an_unrouted_request_is_named_by_its_method_alone(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    span = request_span(server, receiver, "/no/such/page")
    assert span.attributes["http.response.status_code"] == 404
    assert span.name == "GET"
    assert "http.route" not in span.attributes

    def not_found_routes(r: Receiver) -> set[object]:
        return {
            point.attributes.get("http.route")
            for metric in r.metrics()
            if metric.name == "http.server.request.duration"
            for point in metric.points
            if point.attributes.get("http.response.status_code") == 404
        }

    receiver.wait_for(lambda r: None in not_found_routes(r), timeout=20)
    assert not_found_routes(receiver) <= {None, REFUSE_ROUTE[example.name]}


def test_server_address_is_the_host_and_server_port_the_port(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    span = request_span(server, receiver, "/items/45")
    assert span.attributes["server.address"] == "127.0.0.1"
    assert span.attributes["server.port"] == server.port
    receiver.wait_for(
        lambda r: any(m.name == "http.server.request.duration" for m in r.metrics()), timeout=20
    )
    addresses = [
        point.attributes["server.address"]
        for metric in receiver.metrics()
        for point in metric.points
        if "server.address" in point.attributes
    ]
    assert not [address for address in addresses if ":" in str(address)]


def test_a_bad_host_header_is_refused_by_the_site_and_traced(
    example: ExampleApp, server: Server, receiver: Receiver
) -> None:
    if example.name not in HOST_CHECKED:
        pytest.skip("the example site does not check the Host header")
    status, _ = server.get("/items/46", headers={"Host": "evil.example"})
    assert status == 400
    if example.name == "django":
        # The console's traceback starts where Django checks the host, as without Connect.
        tracebacks = re.findall(
            r"Traceback \(most recent call last\):\n(?:  .*\n)+\S*DisallowedHost", server.output()
        )
        assert tracebacks, server.output()
        assert all("opentelemetry" not in text for text in tracebacks), tracebacks[-1]
        assert all("django/middleware/common.py" in text for text in tracebacks), tracebacks[-1]
    receiver.wait_for(lambda r: bool(server_spans(r, "/items/46")))
    (span,) = server_spans(receiver, "/items/46")
    # Refused before routing: no route, and named by its method; a client's error, not ours.
    assert (span.name, span.attributes["http.response.status_code"]) == ("GET", 400)
    assert "http.route" not in span.attributes
    assert span.status_code == "UNSET"
