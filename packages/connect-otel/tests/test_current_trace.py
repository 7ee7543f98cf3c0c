"""`current_trace()` and `trace_url()` on the real SDK provider with Connect's sampler and tail
processor: sampled, not sampled, undecided until the local root ends, no trace, export off."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from connect_otel import ConfigurationError, CurrentTrace, current_trace
from connect_otel._sampling import ConnectSampler
from connect_otel._tail_sampling import TailSamplingProcessor, tail_sampling_on
from connect_otel.settings import resolve
from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python


@contextmanager
def provider(**overrides: object) -> Iterator[TracerProvider]:
    """Connect's provider as the pipeline builds it, exporting to memory."""
    settings = resolve(overrides=overrides, environ={})
    processor = SimpleSpanProcessor(InMemorySpanExporter())
    if tail_sampling_on(settings):
        processor = TailSamplingProcessor(
            processor,
            keep_errors=settings.trace_keep_errors,
            slower_than=settings.trace_keep_slower_than,
        )
    built = TracerProvider(sampler=ConnectSampler(settings), shutdown_on_exit=False)
    built.add_span_processor(processor)
    yield built
    built.shutdown()


@pytest.fixture
def tracer() -> Iterator[trace.Tracer]:
    with provider(trace_sample_rate=1.0) as built:
        yield built.get_tracer("test")


@pytest.fixture
def unsampled_tracer() -> Iterator[trace.Tracer]:
    with provider(trace_sample_rate=0.0, trace_keep_errors=False) as built:
        yield built.get_tracer("test")


@pytest.fixture
def tail_tracer() -> Iterator[trace.Tracer]:
    with provider(trace_sample_rate=0.0, trace_keep_errors=True) as built:
        yield built.get_tracer("test")


def hex_id(span: trace.Span) -> str:
    return format(span.get_span_context().trace_id, "032x")


def test_outside_any_trace_there_is_no_trace_and_no_decision() -> None:
    assert current_trace() == CurrentTrace("", None)


def test_a_sampled_trace(tracer: trace.Tracer) -> None:
    with (
        tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as root,
        tracer.start_as_current_span("SELECT"),
    ):
        assert current_trace() == CurrentTrace(hex_id(root), True)
    assert current_trace() == CurrentTrace("", None)


def test_a_trace_that_is_not_sampled(unsampled_tracer: trace.Tracer) -> None:
    with unsampled_tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as root:
        trace_id = current_trace().trace_id
        assert len(trace_id) == 32 and trace_id == hex_id(root)
        assert current_trace().sampled is False


def test_under_tail_sampling_a_trace_is_undecided_until_its_local_root_ends(
    tail_tracer: trace.Tracer,
) -> None:
    root = tail_tracer.start_span("GET /boom", kind=SpanKind.SERVER)
    with trace.use_span(root, end_on_exit=False):
        assert current_trace() == CurrentTrace(hex_id(root), None)
        worker = tail_tracer.start_span("render")
        with trace.use_span(worker, end_on_exit=False):
            assert current_trace().sampled is None
        root.set_status(Status(StatusCode.ERROR))
    root.end()
    # The failed trace is kept: code still running in it (a task the request started) is told.
    with trace.use_span(worker, end_on_exit=True):
        assert current_trace() == CurrentTrace(hex_id(root), True)


def test_under_tail_sampling_a_trace_let_go_is_not_sampled(tail_tracer: trace.Tracer) -> None:
    root = tail_tracer.start_span("GET /", kind=SpanKind.SERVER)
    worker = tail_tracer.start_span("task", context=trace.set_span_in_context(root))
    root.end()
    with trace.use_span(worker, end_on_exit=True):
        assert current_trace() == CurrentTrace(hex_id(root), False)


def test_under_tail_sampling_a_caller_decision_stands(tail_tracer: trace.Tracer) -> None:
    carrier = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}
    with tail_tracer.start_as_current_span(
        "GET /", kind=SpanKind.SERVER, context=propagate.extract(carrier)
    ):
        assert current_trace() == CurrentTrace("0af7651916cd43dd8448eb211c80319c", False)


def test_export_off_reads_no_opentelemetry_and_links_nothing() -> None:
    result = run_python(
        """
        import json, sys
        import connect_otel
        assert not connect_otel.configure()
        print(json.dumps([
            connect_otel.current_trace(),
            connect_otel.trace_url(undecided=True),
            sorted(m for m in sys.modules if m.startswith("opentelemetry")),
        ]))
        """
    )
    assert json.loads(result.stdout) == [["", None], "", []]


LINKS = """
    import json, sys
    import connect_otel
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind, StatusCode

    assert connect_otel.configure()
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("GET /", kind=SpanKind.SERVER) as span:
        print(json.dumps([
            connect_otel.current_trace(),
            connect_otel.trace_url(),
            connect_otel.trace_url(undecided=True),
        ]))
        span.set_status(StatusCode.ERROR)
    connect_otel.shutdown()
"""


def test_the_link_of_a_sampled_trace(receiver: Receiver, export_env: dict[str, str]) -> None:
    env = {**export_env, "CONNECT_CLOUD_URL": "https://cloud.example.com/"}
    (trace_id, sampled), url, undecided_url = json.loads(run_python(LINKS, env).stdout)
    assert sampled is True
    assert url == undecided_url == f"https://cloud.example.com/t/{trace_id}"
    # The link names the trace the receiver got.
    receiver.wait_for(lambda r: any(s.name == "GET /" for s in r.spans()))
    assert [s.trace_id for s in receiver.spans()] == [trace_id]


def test_an_undecided_trace_is_linked_only_when_asked(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    env = {
        **export_env,
        "CONNECT_TRACE_SAMPLE_RATE": "0",
        "CONNECT_TRACE_URL": "https://jaeger.internal:16686/trace/{trace_id}?uiEmbed=v0",
    }
    (trace_id, sampled), url, undecided_url = json.loads(run_python(LINKS, env).stdout)
    assert sampled is None
    assert url == ""
    assert undecided_url == f"https://jaeger.internal:16686/trace/{trace_id}?uiEmbed=v0"
    # It failed, so tail sampling kept it: the link leads to it.
    receiver.wait_for(lambda r: any(s.name == "GET /" for s in r.spans()))
    assert [s.trace_id for s in receiver.spans()] == [trace_id]


def test_a_trace_that_is_not_sampled_has_no_link(export_env: dict[str, str]) -> None:
    env = {**export_env, "CONNECT_TRACE_SAMPLE_RATE": "0", "CONNECT_TRACE_KEEP_ERRORS": "false"}
    (trace_id, sampled), url, undecided_url = json.loads(run_python(LINKS, env).stdout)
    assert len(trace_id) == 32 and sampled is False
    assert url == undecided_url == ""


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("https://traces.example.com/trace/", "it has no {trace_id}"),
        ("https://traces.example.com/{trace}", "it names {trace}"),
        ("https://traces.example.com/{trace_id!r}", "a field has a format or a conversion"),
        ("https://traces.example.com/{trace_id", "its braces do not pair up"),
        ("/traces/{trace_id}", "what it gives is not such a URL"),
        ("https://user:pw@traces.example.com/{trace_id}", "credentials in a URL"),
    ],
)
def test_a_bad_trace_url_template_stops_start_up(template: str, reason: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve(environ={"CONNECT_TRACE_URL": template})
    message = str(raised.value)
    assert "CONNECT_TRACE_URL" in message and reason in message
    assert "pw@" not in message


@pytest.mark.parametrize(
    ("template", "cloud", "link"),
    [
        (
            "{cloud_url}/t/{trace_id}",
            "https://cloud.example.com/",
            "https://cloud.example.com/t/ab",
        ),
        ("https://jaeger.internal/trace/{trace_id}", "", "https://jaeger.internal/trace/ab"),
        (
            'https://g.internal/explore?left={{"q":"{trace_id}"}}',
            "",
            'https://g.internal/explore?left={"q":"ab"}',
        ),
    ],
)
def test_a_trace_url_template_gives_the_link(template: str, cloud: str, link: str) -> None:
    environ = {"CONNECT_TRACE_URL": template, **({"CONNECT_CLOUD_URL": cloud} if cloud else {})}
    settings = resolve(environ=environ)
    assert settings.trace_url.format(cloud_url=settings.cloud_url, trace_id="ab") == link
