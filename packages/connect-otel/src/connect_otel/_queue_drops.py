"""What a full export queue does: drops the new item at once, counts it, and says how many.

When the endpoint is slower than the app, or failing, the SDK's batch processors fill their
queue and then, for every new item, push the oldest one out and log "Queue full" at WARNING, on
the thread that ended the span or made the log record: a request's thread. A log record is also
copied for the queue before it is dropped. Under a failing endpoint every request paid that
twice, and freed two items made thousands of requests before; the fault drills measured it on
the request's latency (the benchmark README's "Fault drills").

Connect's processors drop the new item instead, before the SDK does any work on it, as the
other OpenTelemetry SDKs do; what stays queued is what was made when the endpoint began to
fail. Each drop is counted, as are the ones the SDK still makes when two threads fill the last
place at once (through its metrics hook, which still feeds the SDK's internal metrics), and
Connect's console line says how many: at once for the first drop, then at most once a minute,
and at shutdown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk._logs import ReadWriteLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk._shared_internal import BatchProcessor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

logger = logging.getLogger("connect_otel")

REPORT_EVERY_SECONDS = 60.0


class QueueDrops:
    """Counts one batch processor's drops and reports them; stands in for its metrics hook.

    It reads the SDK's `BatchProcessor` internals (`_queue`, `_max_queue_size`, `_metrics`); a
    unit test fails if they change."""

    def __init__(
        self,
        batch: BatchProcessor[Any],
        items: str,
        *,
        every: float = REPORT_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._batch = batch
        self._sdk_metrics = batch._metrics
        batch._metrics = self
        self._items = items
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._unreported = 0
        self._reported_at: float | None = None

    def full(self) -> bool:
        batch = self._batch
        return len(batch._queue) >= batch._max_queue_size

    # The SDK's metrics hook: BatchProcessor calls these three.

    def register_queue_size(self, get_queue_size: Callable[[], int]) -> None:
        self._sdk_metrics.register_queue_size(get_queue_size)

    def finish_items(self, count: int) -> None:
        self._sdk_metrics.finish_items(count)

    def drop_items(self, count: int, error_type: str = "queue_full") -> None:
        self._sdk_metrics.drop_items(count, error_type)
        if error_type != "queue_full":
            return
        with self._lock:
            self._unreported += count
            now = self._clock()
            since = self._reported_at
            if since is not None and now - since < self._every:
                return
            dropped, self._unreported, self._reported_at = self._unreported, 0, now
        self._report(dropped, since, now)

    def report_unreported(self) -> None:
        """Reports the drops since the last line; the pipeline calls it at shutdown."""
        with self._lock:
            dropped, self._unreported = self._unreported, 0
            since, now = self._reported_at, self._clock()
            self._reported_at = now
        if dropped:
            self._report(dropped, since, now)

    def _report(self, dropped: int, since: float | None, now: float) -> None:
        queue_size = self._batch._max_queue_size
        if since is None:
            logger.warning(
                "Connect dropped %s: its export queue of %d is full, because the endpoint is "
                "slower than the app or failing. Later drops are counted here at most once "
                "every %g s",
                _count(dropped, self._items),
                queue_size,
                self._every,
            )
        else:
            logger.warning(
                "Connect dropped %s in the last %.0f s: its export queue of %d was full",
                _count(dropped, self._items),
                now - since,
                queue_size,
            )


class SpanBatches(BatchSpanProcessor):
    """The SDK's batch span processor, dropping a new span when its queue is full."""

    def __init__(self, exporter: SpanExporter) -> None:
        super().__init__(exporter)
        self.drops = QueueDrops(self._batch_processor, "spans")

    def on_end(self, span: ReadableSpan) -> None:
        # Only a sampled span would have been queued: only it counts as dropped.
        if self.drops.full() and span.context and span.context.trace_flags.sampled:
            self.drops.drop_items(1)
            return
        super().on_end(span)


class LogRecordBatches(BatchLogRecordProcessor):
    """The SDK's batch log record processor, dropping a new record when its queue is full,
    before copying it for the queue."""

    def __init__(self, exporter: LogRecordExporter) -> None:
        super().__init__(exporter)
        self.drops = QueueDrops(self._batch_processor, "log records")

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if self.drops.full():
            self.drops.drop_items(1)
            return
        super().on_emit(log_record)


def _count(number: int, items: str) -> str:
    # "1 span", "2,048 log records": `items` is the plural, the singular drops its "s".
    return f"{number:,} {items if number != 1 else items[:-1]}"
