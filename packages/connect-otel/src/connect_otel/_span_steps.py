"""Every change Connect makes to a finished span, applied in one walk over each batch on the
export thread: naming query spans (`_query_names`), scrubbing (`_scrubbing`), splitting server
addresses (`_server_address`). One walk, paced once (`_pacing`), and never on a request's thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from connect_otel._pacing import Paced

SpanStep = Callable[[ReadableSpan], ReadableSpan]


class SpanStepsExporter(SpanExporter):
    """Applies `steps`, in order, to each span of a batch, then hands the batch on."""

    def __init__(self, exporter: SpanExporter, steps: Sequence[SpanStep]) -> None:
        self._exporter = exporter
        self._steps = tuple(steps)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([self._apply(span) for span in Paced(spans)])

    def _apply(self, span: ReadableSpan) -> ReadableSpan:
        for step in self._steps:
            span = step(span)
        return span

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
