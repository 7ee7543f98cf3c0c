"""The contrib ASGI middleware's server spans set each attribute once: the same span is
exported, with less work. The first two tests fail if the SDK's tracer stops making the private
span class Connect subclasses (or keeping its attributes in a dict), or if the middleware stops
setting its attributes twice."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider, _Span
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from connect_otel._asgi_server_spans import AsgiTracerProvider, SetOnceSpan

SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/items/42",
    "raw_path": b"/items/42",
    "query_string": b"page=2",
    "root_path": "",
    "headers": [(b"host", b"shop.example:8000"), (b"user-agent", b"test/1")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def provider() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def serve(tracer_provider: Any) -> None:
    middleware = OpenTelemetryMiddleware(
        app, tracer_provider=tracer_provider, exclude_spans=["receive", "send"]
    )

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    asyncio.run(middleware(dict(SCOPE), receive, send))


def server_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER]
    return span


def test_the_sdks_tracer_makes_the_span_class_connect_subclasses(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, _ = provider
    assert type(tracer_provider.get_tracer("t").start_span("s", kind=SpanKind.SERVER)) is _Span
    tracer = AsgiTracerProvider(tracer_provider).get_tracer("t")
    span = tracer.start_span("s", kind=SpanKind.SERVER, attributes={"a": 1})
    assert type(span) is SetOnceSpan
    assert type(tracer.start_span("s", kind=SpanKind.INTERNAL)) is _Span
    # The dict SetOnceSpan reads the current value from.
    assert span._attributes._dict == {"a": 1}  # type: ignore[union-attr]


def test_the_middleware_still_sets_its_attributes_a_second_time(
    provider: tuple[TracerProvider, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    tracer_provider, _ = provider
    same_again: list[str] = []
    set_attribute = _Span.set_attribute

    def counting(span: _Span, key: str, value: Any) -> None:
        if (span.attributes or {}).get(key, object()) == value:
            same_again.append(key)
        set_attribute(span, key, value)

    monkeypatch.setattr(_Span, "set_attribute", counting)
    serve(tracer_provider)
    assert len(same_again) >= 5, "the middleware no longer sets its attributes twice"
    same_again.clear()
    serve(AsgiTracerProvider(tracer_provider))
    assert same_again == []


def test_the_exported_span_is_the_one_the_sdk_would_export(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    serve(tracer_provider)
    expected = server_span(exporter)
    exporter.clear()
    serve(AsgiTracerProvider(tracer_provider))
    span = server_span(exporter)
    attributes, expected_attributes = span.attributes or {}, expected.attributes or {}
    assert list(attributes.items()) == list(expected_attributes.items())
    assert len(attributes) >= 8
    assert (span.name, span.kind, span.status.status_code) == (
        expected.name,
        expected.kind,
        expected.status.status_code,
    )


def test_a_different_value_or_type_is_set_and_an_ended_span_takes_nothing(
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    tracer = AsgiTracerProvider(tracer_provider).get_tracer("t")
    span = tracer.start_span("s", kind=SpanKind.SERVER, attributes={"a": 1, "b": "x"})
    span.set_attribute("a", True)
    span.set_attribute("b", "y")
    span.set_attribute("c", 2.5)
    span.end()
    span.set_attribute("c", 3.5)
    (finished,) = exporter.get_finished_spans()
    attributes = finished.attributes or {}
    assert dict(attributes) == {"a": True, "b": "y", "c": 2.5}
    assert type(attributes["a"]) is bool


def test_connects_fastapi_and_starlette_set_up_hand_the_middleware_this_tracer() -> None:
    # In a process of its own: init_app installs Connect's providers for the whole process.
    program = """
import sys
from fastapi import FastAPI
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
import connect_otel.starlette
from connect_otel import _asgi_server_spans

kinds = []
for app in (FastAPI(), Starlette()):
    assert connect_otel.starlette.init_app(
        app, export_url="http://127.0.0.1:9", export_token="t", metrics_interval=3600
    )
    layer = app.build_middleware_stack()
    while not isinstance(layer, OpenTelemetryMiddleware):
        layer = layer.app
    kinds.append(type(layer.tracer) is _asgi_server_spans._Tracer)
print(kinds)
"""
    ran = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout.strip() == "[True, True]", ran.stderr
