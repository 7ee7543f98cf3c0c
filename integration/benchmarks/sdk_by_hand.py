"""The OpenTelemetry SDK configured by hand, as its documentation shows, and Logfire: the two
alternatives every benchmark app sets up the same way before instrumenting its framework."""

from __future__ import annotations

import logging
import os

ENDPOINT = os.environ.get("BENCH_ENDPOINT", "")
HEADERS = {"Authorization": f"Bearer {os.environ.get('BENCH_TOKEN', '')}"}


def configure_sdk() -> None:
    """Traces, metrics and logs over OTLP/HTTP, the root logger bridged."""
    from opentelemetry import _logs, metrics, trace
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    resource = Resource.create({"service.name": "bench"})
    tracer_provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(1.0)))
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{ENDPOINT}/v1/traces", headers=HEADERS))
    )
    trace.set_tracer_provider(tracer_provider)
    reader = PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{ENDPOINT}/v1/metrics", headers=HEADERS)
    )
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{ENDPOINT}/v1/logs", headers=HEADERS))
    )
    _logs.set_logger_provider(logger_provider)
    logging.getLogger().addHandler(LoggingHandler(logger_provider=logger_provider))


def configure_logfire() -> None:
    """Logfire exporting over OTLP to OTEL_EXPORTER_OTLP_ENDPOINT (set by the benchmark)."""
    import logfire

    logfire.configure(send_to_logfire=False, service_name="bench", console=False)
    logging.getLogger().addHandler(logfire.LogfireLoggingHandler())
