"""The tail processor in process, on the real SDK provider and Connect's sampler: which traces
it keeps, that it keeps them whole, that upstream decisions stand, and its memory bound."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from connect_otel._sampling import ConnectSampler
from connect_otel._tail_sampling import TailSamplingProcessor, tail_sampling_on
from connect_otel.settings import resolve

SECOND = 1_000_000_000
MIB = 1024 * 1024


class Traced:
    def __init__(self, max_traces: int = 64, max_bytes: int = 8 * MIB, **overrides: object) -> None:
        settings = resolve(overrides={"trace_sample_rate": 0.0, **overrides}, environ={})
        self.exported = InMemorySpanExporter()
        self.processor = TailSamplingProcessor(
            SimpleSpanProcessor(self.exported),
            keep_errors=settings.trace_keep_errors,
            slower_than=settings.trace_keep_slower_than,
            max_traces=max_traces,
            max_bytes=max_bytes,
        )
        self.provider = TracerProvider(sampler=ConnectSampler(settings), shutdown_on_exit=False)
        self.provider.add_span_processor(self.processor)
        self.tracer = self.provider.get_tracer("test")

    def names(self) -> list[str]:
        return sorted(span.name for span in self.spans())

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.exported.get_finished_spans()


@pytest.fixture
def traced() -> Iterator[Traced]:
    running = Traced(trace_keep_slower_than=1.0)
    yield running
    running.provider.shutdown()


def request(traced: Traced, fail: str = "", seconds: float = 0.01, name: str = "GET /") -> None:
    start = 1000 * SECOND
    root = traced.tracer.start_span(name, kind=SpanKind.SERVER, start_time=start)
    with trace.use_span(root, end_on_exit=False):
        with traced.tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
            if fail == "exception":
                query.record_exception(RuntimeError("lost connection"))
        with traced.tracer.start_as_current_span("render"):
            pass
    if fail == "status":
        root.set_status(Status(StatusCode.ERROR))
    if fail == "5xx":
        root.set_attribute("http.response.status_code", 503)
    if fail == "4xx":
        root.set_attribute("http.response.status_code", 404)
    root.end(end_time=start + int(seconds * SECOND))


def test_ordinary_traces_are_dropped(traced: Traced) -> None:
    for _ in range(5):
        request(traced)
    request(traced, fail="4xx")
    assert traced.spans() == ()


@pytest.mark.parametrize("fail", ["exception", "status", "5xx"])
def test_a_failed_trace_is_kept_whole(traced: Traced, fail: str) -> None:
    request(traced)
    request(traced, fail=fail)
    spans = traced.spans()
    assert sorted(s.name for s in spans) == ["GET /", "SELECT", "render"]
    assert all(s.context is not None and s.context.trace_flags.sampled for s in spans)
    (root,) = [s for s in spans if s.name == "GET /"]
    assert root.context is not None
    assert {s.context.trace_id for s in spans if s.context} == {root.context.trace_id}
    assert all(s.parent and s.parent.span_id == root.context.span_id for s in spans if s != root)


@pytest.mark.parametrize(
    ("status_code", "raised", "kept"),
    [
        (404, True, False),  # a framework's Http404, recorded on the way to its answer
        (400, True, False),
        (404, False, False),
        (503, False, True),
        (500, True, True),
        (200, True, True),  # failed after its headers were sent: the answer is broken
        (None, True, True),  # an exception no response came out of
    ],
)
def test_a_server_span_that_answered_4xx_is_not_a_failure(
    traced: Traced, status_code: int | None, raised: bool, kept: bool
) -> None:
    with traced.tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as root:
        if status_code is not None:
            root.set_attribute("http.response.status_code", status_code)
        if raised:
            root.record_exception(LookupError("no such page"))
            root.set_status(Status(StatusCode.ERROR))
    assert traced.names() == (["GET /"] if kept else [])


def test_a_failed_query_under_a_4xx_answer_still_keeps_the_trace(traced: Traced) -> None:
    request(traced, fail="exception")  # the root answers 200
    with traced.tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.response.status_code", 404)
        with traced.tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
            query.record_exception(RuntimeError("lost connection"))
    assert traced.names() == ["GET /", "GET /", "SELECT", "SELECT", "render"]


def test_a_slow_trace_is_kept_and_a_fast_one_is_not(traced: Traced) -> None:
    request(traced, seconds=0.9)
    assert traced.spans() == ()
    request(traced, seconds=1.1)
    assert traced.names() == ["GET /", "SELECT", "render"]


def test_keep_errors_off_drops_failed_traces() -> None:
    traced = Traced(trace_keep_errors=False, trace_keep_slower_than=1.0)
    request(traced, fail="exception")
    assert traced.spans() == ()
    request(traced, seconds=2.0)
    assert len(traced.spans()) == 3


def test_a_record_only_trace_propagates_not_sampled(traced: Traced) -> None:
    with traced.tracer.start_as_current_span("GET /") as root:
        assert root.is_recording()
        with traced.tracer.start_as_current_span("client call") as child:
            assert child.is_recording()
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
    flags = int(carrier["traceparent"].rsplit("-", 1)[1], 16)
    assert not flags & 0x01, "the sampled flag is off"


@pytest.mark.parametrize(("flag", "kept"), [("01", True), ("00", False)])
def test_upstream_decisions_stand(traced: Traced, flag: str, kept: bool) -> None:
    incoming = propagate.extract({"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-{flag}"})
    server = traced.tracer.start_as_current_span("GET /", context=incoming, kind=SpanKind.SERVER)
    with server, traced.tracer.start_as_current_span("SELECT") as query:
        query.record_exception(RuntimeError("failed, but upstream said no"))
    assert traced.names() == (["GET /", "SELECT"] if kept else [])


def test_a_span_ending_after_its_kept_root_follows_it(traced: Traced) -> None:
    root = traced.tracer.start_span("GET /", kind=SpanKind.SERVER)
    with trace.use_span(root, end_on_exit=False):
        late = traced.tracer.start_span("background")
    root.set_status(Status(StatusCode.ERROR))
    root.end()
    late.end()
    assert traced.names() == ["GET /", "background"]


def test_undecided_traces_are_bounded_and_the_oldest_given_up() -> None:
    traced = Traced(max_traces=4)
    roots = [traced.tracer.start_span(f"root {i}") for i in range(10)]
    assert traced.processor.dropped == 6
    for root in roots:
        with trace.use_span(root, end_on_exit=False):
            traced.tracer.start_span("child").end()
        root.set_status(Status(StatusCode.ERROR))
        root.end()
    assert traced.names() == ["child"] * 4 + ["root 6", "root 7", "root 8", "root 9"]
    assert traced.processor.held_bytes == 0 and not traced.processor._pending


def test_traces_that_failed_are_given_up_last() -> None:
    traced = Traced(max_traces=2)
    failing = traced.tracer.start_span("failing", kind=SpanKind.SERVER)
    with (
        trace.use_span(failing, end_on_exit=False),
        traced.tracer.start_as_current_span("SELECT") as query,
    ):
        query.record_exception(RuntimeError("lost connection"))
    later = [traced.tracer.start_span(f"later {i}", kind=SpanKind.SERVER) for i in range(3)]
    assert traced.processor.dropped == 2, "two of the later traces, not the failing oldest"
    failing.end()
    for root in later:
        root.end()
    assert traced.names() == ["SELECT", "failing"]


def query_with(traced: Traced, statement: str) -> None:
    traced.tracer.start_span(
        "SELECT", kind=SpanKind.CLIENT, attributes={"db.query.text": statement}
    ).end()


def test_held_spans_are_bounded_in_bytes_and_the_estimate_is_honest() -> None:
    traced = Traced(max_bytes=2 * MIB)
    roots = [traced.tracer.start_span(f"root {i}", kind=SpanKind.SERVER) for i in range(40)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for index, root in enumerate(roots):
        with trace.use_span(root, end_on_exit=False):
            for _ in range(3):
                query_with(traced, f"SELECT {index} " + "x" * 64 * 1024)
        assert traced.processor.held_bytes <= 2 * MIB
    held_in_memory = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert traced.processor.dropped > 0
    assert held_in_memory < 1.25 * traced.processor.held_bytes + 256 * 1024, (
        f"{held_in_memory} bytes held for an estimate of {traced.processor.held_bytes}"
    )


def test_one_huge_trace_cannot_push_out_a_small_failing_one() -> None:
    traced = Traced(max_bytes=1 * MIB)
    small = traced.tracer.start_span("small", kind=SpanKind.SERVER)
    with (
        trace.use_span(small, end_on_exit=False),
        traced.tracer.start_as_current_span("SELECT") as query,
    ):
        query.record_exception(RuntimeError("lost connection"))
    huge = traced.tracer.start_span("huge", kind=SpanKind.SERVER)
    with trace.use_span(huge, end_on_exit=False):
        for _ in range(4100):
            query_with(traced, "SELECT * FROM book WHERE id = ?")
    huge.set_status(Status(StatusCode.ERROR))
    huge.end()
    small.end()
    assert traced.names() == ["SELECT", "small"]
    assert traced.processor.dropped == 1, "the huge trace gave itself up"
    assert traced.processor.held_bytes == 0


def test_tail_sampling_is_off_at_rate_one_or_without_keep_rules() -> None:
    assert not tail_sampling_on(resolve(overrides={"trace_sample_rate": 1.0}, environ={}))
    assert not tail_sampling_on(
        resolve(overrides={"trace_sample_rate": 0.1, "trace_keep_errors": False}, environ={})
    )
    assert tail_sampling_on(resolve(overrides={"trace_sample_rate": 0.1}, environ={}))
    off = TracerProvider(
        sampler=ConnectSampler(resolve(overrides={"trace_sample_rate": 0.0,
                                                  "trace_keep_errors": False}, environ={})),
        shutdown_on_exit=False,
    )  # fmt: skip
    with off.get_tracer("t").start_as_current_span("root") as span:
        assert not span.is_recording()
