"""The HTTP server metrics Connect records for WSGI apps, read back from an SDK metric reader."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
from opentelemetry.metrics import Meter, NoOpMeterProvider
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.util.http import sanitize_method

from connect_otel._request_metrics import KNOWN_METHODS, ROUTE_KEY, RequestMetrics

Environ = dict[str, Any]


def nothing_excluded(path: str) -> bool:
    return False


App = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def environ(method: str = "GET", path: str = "/items/42") -> Environ:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
    }


def serve(app: Any, env: Environ) -> str:
    status: list[str] = []
    body = b"".join(app(env, lambda line, headers, *exc_info: status.append(line)))
    assert body == b"ok" or not status[0].startswith("2")
    return status[0]


def points(reader: InMemoryMetricReader, name: str) -> list[Any]:
    data = reader.get_metrics_data()
    if data is None:  # nothing recorded at all
        return []
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
    ]


def counted(app: App, meter: Meter, excluded: Callable[[str], bool] = nothing_excluded) -> Any:
    """Connect's middleware with every metric on, CONNECT_DEVELOPMENT_METRICS's as well."""
    return RequestMetrics(app, meter, excluded, count_in_flight=True)


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def meter(reader: InMemoryMetricReader) -> Meter:
    return MeterProvider(metric_readers=[reader]).get_meter("test")


def routed(env: Environ, start_response: Callable[..., Any]) -> list[bytes]:
    env[ROUTE_KEY] = "/items/<int:item_id>"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_duration_carries_the_route_and_the_stable_attributes(
    reader: InMemoryMetricReader, meter: Meter
) -> None:
    assert serve(counted(routed, meter), environ()) == "200 OK"
    (point,) = points(reader, "http.server.request.duration")
    assert point.count == 1
    assert dict(point.attributes) == {
        "http.request.method": "GET",
        "url.scheme": "https",
        "network.protocol.version": "1.1",
        "http.route": "/items/<int:item_id>",
        "http.response.status_code": 200,
    }
    assert point.explicit_bounds[0] == 0.005, "the conventions' advised buckets, in seconds"


@pytest.mark.parametrize(
    ("method", "recorded"),
    [("GET", "GET"), ("get", "GET"), ("PROPFIND", "_OTHER"), ("QUERY", "QUERY")],
)
def test_the_method_is_recorded_as_the_contrib_instrumentations_record_it(
    reader: InMemoryMetricReader, meter: Meter, method: str, recorded: str
) -> None:
    serve(counted(routed, meter), environ(method))
    (point,) = points(reader, "http.server.request.duration")
    assert point.attributes["http.request.method"] == recorded


@pytest.mark.parametrize("method", sorted(KNOWN_METHODS))
def test_methods_taken_without_asking_are_ones_the_contrib_sanitiser_keeps(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_PYTHON_INSTRUMENTATION_HTTP_CAPTURE_ALL_METHODS", raising=False)
    assert sanitize_method(method) == method


def test_requests_in_flight_are_counted_while_they_run(
    reader: InMemoryMetricReader, meter: Meter
) -> None:
    seen_during: list[int] = []

    def looks_at_itself(env: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        seen_during.extend(p.value for p in points(reader, "http.server.active_requests"))
        start_response("200 OK", [])
        return [b"ok"]

    serve(
        counted(looks_at_itself, meter),
        environ(method="POST"),
    )
    assert seen_during == [1]
    (after,) = points(reader, "http.server.active_requests")
    assert after.value == 0
    assert dict(after.attributes) == {"http.request.method": "POST", "url.scheme": "https"}


def test_server_errors_and_escaping_exceptions_set_error_type(
    reader: InMemoryMetricReader, meter: Meter
) -> None:
    def failing(env: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        start_response("503 Service Unavailable", [])
        return [b"down"]

    def raising(env: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        raise LookupError("gone")

    serve(counted(failing, meter), environ())
    with pytest.raises(LookupError):
        serve(
            counted(raising, meter),
            environ(method="BREW"),
        )
    errors = {
        point.attributes["http.request.method"]: point.attributes.get("error.type")
        for point in points(reader, "http.server.request.duration")
    }
    assert errors == {"GET": "503", "_OTHER": "LookupError"}, "unknown methods are folded"


class BrokenHistogram:
    def record(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("a broken metrics pipeline")


class MeterWithBrokenHistogram:
    """A real meter, except that recording a duration raises."""

    def __init__(self, meter: Meter) -> None:
        self._meter = meter

    def create_histogram(self, *args: object, **kwargs: object) -> BrokenHistogram:
        return BrokenHistogram()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._meter, name)


def test_a_failing_duration_record_never_reaches_the_request(meter: Meter) -> None:
    app = counted(routed, MeterWithBrokenHistogram(meter))  # type: ignore[arg-type]
    assert serve(app, environ()) == "200 OK"


def test_excluded_paths_are_not_measured(reader: InMemoryMetricReader, meter: Meter) -> None:
    app = counted(routed, meter, lambda path: path == "/health")
    assert serve(app, environ(path="/health")) == "200 OK"
    assert points(reader, "http.server.request.duration") == []
    serve(app, environ())
    assert len(points(reader, "http.server.request.duration")) == 1


def test_requests_in_flight_are_not_counted_unless_asked(
    reader: InMemoryMetricReader, meter: Meter
) -> None:
    serve(RequestMetrics(routed, meter, nothing_excluded, count_in_flight=False), environ())
    assert points(reader, "http.server.active_requests") == []
    assert len(points(reader, "http.server.request.duration")) == 1


def traced(app: App, meter: Meter, sampler: Sampler, spans: InMemorySpanExporter) -> Any:
    """Connect's Flask stack: the contrib WSGI middleware around the request metrics."""
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return OpenTelemetryMiddleware(
        counted(app, meter), tracer_provider=provider, meter_provider=NoOpMeterProvider()
    )


@pytest.mark.parametrize("sampler", [ALWAYS_ON, ALWAYS_OFF], ids=["sampled", "not sampled"])
def test_a_duration_links_to_its_requests_span_only_when_sampled(
    reader: InMemoryMetricReader, meter: Meter, sampler: Sampler
) -> None:
    spans = InMemorySpanExporter()
    app = traced(routed, meter, sampler, spans)
    for _ in range(2):
        serve(app, {**environ(), "SERVER_NAME": "shop.example", "SERVER_PORT": "443"})
    (point,) = points(reader, "http.server.request.duration")
    assert point.count == 2
    exported = spans.get_finished_spans()
    if sampler is ALWAYS_OFF:
        assert (exported, point.exemplars) == ((), [])
        return
    (exemplar,) = point.exemplars  # the last request in its bucket
    request_span = exported[-1].context
    assert (exemplar.trace_id, exemplar.span_id) == (request_span.trace_id, request_span.span_id)


def test_durations_are_aggregated_without_the_sdks_record(
    reader: InMemoryMetricReader, meter: Meter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("the SDK's Histogram.record, where Connect's own series should be")

    monkeypatch.setattr(Histogram, "record", refused)
    app = counted(routed, meter)
    for _ in range(3):
        assert serve(app, environ()) == "200 OK"
    (point,) = points(reader, "http.server.request.duration")
    assert point.count == 3
