"""Sampling: parent-based at the configured rate, and no traces for excluded paths."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, get_current_span
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from connect_otel.settings import Settings


class ConnectSampler(Sampler):
    """Drops server spans for excluded paths and client spans outside any trace, then defers to
    ParentBased(TraceIdRatioBased).

    A client span (an HTTP call, a query, a cache command) with no parent is background chatter:
    a job broker polling Redis, a connection pool's checks, a migration at start-up. Inside a
    request's or a job's trace the same calls are kept, except right under the span of a job
    being sent, where they are the queue's own transport. Code of the app's own that wants
    client spans outside a request starts a span around them.

    Every framework sets the request's path when its server span starts, so this one rule
    excludes paths everywhere, Plain's self-instrumentation included. The contrib
    instrumentations' own exclusion lists would cost more: they rebuild the full request URL
    on every request to match against. Their children (queries) follow the dropped parent.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._delegate = ParentBased(TraceIdRatioBased(settings.trace_sample_rate))

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT and _is_chatter(parent_context):
            return SamplingResult(Decision.DROP, None, None)
        if kind is SpanKind.SERVER and attributes and self._settings.excluded_paths:
            path = attributes.get("url.path") or attributes.get("http.target")
            if isinstance(path, str) and self._settings.path_is_excluded(path.split("?", 1)[0]):
                return SamplingResult(Decision.DROP, None, None)
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"ConnectSampler{{{self._delegate.get_description()}}}"


def _is_chatter(parent_context: Context | None) -> bool:
    parent = get_current_span(parent_context)
    if not parent.get_span_context().is_valid:
        return True
    # Under a producer span (a job being sent), client spans are the queue's own transport:
    # kombu's Redis commands inside Celery's publish, for instance.
    return getattr(parent, "kind", None) is SpanKind.PRODUCER
