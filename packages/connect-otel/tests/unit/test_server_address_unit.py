"""Server spans' `server.address` split into host and port on the export thread."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from connect_otel._server_address import server_span_address, split_host


@pytest.mark.parametrize(
    ("value", "split"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("shop.example:443", ("shop.example", 443)),
        ("[::1]:8000", ("::1", 8000)),
        ("[::1]", ("::1", None)),
        ("shop.example", None),
        ("::1", None),  # a bare IPv6 address: its last group is not a port
        ("shop.example:", None),
        ("shop.example:http", None),
        ("[::1", None),
        ("[::1]8000", None),
    ],
)
def test_split_host(value: str, split: tuple[str, int | None] | None) -> None:
    assert split_host(value) == split


def span(kind: SpanKind, address: str) -> ReadableSpan:
    attributes = {"server.address": address, "server.port": 80, "url.path": "/"}
    return ReadableSpan(name="GET /", kind=kind, attributes=attributes)


def test_a_server_spans_host_and_port_are_split_and_the_rest_kept() -> None:
    fixed = server_span_address(span(SpanKind.SERVER, "127.0.0.1:8000"))
    assert dict(fixed.attributes or {}) == {
        "server.address": "127.0.0.1",
        "server.port": 8000,
        "url.path": "/",
    }


def test_other_spans_and_bare_hosts_are_passed_on_as_they_are() -> None:
    client = span(SpanKind.CLIENT, "db.internal:5432")
    bare = span(SpanKind.SERVER, "shop.example")
    assert server_span_address(client) is client
    assert server_span_address(bare) is bare
