"""`server.address` as the HTTP conventions want it on server spans: the host alone, its port in
`server.port`.

The contrib WSGI and ASGI instrumentations (Flask, Django, FastAPI, Starlette) copy the `Host`
header whole, `127.0.0.1:8000` included. Each batch is corrected on the export thread, where it
costs a request nothing; only the server spans whose address carries a port are copied.
"""

from __future__ import annotations

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv.attributes.server_attributes import SERVER_ADDRESS, SERVER_PORT
from opentelemetry.trace import SpanKind

from connect_otel._fast_reads import span_attributes
from connect_otel._span_copy import copy_span


def split_host(value: str) -> tuple[str, int | None] | None:
    """`host:port` -> (host, port), `[::1]:80` -> ("::1", 80), `[::1]` -> ("::1", None); None
    when `value` is already a bare host (or not a host at all)."""
    if value.startswith("["):
        end = value.find("]")
        if end == -1:
            return None
        host, rest = value[1:end], value[end + 1 :]
        if not rest:
            return host, None
        port = rest[1:]
        return (host, int(port)) if rest[0] == ":" and port.isdigit() else None
    host, colon, port = value.rpartition(":")
    if not colon or ":" in host or not port.isdigit():
        return None
    return host, int(port)


def server_span_address(span: ReadableSpan) -> ReadableSpan:
    """`span` itself, or a copy with its address split when it is a server span's `host:port`."""
    if span.kind is not SpanKind.SERVER:
        return span
    readable = span_attributes(span)
    address = readable.get(SERVER_ADDRESS)
    split = split_host(address) if isinstance(address, str) else None
    if split is None:
        return span
    host, port = split
    attributes = {**readable, SERVER_ADDRESS: host}
    if port is not None:
        attributes[SERVER_PORT] = port
    return copy_span(span, attributes=attributes)
