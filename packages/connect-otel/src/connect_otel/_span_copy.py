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
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, Status


class _SpanCopy(ReadableSpan):
    def __init__(self, span: ReadableSpan, replaced: _Replaced) -> None:
        super().__init__(
            name=span.name if replaced.name is None else replaced.name,
            context=replaced.context or span.context,
            parent=span.parent,
            resource=replaced.resource or span.resource,
            attributes=span.attributes if replaced.attributes is None else replaced.attributes,
            events=span.events if replaced.events is None else replaced.events,
            links=span.links if replaced.links is None else replaced.links,
            kind=span.kind,
            status=replaced.status or span.status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=replaced.scope or span.instrumentation_scope,
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


@dataclasses.dataclass(frozen=True)
class _Replaced:
    name: str | None
    context: SpanContext | None
    attributes: Mapping[str, Any] | None
    events: Sequence[Event] | None
    links: Sequence[Link] | None
    status: Status | None
    resource: Resource | None
    scope: InstrumentationScope | None


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
    replaced = _Replaced(name, context, attributes, events, links, status, resource, scope)
    return _SpanCopy(span, replaced)


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
