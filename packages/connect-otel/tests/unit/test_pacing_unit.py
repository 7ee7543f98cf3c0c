"""The export thread gives the interpreter away while a batch is encoded: the pauses must fall
inside the encoder (Connect's writer, handed the batch where the SDK's exporter encodes), which
iterates the batch once, lazily. These fail if the batch is copied before it is encoded (the
pauses would all come first) or if the SDK's exporter stops handing it to Connect's writer."""

from __future__ import annotations

import sys
import threading
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
from connect_otel._pacing import (
    EVERY,
    PASSED_AFTER_UNUSED,
    PAUSE_SECONDS,
    Paced,
    pause_was_used,
)
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


class OtherThreads:
    """The process's CPU clock, with the CPU other threads take during each pause decided by
    the test: `used` says, pause by pause, whether another thread ran."""

    def __init__(self, used: list[bool]) -> None:
        self.used = used
        self.process = self.thread = 0.0
        self.pauses: list[float] = []

    def sleep(self, seconds: float) -> None:
        # The pausing thread's own system call takes CPU too, and is not another's.
        self.thread += 0.0001
        self.process += 0.0001 + (0.001 if self.used[len(self.pauses)] else 0.000001)
        self.pauses.append(seconds)


def paced_with(
    monkeypatch: pytest.MonkeyPatch, used: list[bool], count: int
) -> tuple[list[int], OtherThreads]:
    """Iterates `count` items; the indexes after which it paused, and the clock it used."""
    other = OtherThreads(used)
    monkeypatch.setattr(_pacing, "sleep", other.sleep)
    monkeypatch.setattr(_pacing, "process_time", lambda: other.process)
    monkeypatch.setattr(_pacing, "thread_time", lambda: other.thread)
    paused_at: list[int] = []
    for item in Paced(list(range(count))):
        if len(other.pauses) > len(paused_at):
            paused_at.append(item)
    return paused_at, other


def test_a_paced_batch_is_the_same_batch_with_a_pause_every_few_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paused_at, other = paced_with(monkeypatch, [True] * 8, BATCH + 3)
    assert paused_at == [EVERY, 2 * EVERY, 3 * EVERY, 4 * EVERY]
    # Long enough for a request thread let in to finish its work, not no time at all.
    assert other.pauses == [PAUSE_SECONDS] * 4 and PAUSE_SECONDS > 0
    items = list(range(BATCH + 3))
    paced = Paced(items)
    assert list(paced) == items and len(paced) == len(items)
    assert paced[5] == 5 and paced[-1] == items[-1] and list(paced[2:4]) == [2, 3]


def test_pause_points_are_passed_by_after_a_pause_nobody_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert PASSED_AFTER_UNUSED == 1
    # Unused (the next point passed by), used, used, unused (passed by), then used.
    used = [False, True, True, False, *[True] * 5]
    paused_at, _ = paced_with(monkeypatch, used, EVERY * 12)
    assert paused_at == [EVERY * n for n in (1, 3, 4, 5, 7, 8, 9, 10, 11)]
    nobody = paced_with(monkeypatch, [False] * 6, EVERY * 12)[0]
    assert nobody == [EVERY * n for n in (1, 3, 5, 7, 9, 11)]


def test_a_pause_another_thread_ran_in_counts_as_used() -> None:
    running, stop = threading.Event(), threading.Event()

    def spin() -> None:
        running.set()
        while not stop.is_set():
            pass

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        running.wait(5)
        assert pause_was_used()
    finally:
        stop.set()
        spinner.join(5)


@pytest.mark.parametrize("signal", ["spans", "logs"])
def test_batches_pause_inside_the_encoder(
    signal: str, settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pacing, "USED_SECONDS", -1.0)  # every pause counts as used
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
