"""The OTLP/HTTP exporters Connect uses.

Everything logged while an export runs (the exporter's own warnings, urllib3's connection errors)
is about Connect itself: the log bridge skips it, or a failing endpoint would feed itself. The
SDK's processors and metric reader already export inside `suppress_instrumentation`, on their own
threads and on the caller's for force_flush; the exporters' shutdown is the one step they call
outside it, so that is the one these mark.

They gzip at level 1, not the SDK's level 9: a third of the CPU for bodies about 4% larger. They
encode span and log batches with Connect's own writer (`_otlp_encoding.py`, `_otlp_writer.py`), a
third of the SDK's encoder's cost, paced (`_pacing.py`), so that encoding never holds a request
up for long. The writer turns lone surrogates into U+FFFD, where the SDK's encoder would fail.

`CONNECT_EXPORT_TIMEOUT` is a wall-clock deadline for one whole export, retries included
(`_deadline.py`); the SDK's own timeout bounds only each socket operation. They never follow a
redirect: the SDK's transport does not, and the token must not go where the endpoint points.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Sequence
from typing import Any

import requests
from opentelemetry.exporter.otlp.common import http as sdk_http
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.utils import suppress_instrumentation
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

from connect_otel import _deadline, _otlp_encoding
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

# For exporters made directly rather than from settings; the settings' default is the same.
DEFAULT_TIMEOUT = 10.0

# The ingest side expects deltas: each export carries only what happened since the last one.
DELTA_TEMPORALITY: dict[type, AggregationTemporality] = {
    Counter: AggregationTemporality.DELTA,
    UpDownCounter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.DELTA,
    ObservableUpDownCounter: AggregationTemporality.DELTA,
}


class _FastGzipClient(sdk_http._OTLPHTTPClient):
    # The SDK compresses every body in this private method, at gzip's default level 9; a unit
    # test fails if it stops calling it or renames it.
    def _compress(self, serialized_data: bytes) -> bytes:
        if self._compression is sdk_http.Compression.GZIP:
            return gzip.compress(serialized_data, compresslevel=1, mtime=0)
        return super()._compress(serialized_data)


def _compress_fast(exporter: OTLPSpanExporter | OTLPMetricExporter | OTLPLogExporter) -> None:
    exporter._client.__class__ = _FastGzipClient


class SpanExporter(OTLPSpanExporter):
    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._export_seconds = timeout
        _compress_fast(self)
        _otlp_encoding.install()
        self._encoder = _otlp_encoding.Encoder()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with _deadline.deadline(self._export_seconds):
            return super().export(self._encoder.spans(spans))

    def shutdown(self) -> None:
        with suppress_instrumentation():
            super().shutdown()  # type: ignore[no-untyped-call]


class MetricExporter(OTLPMetricExporter):
    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._export_seconds = timeout
        _compress_fast(self)

    def export(
        self, metrics_data: MetricsData, timeout_millis: float | None = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        with _deadline.deadline(self._export_seconds):
            return super().export(metrics_data, timeout_millis, **kwargs)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        with suppress_instrumentation():
            super().shutdown(timeout_millis, **kwargs)


class LogExporter(OTLPLogExporter):
    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self._export_seconds = timeout
        _compress_fast(self)
        _otlp_encoding.install()
        self._encoder = _otlp_encoding.Encoder()

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        with _deadline.deadline(self._export_seconds):
            return super().export(self._encoder.logs(batch))

    def shutdown(self) -> None:
        with suppress_instrumentation():
            super().shutdown()  # type: ignore[no-untyped-call]


def _warn_of_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # The SDK counts any 3xx as delivered; without this, a redirecting endpoint fails silently.
    if response.is_redirect:
        logger.warning(
            "The endpoint answered HTTP %d, pointing to %s; Connect does not follow redirects "
            "(the token would go along), so nothing was delivered. Set CONNECT_EXPORT_URL to "
            "the endpoint itself.",
            response.status_code,
            response.headers.get("Location", "nowhere"),
        )


def _common(settings: Settings, signal: str) -> dict[str, Any]:
    session = _deadline.session()
    session.hooks["response"].append(_warn_of_redirect)
    return {
        "endpoint": f"{settings.export_url}/v1/{signal}",
        "headers": {"Authorization": f"Bearer {settings.export_token}"},
        "compression": Compression.Gzip,
        "timeout": settings.export_timeout,
        "session": session,
    }


def span_exporter(settings: Settings) -> SpanExporter:
    return SpanExporter(**_common(settings, "traces"))


def metric_exporter(settings: Settings) -> MetricExporter:
    return MetricExporter(**_common(settings, "metrics"), preferred_temporality=DELTA_TEMPORALITY)


def log_exporter(settings: Settings) -> LogExporter:
    return LogExporter(**_common(settings, "logs"))
