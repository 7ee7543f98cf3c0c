"""Copies of span and log batches whose text UTF-8 can encode, losing only what it cannot.

Python text may hold lone surrogates: `surrogateescape` turns undecodable bytes in file names,
environment variables and command lines into them. UTF-8 has no encoding for them, so the OTLP
encoder raises on the first one and the exporter drops the whole batch, every neighbour of the
bad item with it. Each surrogate becomes U+FFFD here instead.

Walking a batch costs more than encoding it, so the exporters call this only after an export has
failed, and send again only when something was replaced.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from copy import copy

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, Status
from opentelemetry.util.types import AnyValue, Attributes

from connect_otel._span_copy import copy_span

_SURROGATE = re.compile("[\ud800-\udfff]")


def text(value: str) -> str:
    return _SURROGATE.sub("\ufffd", value)


def spans(batch: Sequence[ReadableSpan]) -> list[ReadableSpan] | None:
    """`batch` with every span that holds unencodable text replaced by a clean copy, or None
    when no span holds any."""
    shared = _SharedTexts()
    dirty = [
        _holds_surrogate(_span_texts(span))
        or shared.hold_surrogate(span.resource, span.instrumentation_scope)
        for span in batch
    ]
    if not any(dirty):
        return None
    cleaner = _Cleaner()
    return [cleaner.span(span) if bad else span for span, bad in zip(batch, dirty, strict=True)]


def logs(batch: Sequence[ReadableLogRecord]) -> list[ReadableLogRecord] | None:
    """`batch` with every record that holds unencodable text replaced by a clean copy, or None
    when no record holds any."""
    shared = _SharedTexts()
    dirty = [
        _holds_surrogate(_log_texts(record))
        or shared.hold_surrogate(record.resource, record.instrumentation_scope)
        for record in batch
    ]
    if not any(dirty):
        return None
    cleaner = _Cleaner()
    return [
        cleaner.log(record) if bad else record for record, bad in zip(batch, dirty, strict=True)
    ]


def _holds_surrogate(values: Iterable[object]) -> bool:
    for value in values:
        if isinstance(value, str):
            # Most text is ASCII, which isascii() answers far faster than a search.
            if not value.isascii() and _SURROGATE.search(value):
                return True
        elif isinstance(value, Mapping):
            if _holds_surrogate(value.keys()) or _holds_surrogate(value.values()):
                return True
        elif isinstance(value, (list, tuple)) and _holds_surrogate(value):
            return True
    return False


class _SharedTexts:
    """Whether a batch's resources and scopes hold surrogates, each answered once per batch."""

    def __init__(self) -> None:
        self._answers: dict[int, bool] = {}

    def hold_surrogate(self, resource: Resource, scope: InstrumentationScope | None) -> bool:
        return self._holds(resource, (resource.attributes, resource.schema_url)) or (
            scope is not None
            and self._holds(scope, (scope.name, scope.version, scope.schema_url, scope.attributes))
        )

    def _holds(self, owner: object, texts: tuple[object, ...]) -> bool:
        key = id(owner)
        if key not in self._answers:
            self._answers[key] = _holds_surrogate(texts)
        return self._answers[key]


def _span_texts(span: ReadableSpan) -> Iterator[object]:
    yield span.name
    yield span.attributes
    yield span.status.description
    for event in span.events:
        yield event.name
        yield event.attributes
    for link in span.links:
        yield link.attributes


def _log_texts(record: ReadableLogRecord) -> Iterator[object]:
    log_record = record.log_record
    yield log_record.body
    yield log_record.attributes
    yield log_record.severity_text
    yield log_record.event_name


def _value(value: AnyValue) -> AnyValue:
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        return {
            text(key) if isinstance(key, str) else key: _value(item) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_value(item) for item in value)
    return value


def _mapping(original: Attributes) -> Attributes:
    if original is None:
        return None
    return {text(key): _value(value) for key, value in original.items()}


def _attributes(original: Attributes, dropped: int) -> BoundedAttributes | None:
    """Clean attributes that keep the original's count of dropped ones, which the encoder sends."""
    if original is None:
        return None
    cleaned = BoundedAttributes(attributes=_mapping(original))
    cleaned.dropped = dropped
    return cleaned


def _optional(value: str | None) -> str | None:
    return None if value is None else text(value)


class _Cleaner:
    """Cleans the items of one batch, sharing one clean copy of each resource and scope."""

    def __init__(self) -> None:
        self._resources: dict[int, Resource] = {}
        self._scopes: dict[int, InstrumentationScope] = {}

    def span(self, span: ReadableSpan) -> ReadableSpan:
        status = span.status
        if status.description is not None:
            status = Status(status.status_code, text(status.description))
        return copy_span(
            span,
            name=text(span.name),
            attributes=_mapping(span.attributes),
            events=[
                Event(
                    text(event.name),
                    _attributes(event.attributes, event.dropped_attributes),
                    event.timestamp,
                )
                for event in span.events
            ],
            links=[
                Link(link.context, _attributes(link.attributes, link.dropped_attributes))
                for link in span.links
            ],
            status=status,
            resource=self._resource(span.resource),
            scope=self._scope(span.instrumentation_scope),
        )

    def log(self, record: ReadableLogRecord) -> ReadableLogRecord:
        # A shallow copy keeps the trace context, timestamps and severity as they are.
        log_record = copy(record.log_record)
        log_record.body = _value(log_record.body)
        log_record.attributes = _attributes(log_record.attributes, record.dropped_attributes)
        log_record.severity_text = _optional(log_record.severity_text)
        log_record.event_name = _optional(log_record.event_name)
        return dataclasses.replace(
            record,
            log_record=log_record,
            resource=self._resource(record.resource),
            instrumentation_scope=self._scope(record.instrumentation_scope),
        )

    def _resource(self, resource: Resource) -> Resource:
        key = id(resource)
        if key not in self._resources:
            attributes = _mapping(resource.attributes) or {}
            self._resources[key] = Resource(attributes, text(resource.schema_url))
        return self._resources[key]

    def _scope(self, scope: InstrumentationScope | None) -> InstrumentationScope | None:
        if scope is None:
            return None
        key = id(scope)
        if key not in self._scopes:
            self._scopes[key] = InstrumentationScope(
                text(scope.name),
                _optional(scope.version),
                _optional(scope.schema_url),
                _mapping(scope.attributes),
            )
        return self._scopes[key]
