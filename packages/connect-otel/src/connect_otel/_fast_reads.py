"""What a finished span or log record holds, read at C speed on the export thread.

The SDK's `ReadableSpan` hands out its attributes in a new read-only proxy over its
`BoundedAttributes` on every read, and its events and links as a new tuple built under a lock;
`BoundedAttributes` is a Mapping written in Python, so every key read and every step of
`.items()` is a Python call. Scrubbing, the address split and the OTLP writer read each item's
parts several times: through the public properties that was a third of the export thread's
time on a Flask request's span. These read the containers the SDK keeps (private: `_attributes`,
`_events`, `_links`, `BoundedAttributes._dict`, `BoundedList._dq`), and fall back to the public
properties wherever a class overrides them or the SDK keeps something else.
`tests/unit/test_fast_reads_unit.py` fails if the SDK stops keeping them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link

_EMPTY: Mapping[str, Any] = {}

# Per span class: whether it reads its parts as ReadableSpan does.
_plain_classes: dict[type, bool] = {}


def attribute_dict(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """`attributes` as a dict when they are the SDK's, without copying once they cannot change."""
    if type(attributes) is not BoundedAttributes:
        return attributes
    inner = getattr(attributes, "_dict", None)
    if type(inner) is not dict:
        return attributes
    # An ended span's are immutable; a log record's are not, and another thread may still add
    # to them: a copy is taken at once, under the interpreter lock, where iterating would not be.
    return inner if getattr(attributes, "_immutable", False) else inner.copy()


def span_attributes(span: ReadableSpan) -> Mapping[str, Any]:
    """What `span.attributes` reads (empty for none), as a dict where the SDK keeps one."""
    if not _reads_plainly(span):
        return span.attributes or _EMPTY
    held = getattr(span, "_attributes", None)
    return _EMPTY if held is None else attribute_dict(held)


def span_events(span: ReadableSpan) -> Sequence[Event]:
    return _held_sequence(span, "_events") if _reads_plainly(span) else span.events


def span_links(span: ReadableSpan) -> Sequence[Link]:
    return _held_sequence(span, "_links") if _reads_plainly(span) else span.links


def _held_sequence(span: ReadableSpan, name: str) -> Sequence[Any]:
    held = getattr(span, name, None)
    if held is None:
        return ()
    if type(held) is BoundedList:
        queue = getattr(held, "_dq", None)
        # Nothing is added once the span has ended, so the queue is read as it stands.
        return queue if type(queue) is deque else tuple(held)
    return held if type(held) is tuple or type(held) is list else tuple(held)


def _reads_plainly(span: ReadableSpan) -> bool:
    kind = type(span)
    plain = _plain_classes.get(kind)
    if plain is None:
        plain = isinstance(span, ReadableSpan) and all(
            getattr(kind, name) is getattr(ReadableSpan, name)
            for name in ("attributes", "events", "links")
        )
        if len(_plain_classes) < 64:
            _plain_classes[kind] = plain
    return plain
