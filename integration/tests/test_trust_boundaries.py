"""Whose trace context each framework's example app continues, under its real server at a sample
rate of 0: a caller on the app's network joins its trace; a public caller (named by the proxy's
X-Forwarded-For, as behind a load balancer) cannot choose the trace or force its export.

Plain is not here: its own request span never continues an incoming traceparent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_integration.examples import EXAMPLES, ExampleApp
from connect_testkit.receiver import Receiver
from connect_testkit.servers import Server

FRAMEWORKS = ("django", "fastapi", "flask")
# Nothing is exported by rate; a failing request is kept by tail sampling (a trace of its own).
AT_RATE_ZERO = {"CONNECT_TRACE_SAMPLE_RATE": "0", "OTEL_BSP_SCHEDULE_DELAY": "100",
                "CONNECT_EXPORT_LOGS": "false", "CONNECT_METRICS_INTERVAL": "3600"}  # fmt: skip
PUBLIC = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2"}


def traceparent(trace_id: str, span_id: str) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id}-{span_id}-01", "baggage": "client.note=hello"}


@pytest.fixture(params=FRAMEWORKS, scope="module")
def example(request: pytest.FixtureRequest) -> ExampleApp:
    return EXAMPLES[request.param]


@pytest.fixture(scope="module")
def server(
    example: ExampleApp, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    database: Path = tmp_path_factory.mktemp(example.name) / "example.sqlite3"
    env = {
        "CONNECT_EXPORT_URL": receiver.url,
        "CONNECT_EXPORT_TOKEN": receiver.token,
        **AT_RATE_ZERO,
    }
    with example.run(database, **env) as running:
        yield running


def test_a_public_callers_sampled_flag_neither_exports_nor_names_the_trace(
    server: Server, receiver: Receiver
) -> None:
    ignored_trace, failing_trace = "a1" * 16, "b2" * 16
    caller_span = "c3" * 8
    assert server.get("/items/5", {**traceparent(ignored_trace, caller_span), **PUBLIC})[0] == 200
    assert server.get("/boom", {**traceparent(failing_trace, caller_span), **PUBLIC})[0] == 500

    # The failing request is kept, in a trace of its own that links to what the caller sent.
    failed = receiver.server_span("/boom")
    assert failed.trace_id != failing_trace
    assert failed.parent_span_id == ""
    assert failed.links == [(failing_trace, caller_span)]
    # Exported in order: by now the first request would have arrived too.
    assert [s for s in receiver.spans() if ignored_trace in (s.trace_id, *dict(s.links))] == []


def test_a_caller_on_the_apps_network_joins_its_trace(server: Server, receiver: Receiver) -> None:
    trace_id, caller_span = "d4" * 16, "e5" * 8
    assert server.get("/items/6", traceparent(trace_id, caller_span))[0] == 200
    joined = receiver.server_span("/items/6")
    assert (joined.trace_id, joined.parent_span_id) == (trace_id, caller_span)
    assert joined.links == []
