"""The OTLP/HTTP exporters Connect uses, and the guard that marks a thread as exporting.

Everything logged while an export runs (the exporter's own warnings, urllib3's connection errors)
is about Connect itself: the log bridge skips it, or a failing endpoint would feed itself.
Exports run on the processors' threads and, for force_flush and shutdown, on the caller's thread,
so the mark is per thread and set around every export, wherever it runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import AggregationTemporality, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult

from connect_otel import _encodable
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

_thread_state = threading.local()

# The ingest side expects deltas: each export carries only what happened since the last one.
DELTA_TEMPORALITY: dict[type, AggregationTemporality] = {
    Counter: AggregationTemporality.DELTA,
    UpDownCounter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.DELTA,
    ObservableUpDownCounter: AggregationTemporality.DELTA,
}


def exporting_on_this_thread() -> bool:
    return getattr(_thread_state, "exporting", False)


@contextmanager
def exporting() -> Iterator[None]:
    previous = exporting_on_this_thread()
    _thread_state.exporting = True
    try:
        yield
    finally:
        _thread_state.exporting = previous


class SpanExporter(OTLPSpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with exporting():
            result = super().export(spans)
            if result is SpanExportResult.FAILURE:
                encodable = _encodable.spans(spans)
                if encodable is not None:
                    _log_resend("spans", len(encodable))
                    result = super().export(encodable)
            return result

    def shutdown(self) -> None:
        with exporting():
            super().shutdown()  # type: ignore[no-untyped-call]


class MetricExporter(OTLPMetricExporter):
    def export(
        self, metrics_data: MetricsData, timeout_millis: float | None = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        with exporting():
            return super().export(metrics_data, timeout_millis, **kwargs)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        with exporting():
            super().shutdown(timeout_millis, **kwargs)


class LogExporter(OTLPLogExporter):
    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        with exporting():
            result = super().export(batch)
            if result is LogRecordExportResult.FAILURE:
                encodable = _encodable.logs(batch)
                if encodable is not None:
                    _log_resend("log records", len(encodable))
                    result = super().export(encodable)
            return result

    def shutdown(self) -> None:
        with exporting():
            super().shutdown()  # type: ignore[no-untyped-call]


def _log_resend(items: str, count: int) -> None:
    # Follows the exporter's own "Failed to encode" error: nothing but those characters is lost.
    logger.warning(
        "Connect replaced text that UTF-8 cannot encode (lone surrogates) with U+FFFD and sent "
        "the batch of %d %s again",
        count,
        items,
    )


def _common(settings: Settings, signal: str) -> dict[str, Any]:
    return {
        "endpoint": f"{settings.export_url}/v1/{signal}",
        "headers": {"Authorization": f"Bearer {settings.export_token}"},
        "compression": Compression.Gzip,
        "timeout": settings.export_timeout,
    }


def span_exporter(settings: Settings) -> SpanExporter:
    return SpanExporter(**_common(settings, "traces"))


def metric_exporter(settings: Settings) -> MetricExporter:
    return MetricExporter(**_common(settings, "metrics"), preferred_temporality=DELTA_TEMPORALITY)


def log_exporter(settings: Settings) -> LogExporter:
    return LogExporter(**_common(settings, "logs"))
