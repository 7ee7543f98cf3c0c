"""A full export queue (`_queue_drops`): Connect's processors drop the new item before the SDK
works on it, count every drop and say how many, where the SDK's push out the oldest and log a
line for each."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from connect_otel._queue_drops import LogRecordBatches, QueueDrops, SpanBatches

QUEUE_SIZE = 4
MADE = 30
SDK_LOGGER = "opentelemetry.sdk._shared_internal"


class StuckSpans(SpanExporter):
    """An endpoint that takes nothing until released: the queue fills behind the first span."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.names: list[str] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10)
        self.names.extend(span.name for span in spans)
        return SpanExportResult.SUCCESS


class StuckLogs(LogRecordExporter):
    def __init__(self) -> None:
        self.release = threading.Event()
        self.bodies: list[str] = []

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        self.release.wait(10)
        self.bodies.extend(str(record.log_record.body) for record in batch)
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


@pytest.fixture(autouse=True)
def small_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    for prefix in ("OTEL_BSP", "OTEL_BLRP"):
        monkeypatch.setenv(f"{prefix}_MAX_QUEUE_SIZE", str(QUEUE_SIZE))
        monkeypatch.setenv(f"{prefix}_MAX_EXPORT_BATCH_SIZE", "1")


def end_spans(processor: BatchSpanProcessor) -> None:
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    for index in range(MADE):
        tracer.start_span(f"span {index}").end()


def emit_logs(processor: BatchLogRecordProcessor) -> None:
    provider = LoggerProvider()
    provider.add_log_record_processor(processor)
    otel_logger = provider.get_logger("test")
    for index in range(MADE):
        otel_logger.emit(body=f"record {index}")


def sdk_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == SDK_LOGGER and record.levelno == logging.WARNING
    ]


def connect_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "connect_otel"]


def said_count(line: str) -> int:
    return int(line.split()[2].replace(",", ""))


def test_the_sdk_pushes_out_the_oldest_and_logs_each_drop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What Connect's processors change, as the SDK does it: if this fails, look again at them."""
    exporter = StuckSpans()
    processor = BatchSpanProcessor(exporter)
    with caplog.at_level(logging.INFO):
        end_spans(processor)
    exporter.release.set()
    processor.shutdown()
    assert exporter.names[-QUEUE_SIZE:] == [f"span {index}" for index in range(26, 30)]
    assert len(sdk_warnings(caplog)) == 1 and "Queue full" in sdk_warnings(caplog)[0]


def test_a_full_span_queue_drops_the_new_span_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = StuckSpans()
    processor = SpanBatches(exporter)
    with caplog.at_level(logging.INFO):
        end_spans(processor)
        assert connect_lines(caplog) == [
            "Connect dropped 1 span: its export queue of 4 is full, because the endpoint is "
            "slower than the app or failing. Later drops are counted here at most once every 60 s"
        ]
        processor.drops.report_unreported()
    exporter.release.set()
    processor.shutdown()
    # What stays is what came first: the span with the exporter, then the queue's.
    kept = len(exporter.names)
    assert exporter.names == [f"span {index}" for index in range(kept)]
    assert kept in (QUEUE_SIZE, QUEUE_SIZE + 1)
    assert sum(said_count(line) for line in connect_lines(caplog)) == MADE - kept
    assert not sdk_warnings(caplog)


def test_a_full_log_queue_drops_the_new_record_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    exporter = StuckLogs()
    processor = LogRecordBatches(exporter)
    with caplog.at_level(logging.INFO):
        emit_logs(processor)
        processor.drops.report_unreported()
    exporter.release.set()
    processor.shutdown()
    kept = len(exporter.bodies)
    assert exporter.bodies == [f"record {index}" for index in range(kept)]
    said = connect_lines(caplog)
    assert said[0].startswith("Connect dropped 1 log record: its export queue of 4 is full")
    assert said[1].startswith(f"Connect dropped {MADE - kept - 1} log records in the last ")
    assert not sdk_warnings(caplog)


def test_the_sdks_own_count_still_reaches_its_internal_metrics(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED", "true")
    reader = InMemoryMetricReader()
    monkeypatch.setattr(
        "opentelemetry.sdk.trace.export.get_meter_provider",
        lambda: MeterProvider(metric_readers=[reader]),
    )
    exporter = StuckSpans()
    processor = SpanBatches(exporter)
    with caplog.at_level(logging.INFO):
        end_spans(processor)
        processor.drops.report_unreported()
    exporter.release.set()
    processor.shutdown()
    said = sum(said_count(line) for line in connect_lines(caplog))
    data = reader.get_metrics_data()
    assert data is not None
    points = [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "otel.sdk.processor.span.processed"
        for point in metric.data.data_points
        if isinstance(point, NumberDataPoint)
    ]
    by_error = {(point.attributes or {}).get("error.type"): point.value for point in points}
    assert by_error == {"queue_full": said, None: MADE - said}


def test_a_drop_the_sdk_makes_itself_is_counted_too(caplog: pytest.LogCaptureFixture) -> None:
    """Two threads may both find the last place free: the SDK then pushes out the oldest."""
    exporter = StuckSpans()
    processor = SpanBatches(exporter)
    with caplog.at_level(logging.INFO):
        processor._batch_processor._metrics.drop_items(3)
    exporter.release.set()
    processor.shutdown()
    assert connect_lines(caplog) == [
        "Connect dropped 3 spans: its export queue of 4 is full, because the endpoint is slower "
        "than the app or failing. Later drops are counted here at most once every 60 s"
    ]


def test_drops_are_said_at_most_once_a_period(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    processor = BatchLogRecordProcessor(StuckLogs())
    drops = QueueDrops(processor._batch_processor, "log records", clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        drops.drop_items(1)
        for second in range(1, 60):
            now[0] = 100.0 + second
            drops.drop_items(1)
            drops.drop_items(1, "already_shutdown")  # not a full queue's: not counted
        assert len(connect_lines(caplog)) == 1
        now[0] = 160.0
        drops.drop_items(1)
        drops.report_unreported()  # nothing since that line: nothing said
        now[0] = 170.0
        drops.drop_items(2)
        drops.report_unreported()
    processor.shutdown()
    assert connect_lines(caplog)[1:] == [
        "Connect dropped 60 log records in the last 60 s: its export queue of 4 was full",
        "Connect dropped 2 log records in the last 10 s: its export queue of 4 was full",
    ]
