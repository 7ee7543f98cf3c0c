"""Exporters that scrub each batch of log records and metrics on the export thread, then hand it
to the OTLP exporter (spans are scrubbed as one of `_span_steps`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData

from connect_otel._pacing import Paced
from connect_otel._scrubbing import Scrubber


class ScrubbingLogExporter(LogRecordExporter):
    def __init__(self, exporter: LogRecordExporter, scrubber: Scrubber) -> None:
        self._exporter = exporter
        self._scrubber = scrubber

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return self._exporter.export([self._scrubber.log_record(record) for record in Paced(batch)])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class ScrubbingMetricExporter(MetricExporter):
    def __init__(self, exporter: MetricExporter, scrubber: Scrubber) -> None:
        # The reader asks its exporter for these (PeriodicExportingMetricReader.__init__), so
        # the wrapper passes the OTLP exporter's on; a unit test notices if the SDK renames them.
        super().__init__(
            preferred_temporality=exporter._preferred_temporality,
            preferred_aggregation=exporter._preferred_aggregation,
        )
        self._exporter = exporter
        self._scrubber = scrubber

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        scrubbed = self._scrubber.metrics(metrics_data)
        return self._exporter.export(scrubbed, timeout_millis=timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._exporter.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._exporter.shutdown(timeout_millis=timeout_millis, **kwargs)
