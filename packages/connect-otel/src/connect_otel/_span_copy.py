"""Copies of finished spans and log records with some fields replaced, through public API only.

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
from opentelemetry.trace import SpanContext


class _SpanCopy(ReadableSpan):
    def __init__(
        self,
        span: ReadableSpan,
        context: SpanContext | None,
        attributes: Mapping[str, Any] | None,
        events: Sequence[Event] | None,
        resource: Resource | None,
    ) -> None:
        super().__init__(
            name=span.name,
            context=context or span.context,
            parent=span.parent,
            resource=resource or span.resource,
            attributes=span.attributes if attributes is None else attributes,
            events=span.events if events is None else events,
            links=span.links,
            kind=span.kind,
            status=span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )
        self._dropped = (span.dropped_attributes, span.dropped_events, span.dropped_links)

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
    context: SpanContext | None = None,
    attributes: Mapping[str, Any] | None = None,
    events: Sequence[Event] | None = None,
    resource: Resource | None = None,
) -> ReadableSpan:
    return _SpanCopy(span, context, attributes, events, resource)


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
