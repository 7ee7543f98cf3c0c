"""Trust boundaries for trace context: whose incoming context is continued, where outgoing goes.

Connect wraps the global propagator. On extract it looks at who sent the request: an HTTP
server's carrier (a WSGI environ, Django's `request.META`, an ASGI scope) names the peer and the
proxies' `X-Forwarded-For` and `Forwarded` headers. A request any of whose addresses lies outside
`CONNECT_TRACE_TRUSTED_NETWORKS` starts a new trace: its traceparent and baggage are not
continued, and the span context it brought becomes a link on the new server span. Other
carriers (a Celery message from the app's own broker, a dict the app's code passes) are trusted.

On inject it looks at the span that is sending: an HTTP client span sends context only to a host
in `CONNECT_TRACE_PROPAGATION_TARGETS`. A client span that is not recorded (a trace this process
does not export) has no attributes to read, so the sampler, which sees them at the span's start,
leaves its verdict for the inject that follows; without a verdict nothing is sent.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import (
    CarrierT,
    Getter,
    Setter,
    TextMapPropagator,
    default_getter,
    default_setter,
)
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanContext, SpanKind
from opentelemetry.util.types import Attributes

from connect_otel._networks import PropagationTargets, TrustedNetworks
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

_BROUGHT_KEY = otel_context.create_key("connect-untrusted-parent")
UNTRUSTED_LINK_ATTRIBUTES = {"connect.link.reason": "untrusted_parent"}
_DESTINATION_KEYS = ("url.full", "http.url", "server.address", "net.peer.name")


class _Verdict(NamedTuple):
    """What the sampler decided about the last span it did not record, for the inject under it."""

    trace_id: int
    # The span it was started under: once that is current again, the verdict no longer applies.
    parent_span_id: int
    allowed: bool


_unrecorded_verdict: contextvars.ContextVar[_Verdict | None] = contextvars.ContextVar(
    "connect_unrecorded_verdict", default=None
)


def install(settings: Settings, provider: TracerProvider) -> None:
    current = propagate.get_global_textmap()
    if isinstance(current, GuardedPropagator):
        current = current.delegate
    propagate.set_global_textmap(
        GuardedPropagator(
            current, settings.trace_trusted_networks, settings.trace_propagation_targets
        )
    )
    provider.add_span_processor(UntrustedParentLinker())


class GuardedPropagator(TextMapPropagator):
    """The app's propagator, behind the trust settings in both directions."""

    def __init__(
        self,
        delegate: TextMapPropagator,
        trusted: TrustedNetworks,
        targets: PropagationTargets,
    ) -> None:
        self.delegate = delegate
        self._trusted = trusted
        self._targets = targets

    def extract(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        getter: Getter[CarrierT] = default_getter,
    ) -> Context:
        if self._trusted.every or _judged(_caller_is_trusted, carrier, self._trusted):
            return self.delegate.extract(carrier, context, getter)
        base = context if context is not None else Context()
        brought = self.delegate.extract(carrier, Context(), getter)
        span_context = trace.get_current_span(brought).get_span_context()
        if not span_context.is_valid:
            return base
        return otel_context.set_value(_BROUGHT_KEY, span_context, base)

    def inject(
        self,
        carrier: CarrierT,
        context: Context | None = None,
        setter: Setter[CarrierT] = default_setter,
    ) -> None:
        if self._targets.every or _judged(_sender_may_propagate, context, self._targets):
            self.delegate.inject(carrier, context, setter)

    @property
    def fields(self) -> set[str]:
        return self.delegate.fields


class UntrustedParentLinker(SpanProcessor):
    """Links the span an untrusted request starts to the context the request brought."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if span.parent is not None:
            return
        brought = otel_context.get_value(_BROUGHT_KEY, parent_context)
        if isinstance(brought, SpanContext):
            span.add_link(brought, UNTRUSTED_LINK_ATTRIBUTES)


def note_unrecorded_span(
    parent_context: Context | None,
    trace_id: int,
    kind: SpanKind | None,
    attributes: Attributes,
    targets: PropagationTargets,
) -> None:
    """Called by the sampler for each span it does not record."""
    parent_span_id = trace.get_current_span(parent_context).get_span_context().span_id
    allowed = kind is not SpanKind.CLIENT or _destination_allowed(attributes, targets)
    _unrecorded_verdict.set(_Verdict(trace_id, parent_span_id, allowed))


def _judged(rule: Callable[[Any, Any], bool], subject: object, setting: object) -> bool:
    """A rule's answer; a carrier it cannot read is refused, and the request goes on."""
    try:
        return rule(subject, setting)
    except Exception:
        logger.debug("Connect could not judge trace context; treated as untrusted", exc_info=True)
        return False


def _caller_is_trusted(carrier: object, trusted: TrustedNetworks) -> bool:
    addresses = _caller_addresses(carrier)
    if addresses is None:
        return True
    return all(trusted.trusts(address) for address in addresses)


def _caller_addresses(carrier: object) -> list[str] | None:
    """The peer and every forwarded address of an HTTP server's request; None for other carriers."""
    # WSGI environs and ASGI scopes are dicts: the ABC check is for other carriers.
    if type(carrier) is not dict and not isinstance(carrier, Mapping):
        return None
    if "REMOTE_ADDR" in carrier or "wsgi.version" in carrier:
        peer = carrier.get("REMOTE_ADDR") or ""
        forwarded_for = carrier.get("HTTP_X_FORWARDED_FOR") or ""
        forwarded = carrier.get("HTTP_FORWARDED") or ""
    elif carrier.get("type") in ("http", "websocket") and "headers" in carrier:
        client = carrier.get("client")
        peer = str(client[0]) if client else ""
        forwarded_for, forwarded = _asgi_forwarding_headers(carrier["headers"])
    else:
        return None
    # No peer address (a Unix socket) means a proxy on this machine: the headers say who called.
    addresses = [peer] if peer else []
    if not forwarded_for and not forwarded:
        return addresses
    addresses.extend(item for item in forwarded_for.split(",") if item.strip())
    addresses.extend(_forwarded_for(forwarded))
    return addresses


def _asgi_forwarding_headers(headers: Sequence[tuple[bytes, bytes]]) -> tuple[str, str]:
    """`X-Forwarded-For` and `Forwarded`, each of its lines joined, in one pass over them all."""
    forwarded_for: list[str] = []
    forwarded: list[str] = []
    for key, value in headers:
        name = key.lower()
        if name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
        elif name == b"forwarded":
            forwarded.append(value.decode("latin-1"))
    return ",".join(forwarded_for), ",".join(forwarded)


def _forwarded_for(header: str) -> list[str]:
    """The `for=` of each element of a `Forwarded` header (RFC 7239)."""
    if not header:
        return []
    found = []
    for element in header.split(","):
        for pair in element.split(";"):
            key, _, value = pair.strip().partition("=")
            if key.lower() == "for":
                found.append(value)
    return found


def _sender_may_propagate(context: Context | None, targets: PropagationTargets) -> bool:
    span = trace.get_current_span(context)
    if span.is_recording():
        if getattr(span, "kind", None) is not SpanKind.CLIENT:
            # A job sent to the app's broker, or the app's own code injecting on purpose.
            return True
        return _destination_allowed(getattr(span, "attributes", None), targets)
    span_context = span.get_span_context()
    verdict = _unrecorded_verdict.get()
    if verdict is None or verdict.trace_id != span_context.trace_id:
        return False
    # Back under the span a call started from: the app's own code is injecting.
    return verdict.allowed or span_context.span_id == verdict.parent_span_id


def _destination_allowed(attributes: Attributes, targets: PropagationTargets) -> bool:
    if not attributes:
        return False
    for key in _DESTINATION_KEYS:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            host = urlsplit(value).hostname if "://" in value else value
            return host is not None and targets.allows(host)
    return False
