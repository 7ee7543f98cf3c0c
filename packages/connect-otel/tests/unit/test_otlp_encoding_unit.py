"""Connect's exporters have their batches written by Connect's writer where the SDK's exporters
encode, and any batch the writer fails on is still delivered. The first test fails if the SDK's
exporters stop encoding through the names Connect takes the place of."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import _log_exporter, trace_exporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _exporters, _otlp_encoding
from connect_otel.settings import Settings, resolve
from connect_testkit.receiver import Receiver


@pytest.fixture
def settings(receiver: Receiver) -> Settings:
    return resolve({"export_url": receiver.url, "export_token": "test-token"}, environ={})


def finished_spans(*names: str, attributes: dict[str, Any] | None = None) -> Any:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "shop"}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for name in names:
        with provider.get_tracer("encoding").start_as_current_span(name, attributes=attributes):
            pass
    return memory.get_finished_spans()


def test_the_sdks_exporters_still_encode_through_the_names_connect_takes() -> None:
    _otlp_encoding.install()
    assert {"encode_spans", "SerializePartialToString"} <= set(
        OTLPSpanExporter.export.__code__.co_names
    )
    assert {"encode_logs", "SerializeToString"} <= set(OTLPLogExporter.export.__code__.co_names)
    assert trace_exporter.encode_spans.__wrapped__ is encode_spans  # type: ignore[attr-defined]
    assert _log_exporter.encode_logs.__wrapped__ is encode_logs  # type: ignore[attr-defined]
    _otlp_encoding.install()
    assert trace_exporter.encode_spans.__wrapped__ is encode_spans, "installed once"  # type: ignore[attr-defined]


def test_every_other_batch_is_the_sdks_to_encode() -> None:
    _otlp_encoding.install()
    spans = finished_spans("elsewhere")
    assert trace_exporter.encode_spans(spans) == encode_spans(spans)
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.get_logger("elsewhere").emit(body="a record")
    records = memory.get_finished_logs()
    assert _log_exporter.encode_logs(records) == encode_logs(records)


def test_connects_exporter_sends_what_its_writer_wrote(
    settings: Settings, receiver: Receiver
) -> None:
    exporter = _exporters.span_exporter(settings)
    spans = finished_spans("GET /", "SELECT shop", attributes={"http.route": "/"})
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert [span.name for span in receiver.spans()] == ["GET /", "SELECT shop"]
    assert exporter._encoder.writer._texts, "the writer remembered the names it wrote"
    assert exporter._encoder.fallbacks == 0
    exporter.shutdown()


def test_a_batch_the_writer_fails_on_is_delivered_by_the_sdks_encoder(
    settings: Settings, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = _exporters.span_exporter(settings)
    spans: list[ReadableSpan] = list(finished_spans("fine", "odd \udcff"))
    # A value no attribute can hold, as a span copied by hand might carry: the SDK's encoder
    # leaves out that attribute alone, the writer refuses the batch.
    spans[0]._attributes = {"kept": "yes", "odd": object()}
    with caplog.at_level(logging.WARNING, "connect_otel"):
        assert exporter.export(spans) is SpanExportResult.SUCCESS
        assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter._encoder.fallbacks == 2
    assert caplog.text.count("the SDK's encoder encoded it") == 1, "logged once"
    arrived = receiver.spans()
    assert [span.name for span in arrived] == ["fine", "odd \ufffd", "fine", "odd \ufffd"]
    assert arrived[0].attributes == {"kept": "yes"}
    exporter.shutdown()
