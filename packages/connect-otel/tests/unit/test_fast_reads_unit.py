"""Finished spans' and log records' parts read as the SDK holds them (`_fast_reads`).

These fail if the SDK stops keeping a span's attributes, events and links in the containers
Connect reads directly: the export would stay correct (the public properties take over) but
lose what the direct reads save.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext

from connect_otel._fast_reads import attribute_dict, span_attributes, span_events, span_links
from connect_otel._span_copy import copy_span

LINKED = SpanContext(trace_id=1, span_id=2, is_remote=True)


def ended_span() -> ReadableSpan:
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test")
    links = [Link(LINKED, {"link.kind": "caller"})]
    with tracer.start_as_current_span("GET /", attributes={"url.path": "/"}, links=links) as span:
        span.set_attribute("http.response.status_code", 200)
        span.add_event("retry", {"attempt": 2})
    (finished,) = memory.get_finished_spans()
    return finished


def test_an_ended_spans_parts_are_read_from_what_the_sdk_keeps() -> None:
    span = ended_span()
    attributes = span_attributes(span)
    assert type(attributes) is dict
    assert attributes == {"url.path": "/", "http.response.status_code": 200}
    events, links = span_events(span), span_links(span)
    assert type(events) is deque and type(links) is deque
    assert [event.name for event in events] == [event.name for event in span.events]
    assert [link.context for link in links] == [LINKED]


def test_what_is_read_equals_the_public_properties() -> None:
    span = ended_span()
    assert span_attributes(span) == dict(span.attributes or {})
    assert tuple(span_events(span)) == span.events
    assert tuple(span_links(span)) == span.links


def test_a_log_records_attributes_are_copied_since_they_can_still_change() -> None:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    provider.get_logger("test").emit(body="hello", attributes={"code.line.number": 42})
    (record,) = memory.get_finished_logs()
    held = record.log_record.attributes
    assert isinstance(held, BoundedAttributes)
    read = attribute_dict(held)
    assert type(read) is dict and read == {"code.line.number": 42}
    held["added"] = "later"  # mutable: another thread could do this mid-export
    assert "added" not in read


def test_a_span_class_with_its_own_properties_is_read_through_them() -> None:
    class Renamed(ReadableSpan):
        @property
        def attributes(self) -> Mapping[str, Any]:
            return MappingProxyType({"overridden": True})

        @property
        def events(self) -> Sequence[Any]:
            return ()

    span = Renamed(name="x", attributes={"held": True})
    assert dict(span_attributes(span)) == {"overridden": True}
    assert tuple(span_events(span)) == ()


def test_spans_built_from_plain_containers_and_copies_read_alike() -> None:
    built = ReadableSpan(name="x", attributes={"a": 1}, links=(Link(LINKED),))
    assert span_attributes(built) == {"a": 1}
    assert [link.context for link in span_links(built)] == [LINKED]
    assert span_attributes(ReadableSpan(name="none")) == {}
    copied = copy_span(ended_span(), name="renamed")
    assert span_attributes(copied) == {"url.path": "/", "http.response.status_code": 200}
    assert [event.name for event in span_events(copied)] == ["retry"]
    assert copied.dropped_attributes == 0 and copied.name == "renamed"
