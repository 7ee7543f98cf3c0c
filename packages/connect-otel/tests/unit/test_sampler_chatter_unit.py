"""ConnectSampler in-process, on a local provider with the SDK's in-memory exporter."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from connect_otel._sampling import ConnectSampler
from connect_otel.settings import resolve


def traced(**settings: object) -> tuple[trace.Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ConnectSampler(resolve(settings, environ={})))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("unit"), exporter


def names(exporter: InMemorySpanExporter) -> list[str]:
    return [span.name for span in exporter.get_finished_spans()]


def test_client_spans_outside_any_trace_are_dropped_and_kept_inside_one() -> None:
    tracer, exporter = traced()
    with tracer.start_as_current_span("LLEN", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("GET /job", kind=SpanKind.SERVER),
        tracer.start_as_current_span("SET", kind=SpanKind.CLIENT),
    ):
        pass
    with (
        tracer.start_as_current_span("a script's own work"),
        tracer.start_as_current_span("GET", kind=SpanKind.CLIENT),
    ):
        pass
    assert names(exporter) == ["SET", "GET /job", "GET", "a script's own work"]


def test_client_spans_right_under_a_producer_are_the_queues_transport() -> None:
    tracer, exporter = traced()
    with (
        tracer.start_as_current_span("GET /checkout", kind=SpanKind.SERVER),
        tracer.start_as_current_span("apply_async/tasks.add", kind=SpanKind.PRODUCER),
        tracer.start_as_current_span("LPUSH", kind=SpanKind.CLIENT),
    ):
        pass
    assert names(exporter) == ["apply_async/tasks.add", "GET /checkout"]


def test_excluded_paths_drop_server_spans_and_their_children() -> None:
    tracer, exporter = traced(excluded_paths="/health,/static/")
    for path in ("/health", "/static/app.css", "/healthcheck", "/items/1"):
        with (
            tracer.start_as_current_span(
                f"GET {path}", kind=SpanKind.SERVER, attributes={"url.path": path}
            ),
            tracer.start_as_current_span("query", kind=SpanKind.CLIENT),
        ):
            pass
    assert names(exporter) == ["query", "GET /healthcheck", "query", "GET /items/1"]


def test_rate_zero_drops_roots_and_rate_one_keeps_them() -> None:
    for rate, expected in ((0.0, []), (1.0, ["root"])):
        tracer, exporter = traced(trace_sample_rate=rate)
        with tracer.start_as_current_span("root"):
            pass
        assert names(exporter) == expected
