"""µs per span and per log record: the SDK's OTLP encoder against Connect's writer, in one process.

    .venv/bin/python integration/benchmarks/encoding.py

The batches are what a Flask request makes: a server span with the HTTP attributes the contrib
instrumentation sets, a database span, and a log record with the code attributes the log bridge
adds, each request with its own path, client port and query. Both encoders take turns on the
same batches, so that they see the same machine; the writer's memo is warm, as it is after the
first batch in a running app.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from connect_otel._otlp_writer import OtlpWriter
from connect_otel._resource import HashedOnceResource

REQUESTS = 256  # 512 spans: the batch processor's default batch
ROUNDS = 15
# Connect's resource, whose hash (which both encoders take per item) is computed once.
RESOURCE = HashedOnceResource(Resource.create({"service.name": "shop"}).attributes)


QUERY_ATTRIBUTES = {
    "db.system.name": "sqlite",
    "db.namespace": "shop.db",
    "db.query.text": "SELECT id, name FROM users WHERE id = ?",
    "db.operation.name": "SELECT",
    "db.collection.name": "users",
    "db.query.summary": "SELECT users",
}


def request_spans() -> Sequence[Any]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    server = provider.get_tracer("opentelemetry.instrumentation.flask", "0.66b1")
    database = provider.get_tracer("opentelemetry.instrumentation.sqlite3", "0.66b1")
    for number in range(REQUESTS):
        attributes = {
            "http.request.method": "GET",
            "url.scheme": "http",
            "url.path": f"/users/{number}",
            "http.route": "/users/<int:user_id>",
            "server.address": "127.0.0.1",
            "server.port": 8000,
            "network.protocol.version": "1.1",
            "client.address": "127.0.0.1",
            "network.peer.address": "127.0.0.1",
            "network.peer.port": 40000 + number,
            "user_agent.original": "python-requests/2.32.3",
            "http.response.status_code": 200,
        }
        server_span = server.start_as_current_span(
            "GET /users/<int:user_id>", kind=SpanKind.SERVER, attributes=attributes
        )
        with (
            server_span,
            database.start_as_current_span(
                "SELECT users", kind=SpanKind.CLIENT, attributes=QUERY_ATTRIBUTES
            ),
        ):
            pass
    provider.shutdown()
    return memory.get_finished_spans()


def request_log_records() -> Sequence[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("shop.views")
    for number in range(REQUESTS):
        logger.emit(
            body=f"showing user {number}",
            severity_text="INFO",
            attributes={
                "code.file.path": "/srv/shop/views.py",
                "code.function.name": "show_user",
                "code.line.number": 42,
            },
        )
    provider.shutdown()
    return memory.get_finished_logs()


def per_item_us(encode: Callable[[], object], items: int) -> float:
    started = time.perf_counter()
    encode()
    return (time.perf_counter() - started) / items * 1e6


def main() -> None:
    spans, records = request_spans(), request_log_records()
    writer = OtlpWriter()
    writer.spans(spans), writer.logs(records)  # the memo warms on the first batch
    timings: dict[str, list[float]] = {name: [] for name in ("sdk span", "connect span")}
    timings.update({"sdk log": [], "connect log": []})
    for _ in range(ROUNDS):
        timings["sdk span"].append(
            per_item_us(lambda: encode_spans(spans).SerializePartialToString(), len(spans))
        )
        timings["connect span"].append(per_item_us(lambda: writer.spans(spans), len(spans)))
        timings["sdk log"].append(
            per_item_us(lambda: encode_logs(records).SerializeToString(), len(records))
        )
        timings["connect log"].append(per_item_us(lambda: writer.logs(records), len(records)))
    for name, values in timings.items():
        print(f"{name:>13}: median {statistics.median(values):5.1f} µs, min {min(values):5.1f}")


if __name__ == "__main__":
    main()
