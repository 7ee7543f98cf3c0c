"""The log bridge in-process, on a provider of the test's own: nothing global is installed."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    LogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)

from connect_otel._logbridge import LogBridge, qualified_type_name


@dataclass
class Bridged:
    logger: logging.Logger
    bridge: LogBridge
    exporter: InMemoryLogRecordExporter
    provider: LoggerProvider

    def bodies(self) -> list[object]:
        return [record.log_record.body for record in self.exporter.get_finished_logs()]

    def records(self) -> Sequence[ReadableLogRecord]:
        return self.exporter.get_finished_logs()


def bridge_logger(
    name: str, level: int = logging.INFO, provider: LoggerProvider | None = None
) -> Iterator[Bridged]:
    """A logger bridged to `provider`, or to a new one that keeps its records in memory."""
    exporter = InMemoryLogRecordExporter()
    if provider is None:
        provider = LoggerProvider(shutdown_on_exit=False)
        provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    bridge = LogBridge(level=level, logger_provider=provider)
    logger = logging.getLogger(name)
    # Its own logger, kept from the root's handlers, so nothing else sees these records.
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(bridge)
    try:
        yield Bridged(logger, bridge, exporter, provider)
    finally:
        logger.removeHandler(bridge)
        provider.shutdown()


@pytest.fixture
def bridged(request: pytest.FixtureRequest) -> Iterator[Bridged]:
    yield from bridge_logger(f"unit.{request.node.name}")


class ShopError(Exception):
    class Declined(Exception):
        pass


def test_records_at_or_above_the_level_are_exported_with_their_severity() -> None:
    for bridged in bridge_logger("unit.levels", level=logging.WARNING):
        bridged.logger.info("below")
        bridged.logger.warning("at")
        bridged.logger.error("above")
        severities = [(r.log_record.body, r.log_record.severity_text) for r in bridged.records()]
        assert severities == [("at", "WARN"), ("above", "ERROR")]


def test_the_message_is_formatted_and_scoped_by_logger_name(bridged: Bridged) -> None:
    bridged.logger.info("order %s for %d", "ada", 3)
    (record,) = bridged.records()
    assert record.log_record.body == "order ada for 3"
    assert record.instrumentation_scope is not None
    assert record.instrumentation_scope.name == bridged.logger.name


def test_exception_types_are_module_qualified(bridged: Bridged) -> None:
    for error in (KeyError("k"), ShopError("x"), ShopError.Declined("card")):
        try:
            raise error
        except Exception:
            bridged.logger.exception("failed")
    types = [r.log_record.attributes["exception.type"] for r in bridged.records()]  # type: ignore[index]
    assert types == ["KeyError", f"{__name__}.ShopError", f"{__name__}.ShopError.Declined"]
    assert qualified_type_name(ValueError) == "ValueError"


def test_code_location_attributes(bridged: Bridged) -> None:
    bridged.logger.info("here")
    line = test_code_location_attributes.__code__.co_firstlineno + 1
    (record,) = bridged.records()
    attributes = record.log_record.attributes
    assert attributes is not None
    assert attributes["code.file.path"] == __file__
    assert attributes["code.function.name"] == "test_code_location_attributes"
    assert attributes["code.line.number"] == line


def test_the_opentelemetry_namespace_is_never_exported() -> None:
    for bridged in bridge_logger("opentelemetry.sdk.unit"):
        bridged.logger.warning("Failed to export batch")
        assert bridged.records() == ()


def test_records_logged_where_instrumentation_is_suppressed_are_skipped(bridged: Bridged) -> None:
    with suppress_instrumentation():
        bridged.logger.warning("inside")
    bridged.logger.warning("outside")
    assert bridged.bodies() == ["outside"]


class NoisyExporter(LogRecordExporter):
    """Logs to an app logger while it exports, as urllib3 does inside a failing export."""

    def __init__(self, noise: logging.Logger) -> None:
        self.noise = noise
        self.exported: list[object] = []

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        self.noise.warning("Retrying after connection broken")
        self.exported.extend(record.log_record.body for record in batch)
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def test_what_exporting_logs_is_skipped_on_every_thread_that_exports() -> None:
    for noise in bridge_logger("unit.urllib3"):
        noisy = NoisyExporter(noise.logger)
        provider = LoggerProvider(shutdown_on_exit=False)
        provider.add_log_record_processor(
            BatchLogRecordProcessor(noisy, schedule_delay_millis=60_000)
        )
        for app in bridge_logger("unit.app", provider=provider):
            app.logger.info("flushed on the caller's thread")
            provider.force_flush()
            app.logger.info("exported on the processor's thread at shutdown")
            provider.shutdown()
        assert noisy.exported == [
            "flushed on the caller's thread",
            "exported on the processor's thread at shutdown",
        ]
        # Each export logged through a bridged logger, and none of that was exported;
        noise.logger.warning("the same logger outside an export")
        # while the same logger's records outside an export are.
        assert noise.bodies() == ["the same logger outside an export"]


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def test_a_hostile_record_never_raises_into_the_caller(
    bridged: Bridged, capsys: pytest.CaptureFixture[str]
) -> None:
    # Handed to the bridge alone: the test runner's own log capture would raise on these.
    def record(msg: object, *args: object, **extra: object) -> logging.LogRecord:
        return bridged.logger.makeRecord(
            bridged.logger.name, logging.INFO, __file__, 1, msg, args, None, extra=extra
        )

    bridged.bridge.handle(record("%d items", "not a number"))
    bridged.bridge.handle(record(Unprintable()))
    bridged.bridge.handle(record("odd extra", payload=object(), when=Unprintable()))
    bridged.bridge.handle(record("after"))
    assert "after" in bridged.bodies()
    # The failures went where logging reports its own, not up the stack.
    assert "--- Logging error ---" in capsys.readouterr().err
