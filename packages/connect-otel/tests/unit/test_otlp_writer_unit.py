"""Connect's OTLP writer against the SDK's encoder: for generated batches covering everything a
span or log record can hold, its bytes decode into a message equal to the SDK's for the same
batch. Text with lone surrogates is compared with the SDK's encoding of the batch `_encodable`
cleans, which is what the SDK's encoder can send of it."""

from __future__ import annotations

import enum
import gc
import math
import random
import tracemalloc
from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

import pytest
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from connect_otel import _encodable
from connect_otel._otlp_writer import OtlpWriter

BATCHES = 120
INT64_EDGES = [0, 1, -1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63), 127, 128, 300]
FLOATS = [0.0, -0.0, 1.5, -2.25e300, math.nan, math.inf, -math.inf, 5e-324]
TEXTS = ["", "a", "GET /users/{id}", "é ü", "日本語", "🚀 non-BMP 𝄞", "\udcff", "lone \ud800 x"]


def text(rng: random.Random) -> str:
    return rng.choice(TEXTS) + rng.choice(["", str(rng.randrange(5))])


class Colour(str, enum.Enum):
    RED = "red"


def scalar(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 4:
        # Subclasses of text and int, as enums hand them over.
        return rng.choice([HTTPStatus.NOT_FOUND, Colour.RED])
    if kind == 0:
        return text(rng)
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice(INT64_EDGES)
    return rng.choice(FLOATS)


def attribute_value(rng: random.Random) -> Any:
    if rng.random() < 0.25:
        # Homogeneous sequences, empty ones included.
        kind = rng.randrange(4)
        length = rng.randrange(4)
        pick: list[Callable[[], Any]] = [
            lambda: text(rng),
            lambda: rng.choice([True, False]),
            lambda: rng.choice(INT64_EDGES),
            lambda: rng.choice(FLOATS),
        ]
        return tuple(pick[kind]() for _ in range(length))
    return scalar(rng)


def attributes(rng: random.Random, most: int = 6) -> dict[str, Any]:
    return {text(rng) + f".{n}": attribute_value(rng) for n in range(rng.randrange(most + 1))}


def bounded(rng: random.Random, values: dict[str, Any]) -> BoundedAttributes | dict[str, Any]:
    if rng.random() < 0.5:
        return values
    # A limit below the count drops some and counts them.
    return BoundedAttributes(maxlen=rng.randrange(1, 8), attributes=values, immutable=False)


def any_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind in (1, 2):
        return scalar(rng)
    if kind == 3:
        return rng.choice([b"", b"\x00\xffbytes"])
    if kind == 4:
        return [any_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 5:
        return tuple(any_value(rng, depth + 1) for _ in range(rng.randrange(3)))
    return {text(rng) + str(n): any_value(rng, depth + 1) for n in range(rng.randrange(4))}


def context(rng: random.Random, remote: bool = False) -> SpanContext:
    state = TraceState([("vendor", "value"), ("other", "x")]) if rng.random() < 0.3 else None
    return SpanContext(
        trace_id=rng.choice([1, 2**128 - 1, rng.getrandbits(128)]),
        span_id=rng.choice([1, 2**64 - 1, rng.getrandbits(64)]),
        is_remote=remote,
        trace_flags=TraceFlags(rng.choice([0, 1])),
        trace_state=state,
    )


def shared(rng: random.Random) -> tuple[list[Resource], list[InstrumentationScope | None]]:
    resources = [
        Resource({"service.name": "shop", "pid": 7}),
        Resource({"service.name": "shop \udcff", "host.dir": "/srv"}, "https://schema/1"),
        Resource({}),
    ]
    scopes: list[InstrumentationScope | None] = [
        InstrumentationScope("flask", "3.1"),
        InstrumentationScope("db", None, "https://schema/2", {"scope.attr": 1, "x": "y\udcfe"}),
        InstrumentationScope(""),
        None,
    ]
    return resources, scopes


def span(rng: random.Random, resources: list[Resource], scopes: list[Any]) -> ReadableSpan:
    events: Any = [
        Event(text(rng), bounded(rng, attributes(rng, 3)), rng.choice([None, 0, 2**63]))
        for _ in range(rng.randrange(3))
    ]
    if events and rng.random() < 0.5:
        events = BoundedList.from_seq(1, events)
    links: Any = [
        Link(context(rng, remote=rng.random() < 0.5), bounded(rng, attributes(rng, 3)))
        for _ in range(rng.randrange(3))
    ]
    if links and rng.random() < 0.5:
        links = BoundedList.from_seq(1, links)
    parent = rng.choice([None, context(rng), context(rng, remote=True)])
    description = text(rng) if rng.random() < 0.5 else None
    code = rng.choice(list(StatusCode))
    return ReadableSpan(
        name=text(rng),
        context=context(rng),
        parent=parent,
        resource=rng.choice(resources),
        attributes=bounded(rng, attributes(rng, 12)),
        events=events,
        links=links,
        kind=rng.choice(list(SpanKind)),
        status=Status(code, description if code is StatusCode.ERROR else None),
        start_time=rng.choice([None, 0, 1, 1_700_000_000_000_000_000]),
        end_time=rng.choice([None, 2**64 - 1, 1_700_000_000_000_500_000]),
        instrumentation_scope=rng.choice(scopes),
    )


def log_record(rng: random.Random, resources: list[Resource], scopes: list[Any]) -> Any:
    values = attributes(rng, 5)
    if rng.random() < 0.3:
        values["nested"] = any_value(rng)
    record = LogRecord(
        timestamp=rng.choice([None, 1_700_000_000_000_000_000]),
        observed_timestamp=rng.choice([0, 1_700_000_000_000_000_001]),
        trace_id=rng.choice([0, rng.getrandbits(128)]),
        span_id=rng.choice([0, rng.getrandbits(64)]),
        trace_flags=TraceFlags(rng.choice([0, 1])),
        severity_text=rng.choice([None, "", "INFO", "WARN\udcff"]),
        severity_number=rng.choice([None, *list(SeverityNumber)]),
        body=any_value(rng),
        attributes=bounded(rng, values),
        event_name=rng.choice([None, "", "an.event"]),
    )
    return ReadableLogRecord(
        log_record=record,
        resource=rng.choice(resources),
        instrumentation_scope=rng.choice(scopes),
    )


def batches(make: Callable[..., Any]) -> Iterator[list[Any]]:
    for seed in range(BATCHES):
        rng = random.Random(seed)
        resources, scopes = shared(rng)
        yield [make(rng, resources, scopes) for _ in range(rng.randrange(1, 12))]


def sdk_spans(batch: list[ReadableSpan]) -> ExportTraceServiceRequest:
    cleaned = _encodable.spans(batch)
    return encode_spans(batch if cleaned is None else cleaned)


def sdk_logs(batch: list[ReadableLogRecord]) -> ExportLogsServiceRequest:
    cleaned = _encodable.logs(batch)
    return encode_logs(batch if cleaned is None else cleaned)


def test_generated_span_batches_decode_equal_to_the_sdks() -> None:
    writer, small = OtlpWriter(), OtlpWriter(memo_bytes=64)
    for batch in batches(span):
        expected = sdk_spans(batch)
        for each in (writer, small, writer):  # the last from a warm memo
            assert ExportTraceServiceRequest.FromString(each.spans(batch)) == expected


def test_generated_log_batches_decode_equal_to_the_sdks() -> None:
    writer, small = OtlpWriter(), OtlpWriter(memo_bytes=64)
    for batch in batches(log_record):
        expected = sdk_logs(batch)
        for each in (writer, small, writer):
            assert ExportLogsServiceRequest.FromString(each.logs(batch)) == expected


def test_the_generated_batches_cover_what_the_proof_needs() -> None:
    spans = [item for batch in batches(span) for item in batch]
    kinds = {item.kind for item in spans}
    assert kinds == set(SpanKind)
    assert any(item.dropped_attributes for item in spans)
    assert any(item.dropped_events for item in spans)
    assert any(item.dropped_links for item in spans)
    assert any(item.status.description for item in spans)
    assert any(link.attributes for item in spans for link in item.links)
    assert any(item.parent and item.parent.is_remote for item in spans)
    assert any(len(item.get_span_context().trace_state) for item in spans)
    assert any(len({id(s.resource) for s in batch}) > 1 for batch in batches(span))
    bodies = [item.log_record.body for batch in batches(log_record) for item in batch]
    body_types = {type(body) for body in bodies}
    assert body_types >= {type(None), str, bool, int, float, bytes, list, tuple, dict}
    assert any(isinstance(b, dict) and any(isinstance(v, dict) for v in b.values()) for b in bodies)
    records = [item for batch in batches(log_record) for item in batch]
    assert any(item.dropped_attributes for item in records)


@pytest.mark.parametrize(
    ("first", "second"),
    [(True, 1), (1, True), (0.0, -0.0), (1, 1.0), ("1", 1), (False, 0)],
)
def test_equal_values_of_different_encodings_never_share_a_memo_entry(
    first: Any, second: Any
) -> None:
    writer = OtlpWriter()
    resource = Resource({})
    for value in (first, second):
        item = ReadableSpan("same", context(random.Random(1)), attributes={"a": value})
        item._resource = resource
        assert ExportTraceServiceRequest.FromString(writer.spans([item])) == encode_spans([item])


def test_text_utf8_cannot_encode_is_counted_and_never_remembered() -> None:
    writer = OtlpWriter()
    item = ReadableSpan("open \udcff", context(random.Random(2)), attributes={"k": "\ud800"})
    for times in (1, 2):
        # Parsing checks that every string field is valid UTF-8.
        request = ExportTraceServiceRequest.FromString(writer.spans([item]))
        (written,) = request.resource_spans[0].scope_spans[0].spans
        assert written.name == "open \ufffd"
        assert written.attributes[0].value.string_value == "\ufffd"
        assert writer.replaced == 2 * times


def test_the_memo_holds_no_more_memory_than_its_bound() -> None:
    budget = 256 * 1024
    writer = OtlpWriter(memo_bytes=budget)
    rng = random.Random(3)
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        held = []
        for number in range(3000):
            # Every entry new, of every kind the memo keeps: pairs, names, resources, scopes.
            item = ReadableSpan(
                f"span {number}",
                context(rng),
                resource=Resource({"service.name": f"shop {number}"}),
                attributes={"id": str(number), "n": number, "text": "x" * (number % 300)},
                instrumentation_scope=InstrumentationScope(f"scope {number}"),
            )
            writer.spans([item])
            del item
            held.append(tracemalloc.get_traced_memory()[0] - baseline)
    finally:
        tracemalloc.stop()
    assert writer._pairs, "the memo was in use"
    assert max(held) <= budget, held
    assert max(held) >= budget / 4, "the bound, not the test, limited it"
