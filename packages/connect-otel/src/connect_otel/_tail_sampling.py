"""Tail sampling: traces the head rate dropped are still exported when they failed or were slow.

Below a rate of 1.0, with a keep rule on, the sampler makes the traces it would drop record-only
(recorded, not marked sampled; what this process propagates says "not sampled"). This processor
holds their ended spans per trace until the trace's local root ends, then hands all of them to
the batch processor, as sampled copies, or lets them go.

What it holds is bounded by traces and by bytes (each held span's size is estimated from its
text). A trace that outgrows its share of the bytes is given up whole, so one huge trace cannot
push out the small ones; past a bound, the trace given up is the largest (for bytes) or the oldest
(for traces) among those that have not failed yet, so that failures, which the feature exists to
keep, go last. Each given-up trace is counted in the `connect.tail_sampling.dropped` metric;
nothing blocks and memory does not grow.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry import metrics
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanContext, SpanKind, StatusCode, TraceFlags

from connect_otel._current_trace import report_tail_decisions
from connect_otel._span_copy import copy_span
from connect_otel.settings import Settings

logger = logging.getLogger("connect_otel")

MAX_TRACES = 512
MAX_BYTES = 8 * 1024 * 1024
# One trace may hold at most this share of MAX_BYTES before it is given up.
MAX_TRACE_SHARE = 0.5
# What a held span costs beyond its text: measured with tracemalloc on the SDK's spans (a query
# span with four attributes, a server span with ten: about 2.9 KB each), rounded down.
SPAN_OVERHEAD_BYTES = 2800
EVENT_OVERHEAD_BYTES = 300
# Spans that end after their local root (a background task's) still follow a kept trace.
REMEMBERED_KEPT = 1024

DROPPED_METRIC = "connect.tail_sampling.dropped"


def tail_sampling_on(settings: Settings) -> bool:
    keeps = settings.trace_keep_errors or settings.trace_keep_slower_than is not None
    return settings.trace_sample_rate < 1.0 and keeps


def failed(span: ReadableSpan) -> bool:
    """A 5xx server response, an ERROR status or a recorded exception; never a server span that
    answered 4xx: a client's mistake (a scanner's 404s) is not the server failing, whatever a
    framework recorded on the way to that answer."""
    if span.kind is SpanKind.SERVER:
        attributes = span.attributes or {}
        status = attributes.get("http.response.status_code", attributes.get("http.status_code"))
        if isinstance(status, int) and status >= 400:
            return status >= 500
    if span.status.status_code is StatusCode.ERROR:
        return True
    return any(event.name == "exception" for event in span.events)


def held_bytes(span: ReadableSpan) -> int:
    """An estimate of the memory a held span takes: a fixed overhead plus its text."""
    size = SPAN_OVERHEAD_BYTES + len(span.name) + _attributes_bytes(span.attributes)
    for event in span.events:
        size += EVENT_OVERHEAD_BYTES + len(event.name) + _attributes_bytes(event.attributes)
    for link in span.links:
        size += EVENT_OVERHEAD_BYTES + _attributes_bytes(link.attributes)
    return size


def _attributes_bytes(attributes: Mapping[str, object] | None) -> int:
    if not attributes:
        return 0
    size = 0
    for key, value in attributes.items():
        size += len(key) + _value_bytes(value)
    return size


def _value_bytes(value: object) -> int:
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (tuple, list)):
        return sum(_value_bytes(item) for item in value)
    return 8


@dataclass
class _Trace:
    root_span_id: int
    spans: list[ReadableSpan] = field(default_factory=list)
    bytes: int = 0
    failed: bool = False


class TailSamplingProcessor(SpanProcessor):
    """Goes in front of the batch processor: sampled spans pass straight through."""

    def __init__(
        self,
        batch: SpanProcessor,
        *,
        keep_errors: bool,
        slower_than: float | None,
        max_traces: int = MAX_TRACES,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self._batch = batch
        self._keep_errors = keep_errors
        self._slower_than_ns = None if slower_than is None else int(slower_than * 1e9)
        self._max_traces = max_traces
        self._max_bytes = max_bytes
        self._max_trace_bytes = int(max_bytes * MAX_TRACE_SHARE)
        self._pending: OrderedDict[int, _Trace] = OrderedDict()
        self.held_bytes = 0
        self._kept: OrderedDict[int, None] = OrderedDict()
        self._lock = threading.Lock()
        self._warned = False
        self.dropped = 0
        self._dropped_counter = metrics.get_meter("connect_otel").create_counter(
            DROPPED_METRIC,
            unit="{trace}",
            description="Traces not sampled at the head that tail sampling gave up undecided "
            "because it held as many as its memory bound allows; they are not exported.",
        )
        report_tail_decisions(self)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        context = span.context
        if context.trace_flags.sampled:
            return
        parent = span.parent
        if parent is not None and parent.is_valid and not parent.is_remote:
            return
        given_up = 0
        with self._lock:
            while len(self._pending) >= self._max_traces:
                given_up += self._give_up(self._oldest_unfailed())
            self._pending[context.trace_id] = _Trace(context.span_id)
        self._count(given_up)

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        if context.trace_flags.sampled:
            self._batch.on_end(span)
            return
        span_failed = self._keep_errors and failed(span)
        size = held_bytes(span)
        given_up = 0
        release: list[ReadableSpan] = []
        with self._lock:
            trace = self._pending.get(context.trace_id)
            if trace is None:
                if context.trace_id in self._kept:
                    release.append(span)
            elif context.span_id == trace.root_span_id:
                del self._pending[context.trace_id]
                self.held_bytes -= trace.bytes
                if trace.failed or span_failed or self._slow(span):
                    release.extend(trace.spans)
                    release.append(span)
                    self._kept[context.trace_id] = None
                    if len(self._kept) > REMEMBERED_KEPT:
                        self._kept.popitem(last=False)
            else:
                trace.failed = trace.failed or span_failed
                given_up += self._hold(context.trace_id, trace, span, size)
        self._count(given_up)
        for kept in release:
            self._batch.on_end(_sampled(kept))

    def decision(self, trace_id: int) -> bool | None:
        """None while the trace is held undecided; then whether it was kept (a kept trace is
        remembered for a while, as its late spans are)."""
        with self._lock:
            if trace_id in self._pending:
                return None
            return trace_id in self._kept

    def _slow(self, root: ReadableSpan) -> bool:
        if self._slower_than_ns is None or root.start_time is None or root.end_time is None:
            return False
        return root.end_time - root.start_time > self._slower_than_ns

    def _hold(self, trace_id: int, trace: _Trace, span: ReadableSpan, size: int) -> int:
        """Holds `span`, giving up traces to stay within the bounds; returns how many."""
        if trace.bytes + size > self._max_trace_bytes:
            return self._give_up(trace_id)
        given_up = 0
        while self.held_bytes + size > self._max_bytes:
            victim = self._largest_unfailed()
            given_up += self._give_up(victim)
            if victim == trace_id:
                return given_up
        trace.spans.append(span)
        trace.bytes += size
        self.held_bytes += size
        return given_up

    def _oldest_unfailed(self) -> int:
        return next(
            (trace_id for trace_id, trace in self._pending.items() if not trace.failed),
            next(iter(self._pending)),
        )

    def _largest_unfailed(self) -> int:
        # A scan of at most max_traces entries, only when the byte bound is reached.
        return max(self._pending, key=lambda trace_id: self._value(self._pending[trace_id]))

    @staticmethod
    def _value(trace: _Trace) -> tuple[bool, int]:
        # Unfailed before failed, then the largest first.
        return (not trace.failed, trace.bytes)

    def _give_up(self, trace_id: int) -> int:
        trace = self._pending.pop(trace_id)
        self.held_bytes -= trace.bytes
        return 1

    def _count(self, given_up: int) -> None:
        if not given_up:
            return
        self.dropped += given_up
        self._dropped_counter.add(given_up)
        if not self._warned:
            self._warned = True
            logger.warning(
                "Connect's tail sampling held as much as it may (%d undecided traces, %d MiB, "
                "at most half of it for one trace) and gave up traces that had not failed: they "
                "are not exported even if they fail later. The %s metric counts them.",
                self._max_traces,
                self._max_bytes // (1024 * 1024),
                DROPPED_METRIC,
            )

    def shutdown(self) -> None:
        with self._lock:
            self._pending.clear()
            self.held_bytes = 0
        self._batch.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._batch.force_flush(timeout_millis)


def _sampled(span: ReadableSpan) -> ReadableSpan:
    context = span.context
    assert context is not None
    return copy_span(
        span,
        context=SpanContext(
            context.trace_id,
            context.span_id,
            is_remote=context.is_remote,
            trace_flags=TraceFlags(context.trace_flags | TraceFlags.SAMPLED),
            trace_state=context.trace_state,
        ),
    )
