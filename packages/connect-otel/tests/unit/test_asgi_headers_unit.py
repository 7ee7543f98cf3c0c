"""The contrib ASGI middleware's header lookups, answered from names decoded once a request
(`_asgi_headers`): the same answers as the contrib's getter, and still the ones it uses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from opentelemetry.instrumentation import asgi
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _asgi_headers
from connect_otel._asgi_headers import NamesDecodedOnce

KEYS = (
    "host",
    "Host",
    "user-agent",
    "traceparent",
    "x-dup",
    "x-\u00e9t\u00e9",
    "content-length",
    "x-absent",
    "",
)
HEADER_LISTS: list[Any] = [
    [(b"host", b"shop.example"), (b"user-agent", b"Mozilla/5.0")],
    [(b"Host", b"shop.example:8443"), (b"X-Dup", b"one"), (b"x-dup", b"two")],
    # Not UTF-8: the contrib decodes it otherwise, and so must this.
    [(b"user-agent", "caf\u00e9".encode("latin-1")), (b"x-\xe9t\xe9", b"\xff\xfe")],
    [[b"host", b"listed.example"], [b"content-length", b"12"]],
    [(b"traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01")],
    [],
]


def answers(getter: asgi.ASGIGetter, carrier: dict[str, Any]) -> list[list[str] | None]:
    return [getter.get(carrier, key) for key in KEYS]


@pytest.mark.parametrize("headers", HEADER_LISTS)
def test_the_same_answers_as_the_contribs_getter(headers: list[Any]) -> None:
    contrib, once = asgi.ASGIGetter(), NamesDecodedOnce()
    carrier = {"headers": headers}
    assert answers(once, carrier) == answers(contrib, carrier)
    # Asked again, from what it kept.
    assert answers(once, carrier) == answers(contrib, carrier)
    assert once.get({}, "host") is None and once.get({"headers": None}, "host") is None


def test_headers_changed_in_place_are_seen() -> None:
    contrib, once = asgi.ASGIGetter(), NamesDecodedOnce()
    headers: list[Any] = [[b"host", b"before.example"], (b"user-agent", b"one")]
    carrier = {"headers": headers}
    assert once.get(carrier, "host") == ["before.example"]
    headers[0][1] = b"after.example"  # the same list item, changed
    assert once.get(carrier, "host") == contrib.get(carrier, "host") == ["after.example"]
    headers[1] = (b"user-agent", b"two")  # an item replaced
    assert once.get(carrier, "user-agent") == ["two"]
    headers.append((b"x-added", b"yes"))
    assert once.get(carrier, "x-added") == ["yes"]
    del headers[:]
    assert once.get(carrier, "host") is None
    # Two scopes in turn, as two requests' lookups may interleave.
    other = {"headers": [(b"host", b"other.example")]}
    carrier["headers"] = [(b"host", b"back.example")]
    assert [once.get(other, "host"), once.get(carrier, "host")] == [
        ["other.example"],
        ["back.example"],
    ]


def test_the_middleware_looks_headers_up_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asgi, "asgi_getter", asgi.asgi_getter)  # put back afterwards
    _asgi_headers.install()
    getter = asgi.asgi_getter
    assert isinstance(getter, NamesDecodedOnce)
    _asgi_headers.install()
    assert asgi.asgi_getter is getter, "installed once"
    looked_up: list[str] = []
    original = getter.get

    def counted(carrier: dict[str, Any], key: str) -> list[str] | None:
        looked_up.append(key.lower())
        return original(carrier, key)

    monkeypatch.setattr(getter, "get", counted)
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        pass

    traced = OpenTelemetryMiddleware(
        app, tracer_provider=provider, exclude_spans=["receive", "send"]
    )
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/items/1",
        "query_string": b"",
        "headers": [
            (b"host", b"shop.example"),
            (b"user-agent", b"Mozilla/5.0"),
            (b"traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(traced(scope, receive, send))
    assert {"host", "user-agent", "traceparent"} <= set(looked_up)
    [span] = memory.get_finished_spans()
    assert span.parent is not None and span.parent.trace_id == int("a" * 32, 16)
    assert span.attributes is not None and "Mozilla/5.0" in span.attributes.values()
