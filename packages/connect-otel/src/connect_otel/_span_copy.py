"""Copies of finished spans and log records with some fields replaced.

The SDK's spans are read-only once ended; scrubbing and tail sampling hand the exporter a copy
instead. The copy reports the original's dropped counts, which a plain ReadableSpan built from
a dict would report as zero.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, Status

from connect_otel._fast_reads import span_attributes, span_events, span_links


class _SpanCopy(ReadableSpan):
    _dropped: tuple[int, int, int]

    @property
    def dropped_attributes(self) -> int:
        return self._dropped[0]

    @property
    def dropped_events(self) -> int:
        return self._dropped[1]

    @property
    def dropped_links(self) -> int:
        return self._dropped[2]


def copy_span(
    span: ReadableSpan,
    *,
    name: str | None = None,
    context: SpanContext | None = None,
    attributes: Mapping[str, Any] | None = None,
    events: Sequence[Event] | None = None,
    links: Sequence[Link] | None = None,
    status: Status | None = None,
    resource: Resource | None = None,
    scope: InstrumentationScope | None = None,
) -> ReadableSpan:
    """`span` with the given fields replaced; None keeps the original's."""
    # The original's parts are read as the SDK holds them (`_fast_reads`): most server spans
    # are copied, on the export thread.
    copied = _SpanCopy(
        name=span.name if name is None else name,
        context=context or span.context,
        parent=span.parent,
        resource=resource or span.resource,
        attributes=span_attributes(span) if attributes is None else attributes,
        events=span_events(span) if events is None else events,
        links=span_links(span) if links is None else links,
        kind=span.kind,
        status=status or span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=scope or span.instrumentation_scope,
    )
    copied._dropped = (span.dropped_attributes, span.dropped_events, span.dropped_links)
    return copied


def copy_log_record(
    record: ReadableLogRecord,
    *,
    attributes: Mapping[str, Any] | None,
    resource: Resource,
) -> ReadableLogRecord:
    log_record = copy.copy(record.log_record)
    if attributes is not None:
        bounded = BoundedAttributes(maxlen=None, attributes=attributes, immutable=True)
        bounded.dropped = record.dropped_attributes
        log_record.attributes = bounded
    return dataclasses.replace(record, log_record=log_record, resource=resource)
