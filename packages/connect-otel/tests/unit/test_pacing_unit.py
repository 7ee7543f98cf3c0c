"""The export thread gives the interpreter away while a batch is encoded: the pauses must fall
inside the encoder (Connect's writer, handed the batch where the SDK's exporter encodes), which
iterates the batch once, lazily. These fail if the batch is copied before it is encoded (the
pauses would all come first) or if the SDK's exporter stops handing it to Connect's writer."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    InMemoryLogRecordExporter,
    LogRecordExportResult,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _exporters, _pacing
from connect_otel._pacing import EVERY, PAUSE_SECONDS, Paced
from connect_otel._scrubbing import Scrubber
from connect_otel._scrubbing_exporters import ScrubbingLogExporter
from connect_otel._span_steps import SpanStepsExporter
from connect_otel.settings import Settings, resolve
from connect_testkit.receiver import Receiver

BATCH = EVERY * 4


@pytest.fixture
def settings(receiver: Receiver) -> Settings:
    return resolve({"export_url": receiver.url, "export_token": "test-token"}, environ={})


@contextmanager
def pauses() -> Iterator[list[list[str]]]:
    """Every `time.sleep` call made on this thread, as the names of the functions on the stack."""
    seen: list[list[str]] = []

    def watch(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call" and getattr(arg, "__name__", "") == "sleep":
            names, current = [], frame
            while current is not None:
                names.append(current.f_code.co_name)
                current = current.f_back
            seen.append(names)

    sys.setprofile(watch)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def finished_spans(count: int) -> Any:
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for number in range(count):
        with provider.get_tracer("paced").start_as_current_span(f"span {number}"):
            pass
    return memory.get_finished_spans()


def finished_log_records(count: int) -> Any:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    for number in range(count):
        provider.get_logger("paced").emit(body=f"record {number}")
    return memory.get_finished_logs()


def test_a_paced_batch_is_the_same_batch_with_a_pause_every_few_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr(_pacing, "sleep", slept.append)
    items = list(range(BATCH + 3))
    paced = Paced(items)
    assert list(paced) == items and len(paced) == len(items)
    assert paced[5] == 5 and paced[-1] == items[-1] and list(paced[2:4]) == [2, 3]
    # Long enough for a request thread let in to finish its work, not no time at all.
    assert slept == [PAUSE_SECONDS] * (BATCH // EVERY) and PAUSE_SECONDS > 0


@pytest.mark.parametrize("signal", ["spans", "logs"])
def test_batches_pause_inside_the_encoder(
    signal: str, settings: Settings, receiver: Receiver
) -> None:
    scrubber = Scrubber((), ())
    exporter: Any
    if signal == "spans":
        exporter = SpanStepsExporter(_exporters.span_exporter(settings), [scrubber.span])
        batch, encoder, arrived = finished_spans(BATCH), "_write_grouped", receiver.spans
    else:
        exporter = ScrubbingLogExporter(_exporters.log_exporter(settings), scrubber)
        batch, encoder, arrived = (
            finished_log_records(BATCH),
            "_write_grouped",
            receiver.logs,
        )
    with pauses() as seen:
        result = exporter.export(batch)
    assert result in (SpanExportResult.SUCCESS, LogRecordExportResult.SUCCESS)
    encoding = [stack for stack in seen if encoder in stack]
    assert len(encoding) == BATCH // EVERY - 1
    assert len(seen) - len(encoding) == BATCH // EVERY - 1, "scrubbing is paced too"
    assert len(arrived()) == BATCH
    exporter.shutdown()
