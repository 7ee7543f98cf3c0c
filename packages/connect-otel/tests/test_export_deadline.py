"""Connect's exporters against endpoints that misbehave on the wire: one that trickles its answer
a byte at a time, and one that redirects elsewhere. Real exporters, real receivers, real HTTP."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _exporters
from connect_otel.settings import Settings, resolve
from connect_testkit.receiver import Receiver

TOKEN = "test-token"
# What the deadline may overrun by: closing the connection and the SDK's bookkeeping.
MARGIN = 0.5


def _settings(url: str, timeout: float = 1.0) -> Settings:
    return resolve(
        {"export_url": url, "export_token": TOKEN, "export_timeout": timeout}, environ={}
    )


def _spans() -> Any:
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("deadline").start_as_current_span("deadline"):
        pass
    provider.shutdown()
    return memory.get_finished_spans()


def _metrics() -> Any:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    provider.get_meter("deadline").create_counter("deadline").add(1)
    data = reader.get_metrics_data()
    provider.shutdown()
    return data


def _logs() -> Any:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.get_logger("deadline").emit(body="deadline")
    provider.shutdown()
    return memory.get_finished_logs()


Signal = tuple[Callable[[Settings], Any], Callable[[], Any], str]
SIGNALS: dict[str, Signal] = {
    "spans": (_exporters.span_exporter, _spans, "/v1/traces"),
    "metrics": (_exporters.metric_exporter, _metrics, "/v1/metrics"),
    "logs": (_exporters.log_exporter, _logs, "/v1/logs"),
}


@pytest.fixture
def other_host() -> Iterator[Receiver]:
    with Receiver(token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("signal", SIGNALS)
def test_an_export_to_a_trickling_endpoint_ends_at_its_deadline(
    receiver: Receiver, signal: str
) -> None:
    # Each read gets a byte within the per-read timeout; only a deadline for the whole export
    # stops it.
    make, batch, path = SIGNALS[signal]
    receiver.set_fault("trickle", delay=0.2)
    exporter = make(_settings(receiver.url, timeout=1.0))
    result, took = _timed(lambda: exporter.export(batch()), receiver)
    exporter.shutdown()
    assert 1.0 <= took < 1.0 + MARGIN, f"took {took:.2f}s"
    assert result.name == "FAILURE"
    assert [r.path for r in receiver.requests()] == [path]


def _timed(export: Callable[[], Any], receiver: Receiver) -> tuple[Any, float]:
    """Runs `export` on its own thread; one still running after 5 s fails the test (and is
    let go by ending the receiver's fault)."""
    outcome: list[Any] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: outcome.append(export()), daemon=True)
    worker.start()
    worker.join(5.0)
    took = time.monotonic() - started
    if worker.is_alive():
        receiver.set_fault(None)
        worker.join(5.0)
        pytest.fail(f"the export was still running after {took:.1f}s")
    return outcome[0], took


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_deadlines_leave_no_thread_or_socket_behind(receiver: Receiver) -> None:
    receiver.set_fault("trickle", delay=0.1)
    exporter = _exporters.span_exporter(_settings(receiver.url, timeout=0.5))
    spans = _spans()
    _timed(lambda: exporter.export(spans), receiver)  # the watchdog thread starts here
    threads, descriptors = threading.active_count(), _open_descriptors()
    for _ in range(4):
        assert _timed(lambda: exporter.export(spans), receiver)[0] is SpanExportResult.FAILURE
    receiver.set_fault(None)  # ends the receiver's own trickling handlers
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and threading.active_count() > threads:
        time.sleep(0.05)
    assert threading.active_count() <= threads
    assert _open_descriptors() <= descriptors
    assert [t.name for t in threading.enumerate()].count("connect-otel-deadline") == 1
    exporter.shutdown()


def test_a_quick_endpoint_is_unaffected(receiver: Receiver) -> None:
    exporter = _exporters.span_exporter(_settings(receiver.url, timeout=0.5))
    for _ in range(3):  # one kept-alive connection, past the first deadline
        assert exporter.export(_spans()) is SpanExportResult.SUCCESS
        time.sleep(0.3)
    assert len(receiver.spans()) == 3
    exporter.shutdown()


@pytest.mark.parametrize("status", ["302", "307"])
@pytest.mark.parametrize("signal", SIGNALS)
def test_a_redirect_is_not_followed_with_the_token_and_is_named(
    receiver: Receiver,
    other_host: Receiver,
    signal: str,
    status: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make, batch, path = SIGNALS[signal]
    elsewhere = f"{other_host.url}{path}"
    receiver.set_fault(status, location=elsewhere)
    exporter = make(_settings(receiver.url))
    with caplog.at_level(logging.WARNING, "connect_otel"):
        exporter.export(batch())
    exporter.shutdown()
    assert [(r.path, r.status) for r in receiver.requests()] == [(path, int(status))]
    assert other_host.requests() == []
    assert f"answered HTTP {status}, pointing to {elsewhere}" in caplog.text
