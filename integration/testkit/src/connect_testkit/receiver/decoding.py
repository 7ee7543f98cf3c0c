"""Request bodies into records: OTLP protobuf (gzip or not) and beacon JSON.

Every way a body can be wrong ends in `Undecodable` or `TooLarge`, never in another exception:
the handler turns those into 400 and 413, and nothing a client sends takes its thread down.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from connect_testkit.receiver.records import Event, LogRecord, Metric, Point, Span

# Far above any batch an exporter sends (its queues hold a few thousand items), far below what
# would hurt the machine the tests run on.
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


class Undecodable(ValueError):
    """The body is not what its path and headers say it is."""


class TooLarge(ValueError):
    """The body would decompress to more than the receiver keeps."""


def value_of(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(item) for item in any_value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(any_value.kvlist_value.values)
    return getattr(any_value, kind)


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in pairs}


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    """The value's name without its prefix; a value newer than opentelemetry-proto as its number.

    Protobuf enums are open: a sender may use values this receiver's schema does not know yet.
    """
    try:
        name: str = enum.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix(prefix)


def _spans(request: ExportTraceServiceRequest) -> list[Span]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        kind=_enum_name(trace_pb2.Span.SpanKind, span.kind, "SPAN_KIND_"),
                        attributes=attributes_of(span.attributes),
                        status_code=_enum_name(
                            trace_pb2.Status.StatusCode, span.status.code, "STATUS_CODE_"
                        ),
                        status_message=span.status.message,
                        events=[Event(e.name, attributes_of(e.attributes)) for e in span.events],
                        resource=resource,
                        scope=scope_spans.scope.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                    )
                )
    return spans


def _temporality(value: int) -> str:
    name = _enum_name(metrics_pb2.AggregationTemporality, value, "AGGREGATION_TEMPORALITY_")
    return name.replace("UNSPECIFIED", "")


def _metrics(request: ExportMetricsServiceRequest) -> list[Metric]:
    found = []
    for resource_metrics in request.resource_metrics:
        resource = attributes_of(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data") or ""
                data: Any = getattr(metric, kind) if kind else None
                points: list[Point] = []
                temporality, monotonic = "", False
                if kind in ("sum", "gauge"):
                    for p in data.data_points:
                        number = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
                        points.append(Point(attributes_of(p.attributes), value=number))
                    if kind == "sum":
                        temporality = _temporality(data.aggregation_temporality)
                        monotonic = data.is_monotonic
                elif kind in ("histogram", "exponential_histogram"):
                    for p in data.data_points:
                        points.append(Point(attributes_of(p.attributes), count=p.count, sum=p.sum))
                    temporality = _temporality(data.aggregation_temporality)
                found.append(
                    Metric(
                        name=metric.name,
                        unit=metric.unit,
                        kind=kind,
                        temporality=temporality,
                        monotonic=monotonic,
                        points=points,
                        resource=resource,
                        scope=scope_metrics.scope.name,
                    )
                )
    return found


def _logs(request: ExportLogsServiceRequest) -> list[LogRecord]:
    records = []
    for resource_logs in request.resource_logs:
        resource = attributes_of(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                records.append(
                    LogRecord(
                        body=value_of(record.body),
                        severity_number=record.severity_number,
                        severity_text=record.severity_text,
                        trace_id=record.trace_id.hex() if any(record.trace_id) else "",
                        span_id=record.span_id.hex() if any(record.span_id) else "",
                        attributes=attributes_of(record.attributes),
                        resource=resource,
                        scope=scope_logs.scope.name,
                        time_ns=record.time_unix_nano,
                    )
                )
    return records


@dataclass(frozen=True)
class Signal:
    name: str  # as Request.signal says it: "traces", "metrics" or "logs"
    kind: str  # what its records are kept as: "spans", "metrics" or "logs"
    request_type: type[Message]
    decode: Callable[[Any], list[Any]]
    response: bytes  # the empty success response, serialized


SIGNALS = {
    "/v1/traces": Signal(
        "traces", "spans", ExportTraceServiceRequest, _spans,
        ExportTraceServiceResponse().SerializeToString(),
    ),
    "/v1/metrics": Signal(
        "metrics", "metrics", ExportMetricsServiceRequest, _metrics,
        ExportMetricsServiceResponse().SerializeToString(),
    ),
    "/v1/logs": Signal(
        "logs", "logs", ExportLogsServiceRequest, _logs,
        ExportLogsServiceResponse().SerializeToString(),
    ),
}  # fmt: skip


def gunzip(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompresses gzip (one member or several, as gzip.decompress does) a chunk at a time, so
    a bomb costs at most `limit` bytes of memory before it is refused."""
    out = bytearray()
    rest = body
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = rest
        while pending and not inflater.eof:
            try:
                out += inflater.decompress(pending, _CHUNK)
            except zlib.error as error:
                raise Undecodable(f"bad gzip: {error}") from None
            if len(out) > limit:
                raise TooLarge(f"decompresses to more than {limit} bytes")
            pending = inflater.unconsumed_tail
        if not inflater.eof:
            raise Undecodable("truncated gzip")
        rest = inflater.unused_data
    return bytes(out)


def export_records(signal: Signal, body: bytes, gzipped: bool) -> list[Any]:
    """The records in an export request's body as it came, gzip-compressed or not."""
    return otlp_records(signal, gunzip(body) if gzipped else body)


def otlp_records(signal: Signal, body: bytes) -> list[Any]:
    """The records in an OTLP export request of `signal`."""
    message = signal.request_type()
    try:
        message.ParseFromString(body)
        return signal.decode(message)
    except (DecodeError, RecursionError) as error:
        raise Undecodable(f"bad protobuf: {error}") from None


def beacon_fields(body: bytes) -> dict[str, str]:
    """Beacon v1's fields: a JSON object of strings (new fields may come; all are strings)."""
    try:
        fields = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise Undecodable(f"bad JSON: {error}") from None
    if not isinstance(fields, dict):
        raise Undecodable("a beacon is a JSON object")
    if not all(isinstance(value, str) for value in fields.values()):
        raise Undecodable("every beacon field is a string")
    return fields
