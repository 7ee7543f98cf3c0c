"""The contrib ASGI middleware's server spans, without the second setting of every attribute.

The middleware starts a request's span with the attributes it collected, then sets each of them
on the span again: about a dozen validated `set_attribute` calls a request for nothing. The
tracer Connect hands the middleware gives its server spans a subclass of the SDK's span that
returns at once when an attribute already holds that very value. The exported data are the
same: the middleware sets every key again in the order the span holds them, which leaves that
order as it was.

The SDK's span class and its attributes' dict are private;
`tests/unit/test_asgi_server_spans_unit.py` fails if the SDK's tracer stops making that class
or keeping that dict, and if the middleware stops setting its attributes twice (then this
module can go).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import _Span
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import AnyValue, Attributes

_ABSENT = object()


class SetOnceSpan(_Span):
    __slots__ = ()

    def set_attribute(self, key: str, value: AnyValue) -> None:
        # Read from the attributes' own dict (private, pinned by the test): the mapping's `get`
        # would cost as much as the setting it saves. The type too: True == 1, yet they are
        # different attribute values.
        try:
            current = self._attributes._dict.get(key, _ABSENT)  # type: ignore[union-attr]
        except AttributeError:
            current = _ABSENT
        if type(current) is type(value) and current == value and self._end_time is None:
            return
        super().set_attribute(key, value)


class AsgiTracerProvider(trace.TracerProvider):
    """Hands out tracers whose server spans are `SetOnceSpan`s."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self._provider = provider

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _Tracer(self._provider.get_tracer(*args, **kwargs))


class _Tracer(trace.Tracer):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        span = self._tracer.start_span(
            name,
            context,
            kind,
            attributes,
            links,
            start_time,
            record_exception,
            set_status_on_exception,
        )
        if kind is SpanKind.SERVER and type(span) is _Span:
            span.__class__ = SetOnceSpan
        return span

    # The middleware's receive and send spans: the wrapped tracer's own context manager.
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._tracer.start_as_current_span(*args, **kwargs)
