"""Whole-app tracing, across processes: service A (Flask under gunicorn) calls service B (another
gunicorn) with requests, httpx and urllib, caches in a real Redis and sends Celery tasks that a
real prefork worker runs; everything exports to one receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connect_integration.postgres import postgres_server
from connect_integration.services import SERVICES, Worker, start_worker, whole_app
from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver, Span
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, run_server, uvicorn

TOKEN = "whole-app-token"
SECRET_VALUE = "a-secret-cached-value"
QUICK = {"CONNECT_METRICS_INTERVAL": "1", "OTEL_BSP_SCHEDULE_DELAY": "200",
         "OTEL_BLRP_SCHEDULE_DELAY": "200"}  # fmt: skip


@dataclass
class App:
    receiver: Receiver
    frontend: Server
    downstream: Server
    worker: Worker
    redis_url: str


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with Receiver(token=TOKEN) as receiver:
        export = {"CONNECT_EXPORT_URL": receiver.url, "CONNECT_EXPORT_TOKEN": TOKEN, **QUICK}
        with whole_app(export, tmp_path_factory.mktemp("services")) as running:
            yield App(
                receiver, running.frontend, running.downstream, running.worker,
                running.redis_url,
            )  # fmt: skip


def test_without_a_token_nothing_is_exported_and_no_thread_started(tmp_path: Path) -> None:
    with Receiver(token=TOKEN) as receiver:
        with whole_app({"CONNECT_EXPORT_URL": receiver.url}, tmp_path) as running:
            for path in ("/call/requests", "/call/httpx", "/cache/x", "/job"):
                assert running.frontend.get(path)[0] == 200
            status, body = running.frontend.get("/threads")
            assert status == 200 and body == b'["MainThread"]\n', body
            running.worker.wait_for_output("succeeded")
            running.worker.stop()
        time.sleep(0.5)
        assert receiver.requests() == []


def server_span(receiver: Receiver, service: str, path: str) -> Span:
    def found(r: Receiver) -> list[Span]:
        return [
            s for s in r.spans()
            if s.kind == "SERVER" and s.resource.get("service.name") == service
            and s.attributes.get("url.path") == path
        ]  # fmt: skip

    receiver.wait_for(lambda r: bool(found(r)), timeout=20)
    return found(receiver)[-1]


def in_trace(receiver: Receiver, trace_id: str) -> list[Span]:
    return [s for s in receiver.spans() if s.trace_id == trace_id]


@pytest.mark.parametrize("how", ["requests", "httpx", "httpx-module", "httpx-async", "urllib"])
def test_a_call_to_another_service_is_one_trace_across_both(app: App, how: str) -> None:
    status, body = app.frontend.get(f"/call/{how}")
    assert (status, body) == (200, b"hello from downstream")
    a_server = server_span(app.receiver, "frontend", f"/call/{how}")

    def arrived(r: Receiver) -> bool:
        spans = in_trace(r, a_server.trace_id)
        downstream = [s for s in spans if s.resource.get("service.name") == "downstream"]
        return bool(downstream) and any(s.kind == "CLIENT" for s in spans)

    app.receiver.wait_for(arrived, timeout=20)
    time.sleep(0.3)  # a second client span (requests on urllib3) would come in the same batch
    spans = in_trace(app.receiver, a_server.trace_id)
    clients = [s for s in spans if s.kind == "CLIENT"]
    assert len(clients) == 1, [(s.name, s.scope) for s in clients]  # one, never two
    (client,) = clients
    assert client.parent_span_id == a_server.span_id
    assert client.attributes["http.request.method"] == "GET"
    assert client.attributes["http.response.status_code"] == 200
    assert client.attributes["url.full"] == f"{app.downstream.url}/hello"
    (b_server,) = [s for s in spans if s.resource.get("service.name") == "downstream"]
    assert b_server.parent_span_id == client.span_id
    assert b_server.name == "GET /hello"


def test_the_start_up_line_says_which_libraries_are_traced(app: App) -> None:
    # On the console, where an operator reads it; it is about Connect, so never exported.
    started = [
        line for line in app.frontend.output().splitlines() if "Connect is exporting" in line
    ]
    assert started, app.frontend.output()
    assert not any(str(log.body).startswith("Connect is exporting") for log in app.receiver.logs())
    assert "tracing requests, httpx, urllib3, urllib, celery, redis, sqlite3" in started[0]


def test_a_downstream_500_marks_the_client_span_as_an_error(app: App) -> None:
    assert app.frontend.get("/call-failing")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/call-failing")
    app.receiver.wait_for(
        lambda r: any(s.kind == "CLIENT" for s in in_trace(r, a_server.trace_id)), timeout=20
    )
    (client,) = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "CLIENT"]
    assert client.status_code == "ERROR"
    assert client.attributes["http.response.status_code"] == 500
    assert client.attributes["error.type"] == "500"


def test_client_requests_have_their_duration_histogram(app: App) -> None:
    app.frontend.get("/call/requests")
    app.receiver.wait_for(
        lambda r: any(m.name == "http.client.request.duration" for m in r.metrics()), timeout=20
    )


def test_redis_commands_are_spans_without_their_values(app: App) -> None:
    assert app.frontend.get("/cache/ada")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/cache/ada")
    app.receiver.wait_for(
        lambda r: {"GET", "SET"} <= {s.name for s in in_trace(r, a_server.trace_id)}, timeout=20
    )
    commands = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "CLIENT"]
    assert sorted(s.name for s in commands) == ["GET", "SET"]
    assert all(s.parent_span_id == a_server.span_id for s in commands)
    for span in app.receiver.spans():
        assert SECRET_VALUE not in repr(span.attributes), span


def test_a_task_runs_in_the_prefork_worker_inside_the_requests_trace(app: App) -> None:
    assert app.frontend.get("/job")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/job")

    def runs(r: Receiver) -> list[Span]:
        return [
            s for s in in_trace(r, a_server.trace_id)
            if s.resource.get("service.name") == "worker" and s.kind == "CONSUMER"
        ]  # fmt: skip

    app.receiver.wait_for(lambda r: bool(runs(r)), timeout=30)
    sent = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "PRODUCER"]
    assert sent and sent[0].parent_span_id == a_server.span_id
    (run,) = runs(app.receiver)
    assert run.name.startswith("run/") and run.parent_span_id == sent[0].span_id
    assert run.resource["service.instance.id"]  # a forked child, with its own identity


def test_a_retried_then_failing_task_records_both(app: App) -> None:
    assert app.frontend.get("/job-failing")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/job-failing")

    def failed(r: Receiver) -> list[Span]:
        return [
            s for s in in_trace(r, a_server.trace_id)
            if s.kind == "CONSUMER" and s.status_code == "ERROR"
        ]  # fmt: skip

    app.receiver.wait_for(lambda r: bool(failed(r)), timeout=30)
    events = [e for s in failed(app.receiver) for e in s.events if e.name == "exception"]
    assert any(e.attributes.get("exception.type") == "RuntimeError" for e in events)
    runs = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "CONSUMER"]
    retried = [s for s in runs if "celery.retry.reason" in s.attributes]
    assert retried and "payment API timed out" in retried[0].attributes["celery.retry.reason"]


def test_the_workers_sigterm_flushes_within_the_bound(app: App, tmp_path: Path) -> None:
    # Runs last in this module. A second worker whose spans would wait an hour in its queue
    # takes the task: its span reaches the receiver only because the child flushes when the
    # worker's warm shutdown stops it.
    app.worker.stop()
    env = clean_environ(
        CONNECT_EXPORT_URL=app.receiver.url, CONNECT_EXPORT_TOKEN=TOKEN,
        CONNECT_SERVICE_NAME="patient-worker", OTEL_BSP_SCHEDULE_DELAY="3600000",
        PYTHONPATH=str(SERVICES), REDIS_URL=app.redis_url,
    )  # fmt: skip
    worker = start_worker(env, tmp_path / "worker.log")
    assert app.frontend.get("/checkout")[0] == 200  # a path no other test asks for
    a_server = server_span(app.receiver, "frontend", "/checkout")
    worker.wait_for_output("succeeded")
    assert not [
        s for s in app.receiver.spans() if s.resource.get("service.name") == "patient-worker"
    ]
    assert worker.stop() < 6.0
    app.receiver.wait_for(
        lambda r: any(
            s.kind == "CONSUMER" and s.resource.get("service.name") == "patient-worker"
            for s in in_trace(r, a_server.trace_id)
        ),
        timeout=10,
    )


@pytest.fixture(scope="module")
def catalog(app: App) -> Iterator[Server]:
    with postgres_server() as database_url:
        port = free_port()
        env = clean_environ(
            CONNECT_EXPORT_URL=app.receiver.url, CONNECT_EXPORT_TOKEN=TOKEN,
            CONNECT_SERVICE_NAME="catalog", OTEL_BSP_SCHEDULE_DELAY="200",
            PYTHONPATH=str(SERVICES), DATABASE_URL=database_url,
        )  # fmt: skip
        with run_server(uvicorn("catalog:app", port), env, port, SERVICES) as server:
            yield server


@pytest.mark.parametrize(
    ("path", "driver", "queries"),
    [("/products/7", "asyncpg", 2), ("/sync-products/7", "psycopg", 1)],
)
def test_sqlalchemy_queries_are_one_span_each_at_the_drivers_layer(
    app: App, catalog: Server, path: str, driver: str, queries: int
) -> None:
    assert catalog.get(path)[0] == 200, catalog.output()[-2500:]
    server = server_span(app.receiver, "catalog", path.rsplit("/", 1)[0] + "/7")

    def query_spans(r: Receiver) -> list[Span]:
        return [s for s in in_trace(r, server.trace_id) if s.kind == "CLIENT"]

    app.receiver.wait_for(lambda r: len(query_spans(r)) >= queries, timeout=20)
    time.sleep(0.5)  # a doubled span would arrive in the same batch
    spans = query_spans(app.receiver)
    ours = [s for s in spans if "SELECT" in str(s.attributes.get("db.query.text", s.name))]
    assert len(ours) == queries, [(s.name, s.scope) for s in spans]
    assert {s.scope.rsplit(".", 1)[-1] for s in ours} == {driver}
    assert all(s.parent_span_id == server.span_id for s in ours)
