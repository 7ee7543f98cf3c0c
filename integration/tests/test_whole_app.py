"""Whole-app tracing, across processes: service A (Flask under gunicorn) calls service B (another
gunicorn) with requests, httpx and urllib, caches in a real Redis and sends Celery tasks that a
real prefork worker runs; everything exports to one receiver."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from connect_integration.postgres import postgres_server
from connect_integration.receiver import Receiver, Span
from connect_integration.redis import redis_server
from connect_integration.scripts import clean_environ
from connect_integration.servers import Server, free_port, run_server

SERVICES = Path(__file__).parents[1] / "apps" / "services"
TOKEN = "whole-app-token"
SECRET_VALUE = "a-secret-cached-value"


@dataclass
class App:
    receiver: Receiver
    frontend: Server
    downstream: Server
    worker: subprocess.Popen[bytes]
    worker_log: Path
    redis_url: str


def gunicorn(module: str, port: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "1",
            "--bind", f"127.0.0.1:{port}", f"{module}:app"]  # fmt: skip


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool", "prefork",
             "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=SERVICES, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    return worker


def stop_worker(worker: subprocess.Popen[bytes], log: Path) -> float:
    """Warm shutdown by SIGTERM, as a process manager stops a worker; returns how long it took."""
    started = time.monotonic()
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
        raise AssertionError("the worker did not stop:\n" + log.read_text()) from None
    return time.monotonic() - started


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with ExitStack() as stack:
        receiver = stack.enter_context(Receiver(token=TOKEN))
        redis_url = stack.enter_context(redis_server())
        common = {
            "CONNECT_EXPORT_URL": receiver.url,
            "CONNECT_EXPORT_TOKEN": TOKEN,
            "CONNECT_METRICS_INTERVAL": "1",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
            "OTEL_BLRP_SCHEDULE_DELAY": "200",
            "PYTHONPATH": str(SERVICES),
            "REDIS_URL": redis_url,
        }
        port_b, port_a = free_port(), free_port()
        env_b = clean_environ(**common, CONNECT_SERVICE_NAME="downstream")
        downstream = stack.enter_context(
            run_server(gunicorn("downstream", port_b), env_b, port_b, SERVICES)
        )
        env_a = clean_environ(
            **common, CONNECT_SERVICE_NAME="frontend", DOWNSTREAM_URL=downstream.url
        )
        frontend = stack.enter_context(
            run_server(gunicorn("frontend", port_a), env_a, port_a, SERVICES)
        )
        log = tmp_path_factory.mktemp("worker") / "worker.log"
        worker = start_worker(clean_environ(**common, CONNECT_SERVICE_NAME="worker"), log)
        stack.callback(lambda: worker.poll() is None and worker.kill())
        yield App(receiver, frontend, downstream, worker, log, redis_url)


def test_without_a_token_nothing_is_exported_and_no_thread_started(tmp_path: Path) -> None:
    with Receiver(token=TOKEN) as receiver, redis_server() as redis_url:
        env = clean_environ(
            CONNECT_EXPORT_URL=receiver.url, PYTHONPATH=str(SERVICES), REDIS_URL=redis_url
        )
        port_b, port_a = free_port(), free_port()
        with run_server(gunicorn("downstream", port_b), env, port_b, SERVICES) as downstream:
            env_a = {**env, "DOWNSTREAM_URL": downstream.url}
            with run_server(gunicorn("frontend", port_a), env_a, port_a, SERVICES) as frontend:
                worker = start_worker(env, tmp_path / "worker.log")
                try:
                    for path in ("/call/requests", "/call/httpx", "/cache/x", "/job"):
                        assert frontend.get(path)[0] == 200
                    status, body = frontend.get("/threads")
                    assert status == 200 and body == b'["MainThread"]\n', body
                finally:
                    stop_worker(worker, tmp_path / "worker.log")
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
    app.receiver.wait_for(
        lambda r: any(
            s.resource.get("service.name") == "downstream" and s.trace_id == a_server.trace_id
            for s in r.spans()
        ),
        timeout=20,
    )
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
        lambda r: len([s for s in in_trace(r, a_server.trace_id) if s.kind == "CLIENT"]) >= 2,
        timeout=20,
    )
    commands = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "CLIENT"]
    assert sorted(s.name for s in commands) == ["GET", "SET"]
    assert all(s.parent_span_id == a_server.span_id for s in commands)
    for span in app.receiver.spans():
        assert SECRET_VALUE not in repr(span.attributes), span


def test_a_task_runs_in_the_prefork_worker_inside_the_requests_trace(app: App) -> None:
    assert app.frontend.get("/job")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/job")

    def worker_spans(r: Receiver) -> list[Span]:
        return [
            s for s in in_trace(r, a_server.trace_id)
            if s.resource.get("service.name") == "worker"
        ]  # fmt: skip

    app.receiver.wait_for(lambda r: bool(worker_spans(r)), timeout=30)
    sent = [s for s in in_trace(app.receiver, a_server.trace_id) if s.kind == "PRODUCER"]
    assert sent and sent[0].parent_span_id == a_server.span_id
    (run,) = [s for s in worker_spans(app.receiver) if s.kind == "CONSUMER"]
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
    stop_worker(app.worker, app.worker_log)
    env = clean_environ(
        CONNECT_EXPORT_URL=app.receiver.url, CONNECT_EXPORT_TOKEN=TOKEN,
        CONNECT_SERVICE_NAME="patient-worker", OTEL_BSP_SCHEDULE_DELAY="3600000",
        PYTHONPATH=str(SERVICES), REDIS_URL=app.redis_url,
    )  # fmt: skip
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    assert app.frontend.get("/job")[0] == 200
    a_server = server_span(app.receiver, "frontend", "/job")
    deadline = time.monotonic() + 20
    while b"succeeded" not in log.read_bytes():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    assert not [
        s for s in app.receiver.spans() if s.resource.get("service.name") == "patient-worker"
    ]
    assert stop_worker(worker, log) < 6.0
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
        argv = [sys.executable, "-m", "uvicorn", "--port", str(port), "catalog:app"]
        with run_server(argv, env, port, SERVICES) as server:
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
