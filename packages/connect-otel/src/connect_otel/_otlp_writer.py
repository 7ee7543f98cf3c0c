"""OTLP export requests for spans and log records, written directly in protobuf's wire format.

The SDK's encoder builds a protobuf message object for every span, attribute and value, then
serialises them: about 50 µs a typical span. Most of what a span holds repeats from span to span
(attribute pairs, names, the scope, the resource), so this writer keeps the encoded bytes of
those in a bounded memo and joins bytes. The request it writes decodes into a message equal to
the SDK's for the same batch (`tests/unit/test_otlp_writer_unit.py` holds it to that), with one
chosen difference: text UTF-8 cannot encode (lone surrogates) becomes U+FFFD, as `_encodable.py`
makes it, where the SDK's encoder refuses it.

Anything it does not expect raises; the caller then hands the batch to the SDK's encoder.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind

from connect_otel import _encodable
from connect_otel._fast_reads import attribute_dict, span_attributes, span_events, span_links

# The memory the memo may hold before it starts again, by its estimate: an entry costs its
# bytes, its key's text (about as long) and the objects around them; a remembered resource or
# scope, the object itself too. A unit test holds the estimate to the memory really held.
MEMO_BYTES = 4 << 20
_ENTRY_COST = 256
_OWNED_COST = 2048

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_UINT64 = (1 << 64) - 1
_ONE_BYTE = tuple(bytes((n,)) for n in range(0x80))
_DOUBLE = struct.Struct("<d").pack
_FIXED32 = struct.Struct("<I").pack
_FIXED64 = struct.Struct("<Q").pack

# The span flags the SDK sends: whether the parent is remote is known, and whether it is.
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200
_SPAN_FLAGS_FIELD = b"\x85\x01"  # field 16, fixed32
_LOCAL_FLAGS = _SPAN_FLAGS_FIELD + _FIXED32(_HAS_IS_REMOTE)
_REMOTE_FLAGS = _SPAN_FLAGS_FIELD + _FIXED32(_HAS_IS_REMOTE | _IS_REMOTE)
_LINK_LOCAL_FLAGS = b"\x35" + _FIXED32(_HAS_IS_REMOTE)
_LINK_REMOTE_FLAGS = b"\x35" + _FIXED32(_HAS_IS_REMOTE | _IS_REMOTE)

_KIND = {
    SpanKind.INTERNAL: b"\x30\x01",
    SpanKind.SERVER: b"\x30\x02",
    SpanKind.CLIENT: b"\x30\x03",
    SpanKind.PRODUCER: b"\x30\x04",
    SpanKind.CONSUMER: b"\x30\x05",
}
_EMPTY_SCOPE = b"\x0a\x00"
_START_AND_END = struct.Struct("<BQBQ").pack
# Status (field 15) without a description, by code: unset, ok, error.
_BARE_STATUS = {0: b"\x7a\x00", 1: b"\x7a\x02\x18\x01", 2: b"\x7a\x02\x18\x02"}

# Written items, by resource, then by scope (None when an item has none).
_Groups = dict[Resource, dict[InstrumentationScope | None, list[bytes]]]


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _sized(payload: bytes) -> bytes:
    return _varint(len(payload)) + payload


def _uint32(tag: bytes, value: int) -> bytes:
    if not value:
        return b""
    if not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"{value} is out of range for uint32")
    return tag + _varint(value)


def _repeated(tag: bytes, sized_items: list[bytes]) -> bytes:
    return tag + tag.join(sized_items) if sized_items else b""


class OtlpWriter:
    """Writes span and log export requests, remembering the encoded bytes of what repeats.

    One writer serves one exporter, whose processor calls it from one thread at a time.
    """

    def __init__(self, memo_bytes: int = MEMO_BYTES) -> None:
        self._memo_bytes = memo_bytes
        self._held = 0
        self._pairs: dict[tuple[Any, ...], bytes] = {}
        self._texts: dict[str, bytes] = {}
        self._owned: dict[int, tuple[object, bytes]] = {}
        self.replaced = 0  # texts with lone surrogates written as U+FFFD, ever

    # Requests

    def spans(self, batch: Iterable[ReadableSpan]) -> bytes:
        groups = self._write_grouped(batch, self._span)
        return self._request(groups)

    def logs(self, batch: Iterable[ReadableLogRecord]) -> bytes:
        groups = self._write_grouped(batch, self._log)
        return self._request(groups)

    def _write_grouped(self, batch: Iterable[Any], write: Callable[[Any], bytes]) -> _Groups:
        # Grouped by resource, then scope, by equality and in order of first appearance, as the
        # SDK's encoder groups; each distinct pair of objects is hashed once per batch.
        groups: _Groups = {}
        by_identity: dict[tuple[int, int], list[bytes]] = {}
        for item in batch:
            resource = item.resource
            scope = item.instrumentation_scope or None
            identity = (id(resource), id(scope))
            items = by_identity.get(identity)
            if items is None:
                items = groups.setdefault(resource, {}).setdefault(scope, [])
                by_identity[identity] = items
            items.append(_sized(write(item)))
        return groups

    def _request(self, groups: _Groups) -> bytes:
        resource_parts = []
        for resource, scopes in groups.items():
            scope_parts = []
            for scope, items in scopes.items():
                scope_parts.append(_sized(self._scope(scope) + _repeated(b"\x12", items)))
            written = self._resource(resource) + _repeated(b"\x12", scope_parts)
            resource_parts.append(_sized(written))
        return _repeated(b"\x0a", resource_parts)

    # The resource and the scope: each field 1 of its message, and its schema URL (field 3).

    def _resource(self, resource: Resource) -> bytes:
        owned = self._owned.get(id(resource))
        if owned is not None and owned[0] is resource:
            return owned[1]
        replaced = self.replaced
        message = self._attributes(b"\x0a", resource.attributes)
        written = b"\x0a" + _sized(message) + self._string(b"\x1a", resource.schema_url)
        if self.replaced == replaced:
            self._remember_owned(resource, written)
        return written

    def _scope(self, scope: InstrumentationScope | None) -> bytes:
        if scope is None:
            return _EMPTY_SCOPE
        owned = self._owned.get(id(scope))
        if owned is not None and owned[0] is scope:
            return owned[1]
        replaced = self.replaced
        message = (
            self._string(b"\x0a", scope.name)
            + self._string(b"\x12", scope.version)
            + self._attributes(b"\x1a", scope.attributes)
        )
        written = b"\x0a" + _sized(message) + self._string(b"\x1a", scope.schema_url)
        if self.replaced == replaced:
            self._remember_owned(scope, written)
        return written

    # Spans

    def _span(self, span: ReadableSpan) -> bytes:
        context = span.get_span_context()
        if context is None:
            raise ValueError("a span without a context")  # the SDK's encoder fails on it too
        parent = span.parent
        parts = [
            b"\x0a\x10",
            context.trace_id.to_bytes(16, "big"),
            b"\x12\x08",
            context.span_id.to_bytes(8, "big"),
        ]
        trace_state = context.trace_state
        if trace_state:
            state = ",".join([f"{key}={value}" for key, value in trace_state.items()])
            parts.append(self._string(b"\x1a", state))
        if parent:
            parts += (b"\x22\x08", parent.span_id.to_bytes(8, "big"))
        parts.append(self._text(b"\x2a", span.name))
        parts.append(_KIND[span.kind])
        start, end = span.start_time, span.end_time
        if start and end:
            parts.append(_START_AND_END(0x39, start, 0x41, end))
        else:
            if start:
                parts += (b"\x39", _FIXED64(start))
            if end:
                parts += (b"\x41", _FIXED64(end))
        parts.append(self._attributes(b"\x4a", span_attributes(span)))
        if span.dropped_attributes:
            parts.append(_uint32(b"\x50", span.dropped_attributes))
        for event in span_events(span):
            event_parts = b"".join(
                (
                    b"\x09" + _FIXED64(event.timestamp) if event.timestamp else b"",
                    self._text(b"\x12", event.name),
                    self._attributes(b"\x1a", event.attributes),
                    _uint32(b"\x20", event.dropped_attributes),
                )
            )
            parts += (b"\x5a", _sized(event_parts))
        if span.dropped_events:
            parts.append(_uint32(b"\x60", span.dropped_events))
        for link in span_links(span):
            link_parts = b"".join(
                (
                    b"\x0a\x10",
                    link.context.trace_id.to_bytes(16, "big"),
                    b"\x12\x08",
                    link.context.span_id.to_bytes(8, "big"),
                    self._attributes(b"\x22", link.attributes),
                    _uint32(b"\x28", link.dropped_attributes),
                    _LINK_REMOTE_FLAGS if link.context.is_remote else _LINK_LOCAL_FLAGS,
                )
            )
            parts += (b"\x6a", _sized(link_parts))
        if span.dropped_links:
            parts.append(_uint32(b"\x70", span.dropped_links))
        status = span.status
        if status is not None:
            code = status.status_code.value
            if status.description:
                message = self._string(b"\x12", status.description)
                parts += (b"\x7a", _sized(message + (b"\x18" + _varint(code) if code else b"")))
            else:
                parts.append(_BARE_STATUS[code])
        parts.append(_REMOTE_FLAGS if parent and parent.is_remote else _LOCAL_FLAGS)
        return b"".join(parts)

    # Log records

    def _log(self, readable: ReadableLogRecord) -> bytes:
        record = readable.log_record
        parts: list[bytes] = []
        if record.timestamp:
            parts += (b"\x09", _FIXED64(record.timestamp))
        severity = getattr(record.severity_number, "value", None)
        if severity:
            parts += (b"\x10", _varint(severity))
        parts.append(self._text(b"\x1a", record.severity_text))
        parts += (b"\x2a", _sized(self._any_value(record.body)))
        parts.append(self._attributes(b"\x32", record.attributes))
        parts.append(_uint32(b"\x38", readable.dropped_attributes))
        flags = int(record.trace_flags)
        if flags:
            parts += (b"\x45", _FIXED32(flags))
        if record.trace_id != 0:
            parts += (b"\x4a\x10", record.trace_id.to_bytes(16, "big"))
        if record.span_id != 0:
            parts += (b"\x52\x08", record.span_id.to_bytes(8, "big"))
        if record.observed_timestamp:
            parts += (b"\x59", _FIXED64(record.observed_timestamp))
        parts.append(self._string(b"\x62", record.event_name))
        return b"".join(parts)

    # Attributes and values

    def _attributes(self, tag: bytes, attributes: Mapping[str, Any] | None) -> bytes:
        if attributes is None:
            return b""
        readable = attribute_dict(attributes)
        if not readable:
            return b""
        pairs = self._pairs
        written = []
        for key, value in readable.items():
            kind = type(value)
            if kind is str or kind is int or kind is bool:
                # The type is in the key: True == 1, yet they encode differently.
                memo_key = (key, value, kind)
                pair = pairs.get(memo_key)
                if pair is None:
                    replaced = self.replaced
                    pair = _sized(self._key_value(key, value))
                    if self.replaced == replaced:
                        self._remember(pairs, memo_key, pair)
            else:
                pair = _sized(self._key_value(key, value))
            written.append(pair)
        return tag + tag.join(written)

    def _key_value(self, key: str, value: Any) -> bytes:
        if not isinstance(key, str):
            raise TypeError(f"attribute key {key!r} is not text")
        return self._string(b"\x0a", key) + b"\x12" + _sized(self._any_value(value))

    def _any_value(self, value: Any) -> bytes:
        # The SDK's order of checks: a bool is an int, text and bytes are sequences.
        if value is None:
            return b""
        if isinstance(value, bool):
            return b"\x10\x01" if value else b"\x10\x00"
        if isinstance(value, str):
            return b"\x0a" + _sized(self._utf8(value))
        if isinstance(value, int):
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise ValueError(f"{value} is out of range for int64")
            return b"\x18" + _varint(value & _UINT64)
        if isinstance(value, float):
            return b"\x21" + _DOUBLE(value)
        if isinstance(value, bytes):
            return b"\x3a" + _sized(value)
        if isinstance(value, Sequence):
            items = [_sized(self._any_value(item)) for item in value]
            return b"\x2a" + _sized(_repeated(b"\x0a", items))
        if isinstance(value, Mapping):
            pairs = [_sized(self._key_value(str(key), item)) for key, item in value.items()]
            return b"\x32" + _sized(_repeated(b"\x0a", pairs))
        raise TypeError(f"no OTLP value for {type(value).__name__}")

    # Text

    def _text(self, tag: bytes, text: str | None) -> bytes:
        """A string field whose text repeats (names, severities), from the memo."""
        if not text:
            return b""
        written = self._texts.get(text)
        if written is None:
            replaced = self.replaced
            written = _sized(self._utf8(text))
            if self.replaced == replaced:
                self._remember(self._texts, text, written)
        return tag + written

    def _string(self, tag: bytes, text: str | None) -> bytes:
        if not text:
            return b""
        return tag + _sized(self._utf8(text))

    def _utf8(self, text: str) -> bytes:
        try:
            return str.encode(text)
        except UnicodeEncodeError:
            self.replaced += 1
            return str.encode(_encodable.text(text))

    # The memo

    def _remember(self, memo: dict[Any, bytes], key: Any, written: bytes) -> None:
        if self._make_room(_ENTRY_COST + 2 * len(written)):
            memo[key] = written

    def _remember_owned(self, owner: object, written: bytes) -> None:
        # The memo holds the owner itself, so that its id cannot pass to another object.
        if self._make_room(_OWNED_COST + 4 * len(written)):
            self._owned[id(owner)] = (owner, written)

    def _make_room(self, cost: int) -> bool:
        """Whether an entry of this cost fits, after starting again if it must."""
        if cost > self._memo_bytes:
            return False
        self._held += cost
        if self._held > self._memo_bytes:
            # Starting again costs one encoding of each repeating item; tracking use would cost
            # every lookup.
            self._pairs.clear()
            self._texts.clear()
            self._owned.clear()
            self._held = cost
        return True
