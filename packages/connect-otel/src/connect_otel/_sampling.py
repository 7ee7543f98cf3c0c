"""Sampling: parent-based at the configured rate, and no traces for excluded paths.

With tail sampling on (a rate below 1.0 and a keep rule), a trace that starts here and loses the
head draw is recorded without being sampled, so that its spans can still be kept if it fails or
is slow; its children follow it. A remote parent's decision is never overridden.

The sampler is the only place that sees the attributes of a span it does not record: it tells
the propagator whether such a span may send trace context where it is going (_propagation.py).
"""

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

from connect_otel._propagation import note_unrecorded_span
from connect_otel._tail_sampling import tail_sampling_on
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
        self._record_dropped_roots = tail_sampling_on(settings)
        self._targets = settings.trace_propagation_targets

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
        result = self._decide(parent_context, trace_id, name, kind, attributes, links, trace_state)
        if result.decision is Decision.DROP and not self._targets.every:
            note_unrecorded_span(parent_context, trace_id, kind, attributes, self._targets)
        return result

    def _decide(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None,
        attributes: Attributes,
        links: Sequence[Link] | None,
        trace_state: TraceState | None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            parent = get_current_span(parent_context)
            if (
                not parent.get_span_context().is_valid
                # Under a producer span (a job being sent), client spans are the queue's own
                # transport: kombu's Redis commands inside Celery's publish, for instance.
                or getattr(parent, "kind", None) is SpanKind.PRODUCER
            ):
                return SamplingResult(Decision.DROP, None, None)
        elif kind is SpanKind.SERVER and attributes and self._settings.excluded_paths:
            path = attributes.get("url.path") or attributes.get("http.target")
            if isinstance(path, str) and self._settings.path_is_excluded(path.split("?", 1)[0]):
                return SamplingResult(Decision.DROP, None, None)
        if self._record_dropped_roots:
            parent = get_current_span(parent_context)
            parent_span_context = parent.get_span_context()
            if not parent_span_context.is_valid:
                result = self._delegate.should_sample(
                    parent_context, trace_id, name, kind, attributes, links, trace_state
                )
                if result.decision is Decision.DROP:
                    return SamplingResult(Decision.RECORD_ONLY, attributes, None)
                return result
            if (
                not parent_span_context.is_remote
                and not parent_span_context.trace_flags.sampled
                and parent.is_recording()
            ):
                return SamplingResult(
                    Decision.RECORD_ONLY, attributes, parent_span_context.trace_state
                )
        return self._delegate.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        tail = ",tail" if self._record_dropped_roots else ""
        return f"ConnectSampler{{{self._delegate.get_description()}{tail}}}"
