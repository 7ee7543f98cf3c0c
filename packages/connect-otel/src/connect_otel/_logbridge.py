"""Bridges `logging` into OTLP log records, on the maintained contrib handler."""

from __future__ import annotations

import logging
from contextlib import suppress

from opentelemetry import context, trace
from opentelemetry._logs import LoggerProvider
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.util.types import AnyValue

from connect_otel._console import Console

# Where a request (Django's) or an exception that escaped one (under uvicorn) keeps the span
# context of the request, for records logged about it after its span has ended.
_SPAN_CONTEXT = "_connect_span_context"


def remember_span_context(carrier: object) -> None:
    """Keeps the current span's context on `carrier` for records logged about it later."""
    # An object that takes no attributes simply goes without.
    with suppress(Exception):
        setattr(carrier, _SPAN_CONTEXT, trace.get_current_span().get_span_context())


def _remembered_span_context(record: logging.LogRecord) -> trace.SpanContext | None:
    remembered = getattr(record.__dict__.get("request"), _SPAN_CONTEXT, None)
    if remembered is None and record.exc_info:
        remembered = getattr(record.exc_info[1], _SPAN_CONTEXT, None)
    return remembered if isinstance(remembered, trace.SpanContext) else None


def qualified_type_name(exception_type: type[BaseException]) -> str:
    """`KeyError` for builtins, `package.module.Name` for everything else."""
    module = exception_type.__module__
    if module == "builtins":
        return exception_type.__qualname__
    return f"{module}.{exception_type.__qualname__}"


class LogBridge(LoggingHandler):
    """The contrib handler, minus what Connect itself logs and with qualified exception types.

    Records from the `opentelemetry` namespace, and every record produced where instrumentation
    is suppressed, as the SDK does around every export (urllib3's connection errors inside the
    exporter, say), are skipped: exporting them would feed a failing endpoint with reports of its
    own failure. So are the `connect_otel` logger's: they are about Connect and belong on the
    console. A record about a request whose span has ended (Django's "Not Found") gets the
    request's trace.

    With a `console`, the bridge prints what `logging.lastResort` would have printed had the
    bridge not been there. Its own level stays NOTSET so it sees those records; `level` is the
    export floor.
    """

    def __init__(
        self,
        level: int = logging.NOTSET,
        logger_provider: LoggerProvider | None = None,
        console: Console | None = None,
    ) -> None:
        # Where each record was logged (code.file.path, code.function.name, code.line.number),
        # as plain.connect 0.5.0's SDK handler sent it; the contrib handler leaves it off.
        super().__init__(logger_provider=logger_provider, log_code_attributes=True)
        self.export_level = level
        self._console = console

    def handle(self, record: logging.LogRecord) -> bool:
        # The SDK's own records exist only because Connect exports: without it, nothing printed.
        # Connect's own are printed by its console handler (`_console.ConnectConsole`), once.
        if record.name.startswith("opentelemetry") or record.name == "connect_otel":
            return False
        if self._console is not None:
            self._console.stand_in_for_last_resort(record)
        if record.levelno < self.export_level:
            return False
        return super().handle(record)

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("opentelemetry") or not is_instrumentation_enabled():
            return
        try:
            remembered = _remembered_span_context(record)
            if remembered is None or trace.get_current_span().get_span_context().is_valid:
                super().emit(record)
                return
            # The contrib handler takes the trace from the current context.
            token = context.attach(trace.set_span_in_context(trace.NonRecordingSpan(remembered)))
            try:
                super().emit(record)
            finally:
                context.detach(token)
        except Exception:
            # A logging call in the app must never fail because of telemetry.
            self.handleError(record)

    def _get_attributes(self, record: logging.LogRecord) -> tuple[dict[str, AnyValue], str | None]:
        # Overrides a private method of the contrib handler; the end-to-end log tests assert
        # a qualified `exception.type` and fail if the contrib handler stops calling this.
        attributes, event_name = super()._get_attributes(record)
        if record.exc_info and record.exc_info[0] is not None:
            attributes["exception.type"] = qualified_type_name(record.exc_info[0])
        return attributes, event_name

    def flush(self) -> None:
        # The contrib handler starts a thread that force-flushes the provider; at interpreter
        # exit that thread could block on an unreachable endpoint. Connect's own bounded
        # shutdown flushes instead.
        pass
