"""Bridges `logging` into OTLP log records, on the maintained contrib handler."""

from __future__ import annotations

import logging

from opentelemetry._logs import LoggerProvider
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.util.types import AnyValue


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
    own failure.
    """

    def __init__(
        self, level: int = logging.NOTSET, logger_provider: LoggerProvider | None = None
    ) -> None:
        # Where each record was logged (code.file.path, code.function.name, code.line.number),
        # as plain.connect 0.5.0's SDK handler sent it; the contrib handler leaves it off.
        super().__init__(level=level, logger_provider=logger_provider, log_code_attributes=True)

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        if name.startswith("opentelemetry") or not is_instrumentation_enabled():
            return
        try:
            super().emit(record)
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
