"""The scrubber on the SDK's own spans, log records and metrics, checked in the OTLP bytes that
would leave: links, status descriptions, exception events, nested log data, dict log bodies,
header tuples, metric attributes and the metric resource."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from opentelemetry._logs import LogRecord
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Status, StatusCode

from connect_otel._scrubbing import REDACTED, Scrubber
from connect_otel._scrubbing_exporters import ScrubbingMetricExporter

SECRET = "s3cr3t_7d6c5b"
RESOURCE = Resource.create({"deploy.db_password": SECRET, "service.name": "shop"})


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def finished(provider: TracerProvider, exporter: InMemorySpanExporter) -> ReadableSpan:
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("parent") as parent:
        link = Link(
            parent.get_span_context(),
            {"password": SECRET, "next_url": f"https://h/cb?token={SECRET}&page=2"},
        )
        with tracer.start_as_current_span("child", links=[link]) as child:
            message = f"Max retries exceeded with url: /cb?token={SECRET} (Caused by refusal)"
            child.record_exception(ConnectionError(message))
            child.set_status(Status(StatusCode.ERROR, f"404 for url: http://h/nf?token={SECRET}"))
            child.set_attribute("http.request.header.referer", (f"https://h/?sid={SECRET}",))
            child.set_attribute("http.response.header.location", [f"/next?otp={SECRET}"])
    (span,) = [s for s in exporter.get_finished_spans() if s.name == "child"]
    return span


def test_links_status_exceptions_and_header_tuples_are_scrubbed(
    spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    span = finished(*spans)
    assert SECRET.encode() in encode_spans([span]).SerializeToString(), "the test's secrets"
    scrubbed = Scrubber().span(span)

    assert SECRET.encode() not in encode_spans([scrubbed]).SerializeToString()
    (link,) = scrubbed.links
    assert dict(link.attributes or {}) == {
        "password": REDACTED,
        "next_url": f"https://h/cb?token={REDACTED}&page=2",
    }
    assert scrubbed.status.description == f"404 for url: http://h/nf?token={REDACTED}"
    (event,) = scrubbed.events
    assert f"/cb?token={REDACTED} (Caused by refusal)" in str(event.attributes["exception.message"])
    assert scrubbed.attributes["http.request.header.referer"] == (f"https://h/?sid={REDACTED}",)
    assert scrubbed.attributes["http.response.header.location"] == (f"/next?otp={REDACTED}",)
    assert scrubbed.resource.attributes["deploy.db_password"] == REDACTED


def emitted(
    body: object, attributes: dict[str, object], resource: Resource = RESOURCE
) -> ReadableLogRecord:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=resource)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger("test").emit(LogRecord(body=body, attributes=attributes))  # type: ignore[arg-type]
    provider.shutdown()
    (record,) = exporter.get_finished_logs()
    return record


def test_nested_log_data_and_dict_bodies_are_scrubbed() -> None:
    record = emitted(
        {"event": "login", "password": SECRET, "next": {"api_key": SECRET}},
        {
            "config": {"db_password": SECRET, "pool": 5},
            "headers": [["Authorization", f"Bearer {SECRET}"], ["Accept", "text/html"]],
            "dsn": f"https://{SECRET}@o1.ingest.sentry.io/5",
        },
    )
    assert SECRET.encode() in encode_logs([record]).SerializeToString()
    scrubbed = Scrubber().log_record(record)

    assert SECRET.encode() not in encode_logs([scrubbed]).SerializeToString()
    assert scrubbed.log_record.body == {
        "event": "login",
        "password": REDACTED,
        "next": {"api_key": REDACTED},
    }
    attributes = dict(scrubbed.log_record.attributes or {})
    assert attributes["config"] == {"db_password": REDACTED, "pool": 5}
    assert attributes["headers"] == (("Authorization", REDACTED), ("Accept", "text/html"))
    assert attributes["dsn"] == "https://o1.ingest.sentry.io/5"
    assert record.log_record.body["password"] == SECRET, "the original is left alone"  # type: ignore[index]


def test_log_bodies_that_libraries_write_have_their_urls_scrubbed() -> None:
    record = emitted(f'HTTP Request: GET http://h/hx?api_key={SECRET} "HTTP/1.1 200 OK"', {})
    scrubbed = Scrubber().log_record(record)
    assert scrubbed.log_record.body == (
        f'HTTP Request: GET http://h/hx?api_key={REDACTED} "HTTP/1.1 200 OK"'
    )
    plain = emitted("order 42 shipped", {}, Resource.create({"service.name": "shop"}))
    assert Scrubber().log_record(plain) is plain


def test_text_without_a_url_sign_is_left_at_once_and_repeated_text_is_remembered() -> None:
    scrubber = Scrubber()
    assert scrubber.text("nothing to see here") == "nothing to see here"
    assert scrubber._texts == {}
    retrying = f"Retrying (Retry(total=2)) after connection broken by 'x': /cb?token={SECRET}"
    assert scrubber.text(retrying).endswith(f"/cb?token={REDACTED}")
    assert scrubber._texts == {retrying: retrying.replace(SECRET, REDACTED)}
    assert scrubber.text("SELECT a FROM t WHERE b = ?") == "SELECT a FROM t WHERE b = ?"


def test_metric_attributes_and_the_metric_resource_are_scrubbed() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=RESOURCE)
    counter = provider.get_meter("test").create_counter("calls")
    counter.add(1, {"db_password": SECRET, "url.full": f"https://h/?token={SECRET}", "ok": "y"})
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    assert SECRET.encode() in encode_metrics(data).SerializeToString()

    scrubbed = Scrubber().metrics(data)
    assert SECRET.encode() not in encode_metrics(scrubbed).SerializeToString()
    (resource_metrics,) = scrubbed.resource_metrics
    assert resource_metrics.resource.attributes["deploy.db_password"] == REDACTED
    (point,) = resource_metrics.scope_metrics[0].metrics[0].data.data_points
    assert dict(point.attributes or {}) == {
        "db_password": REDACTED,
        "url.full": f"https://h/?token={REDACTED}",
        "ok": "y",
    }


class Kept(MetricExporter):
    def __init__(self) -> None:
        super().__init__(preferred_temporality={Counter: AggregationTemporality.DELTA})
        self.batches: list[MetricsData] = []

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: object
    ) -> MetricExportResult:
        self.batches.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: object) -> None:
        pass


def test_the_metric_exporter_wrapper_keeps_the_exporters_temporality() -> None:
    """The reader takes temporality from its exporter's private attributes, which the wrapper
    passes on: if the SDK renames them, the counter below turns cumulative and this fails."""
    inner = Kept()
    reader = PeriodicExportingMetricReader(
        ScrubbingMetricExporter(inner, Scrubber()), export_interval_millis=3_600_000
    )
    provider = MeterProvider(metric_readers=[reader], resource=RESOURCE)
    counter = provider.get_meter("test").create_counter("calls")
    for _ in range(2):
        counter.add(1, {"password": SECRET})
        reader.force_flush()
    provider.shutdown()
    sums = [
        metric.data
        for batch in inner.batches
        for resource_metrics in batch.resource_metrics
        for scope_metrics in resource_metrics.scope_metrics
        for metric in scope_metrics.metrics
    ]
    assert [s.aggregation_temporality for s in sums[:2]] == [AggregationTemporality.DELTA] * 2
    assert [s.data_points[0].value for s in sums[:2]] == [1, 1]
    assert SECRET.encode() not in encode_metrics(inner.batches[0]).SerializeToString()


@pytest.mark.parametrize("piece", ["?token", "?token=", "//a@", "a=b;", " ?a=1", "%3Ftoken%3D"])
def test_hostile_text_of_100_kb_is_scrubbed_in_linear_time(piece: str) -> None:
    hostile = piece * (100_000 // len(piece))
    started = time.perf_counter()
    Scrubber().text(hostile)
    Scrubber().url(hostile)
    Scrubber().query(hostile)
    assert time.perf_counter() - started < 1.0
