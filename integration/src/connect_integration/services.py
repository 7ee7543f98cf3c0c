"""The whole-app example running for real: service A (`frontend`, Flask under gunicorn) calls
service B (`downstream`, another gunicorn), caches in a throwaway Redis and sends Celery tasks
to a prefork worker; every process exports to the given receiver. The tests and the demo's
whole-app tour start it the same way."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from connect_integration.redis import redis_server
from connect_testkit.ports import free_port
from connect_testkit.receiver import Receiver, Span
from connect_testkit.scripts import clean_environ
from connect_testkit.servers import Server, gunicorn, run_server

SERVICES = Path(__file__).parents[2] / "apps" / "services"


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert time.monotonic() < deadline, f"the worker never said {text!r}:\n" + self.output()
            time.sleep(0.1)

    def stop(self) -> float:
        """Warm shutdown by SIGTERM, as a process manager stops a worker; returns the seconds
        it took. Stop it idle: Celery's prefork pool can hang in warm shutdown when the signal
        lands while a task is being received (with or without Connect)."""
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the worker did not stop:\n" + self.output()) from None
        return time.monotonic() - started


@dataclass
class WholeApp:
    frontend: Server
    downstream: Server
    worker: Worker
    redis_url: str


def start_worker(env: Mapping[str, str], log: Path) -> Worker:
    """A Celery worker on the prefork pool with one child; returns once it is ready."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "--pool", "prefork",
             "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            cwd=SERVICES, env=dict(env), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    worker = Worker(process, log)
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError("the worker did not start:\n" + worker.output())
        time.sleep(0.2)
    return worker


@contextmanager
def whole_app(export: Mapping[str, str], workdir: Path) -> Iterator[WholeApp]:
    """Runs every process of the example with the `export` settings (CONNECT_*, OTEL_*); each
    process gets its own CONNECT_SERVICE_NAME."""
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server())
        common = {**export, "PYTHONPATH": str(SERVICES), "REDIS_URL": redis_url}
        port_b, port_a = free_port(), free_port()
        env_b = clean_environ(**common, CONNECT_SERVICE_NAME="downstream")
        downstream = stack.enter_context(
            run_server(gunicorn("downstream:app", port_b), env_b, port_b, SERVICES)
        )
        env_a = clean_environ(
            **common, CONNECT_SERVICE_NAME="frontend", DOWNSTREAM_URL=downstream.url
        )
        frontend = stack.enter_context(
            run_server(gunicorn("frontend:app", port_a), env_a, port_a, SERVICES)
        )
        worker = start_worker(
            clean_environ(**common, CONNECT_SERVICE_NAME="worker"), workdir / "worker.log"
        )
        stack.callback(_kill_if_running, worker.process)
        yield WholeApp(frontend, downstream, worker, redis_url)


def _kill_if_running(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


def trace_tree(receiver: Receiver, trace_id: str) -> list[str]:
    """The trace's spans as an indented tree: name, service, duration."""
    spans = sorted(
        (s for s in receiver.spans() if s.trace_id == trace_id), key=lambda s: s.start_ns
    )
    ids = {s.span_id for s in spans}
    children: dict[str, list[Span]] = {}
    for span in spans:
        parent = span.parent_span_id if span.parent_span_id in ids else ""
        children.setdefault(parent, []).append(span)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for span in children.get(parent, []):
            took = (span.end_ns - span.start_ns) / 1e6
            label = f"{'  ' * depth}{span.name} ({span.kind.lower()})"
            lines.append(f"{label:<52} {span.resource.get('service.name', '?'):<11} {took:8.1f} ms")
            walk(span.span_id, depth + 1)

    walk("", 0)
    return lines
