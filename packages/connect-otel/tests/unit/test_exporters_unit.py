"""Connect's exporters in-process, against the real receiver over real HTTP."""

from __future__ import annotations

import logging
from typing import Protocol

import pytest
import requests
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _exporters
from connect_otel.settings import Settings, resolve
from connect_testkit.receiver import Receiver

TOKEN = "test-token"
BAD = "\udcff"


@pytest.fixture
def settings(receiver: Receiver) -> Settings:
    return resolve({"export_url": receiver.url, "export_token": TOKEN}, environ={})


class Shutdown(Protocol):
    def __init__(self, *, endpoint: str, session: requests.Session) -> None: ...

    def shutdown(self) -> None: ...


class WatchedSession(requests.Session):
    """A real session that notes whether instrumentation was suppressed when it was closed."""

    closed_suppressed: bool | None = None

    def close(self) -> None:
        self.closed_suppressed = not is_instrumentation_enabled()
        super().close()


@pytest.mark.parametrize(
    "exporter_class",
    [_exporters.SpanExporter, _exporters.MetricExporter, _exporters.LogExporter],
    ids=["spans", "metrics", "logs"],
)
def test_exporter_shutdown_runs_where_the_log_bridge_skips_records(
    receiver: Receiver, exporter_class: type[Shutdown]
) -> None:
    # The SDK calls exporters' shutdown outside its own suppression: whatever closing the
    # connection logs must not be exported.
    session = WatchedSession()
    exporter_class(endpoint=f"{receiver.url}/v1/any", session=session).shutdown()
    assert session.closed_suppressed is True
    assert is_instrumentation_enabled(), "only for the duration of the shutdown"


def test_a_span_batch_with_a_lone_surrogate_arrives_whole(
    settings: Settings, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "files"}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("files")
    for name in ("before", f"open {BAD}.txt", "after"):
        with tracer.start_as_current_span(name):
            pass
    exporter = _exporters.span_exporter(settings)
    with caplog.at_level(logging.WARNING, "connect_otel"):
        assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
    assert [span.name for span in receiver.spans()] == ["before", "open \ufffd.txt", "after"]
    assert "with U+FFFD in a batch of 3 spans" in caplog.text
    assert len(receiver.requests()) == 1, "written once, never refused and sent again"
    exporter.shutdown()
    provider.shutdown()


def test_a_log_batch_with_a_lone_surrogate_arrives_whole(
    settings: Settings, receiver: Receiver
) -> None:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({"service.name": "files"}), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("files")
    for body in ("before", f"file {BAD}.txt", "after"):
        logger.emit(body=body)
    exporter = _exporters.log_exporter(settings)
    assert exporter.export(memory.get_finished_logs()) is LogRecordExportResult.SUCCESS
    assert [log.body for log in receiver.logs()] == ["before", "file \ufffd.txt", "after"]
    exporter.shutdown()
    provider.shutdown()


def test_a_clean_batch_is_sent_once(settings: Settings, receiver: Receiver) -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("clean").start_as_current_span("clean"):
        pass
    exporter = _exporters.span_exporter(settings)
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
    assert [r.path for r in receiver.requests()] == ["/v1/traces"]
    exporter.shutdown()
    provider.shutdown()
