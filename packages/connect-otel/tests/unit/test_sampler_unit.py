"""ConnectSampler in-process: excluded paths, parent-based decisions and the sample rate."""

from __future__ import annotations

import random

import pytest
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    set_span_in_context,
)

from connect_otel._sampling import ConnectSampler
from connect_otel.settings import resolve


def sampler(
    rate: float = 1.0, excluded: str = "/health,/static/", keep_errors: bool = False
) -> ConnectSampler:
    settings = {"trace_sample_rate": rate, "excluded_paths": excluded}
    return ConnectSampler(resolve({**settings, "trace_keep_errors": keep_errors}, environ={}))


def decide(
    chosen: ConnectSampler,
    kind: SpanKind = SpanKind.SERVER,
    path: str | None = None,
    parent: Context | None = None,
    trace_id: int = 0x0123456789ABCDEF0123456789ABCDEF,
    path_key: str = "url.path",
) -> Decision:
    attributes = {path_key: path} if path is not None else None
    return chosen.should_sample(parent, trace_id, "GET", kind, attributes).decision


def remote_parent(sampled: bool) -> Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(0xAB, 0xCD, is_remote=True, trace_flags=flags)
    return set_span_in_context(NonRecordingSpan(context))


@pytest.mark.parametrize("path", ["/health", "/static/app.css", "/static/", "/health?full=1"])
def test_excluded_server_paths_are_dropped(path: str) -> None:
    assert decide(sampler(), path=path) is Decision.DROP
    assert decide(sampler(), path=path, path_key="http.target") is Decision.DROP


@pytest.mark.parametrize("path", ["/healthy", "/health/db", "/statics", "/", "/items/1"])
def test_other_paths_are_sampled(path: str) -> None:
    assert decide(sampler(), path=path) is Decision.RECORD_AND_SAMPLE


def test_only_server_spans_are_matched_against_paths() -> None:
    inside_a_trace = remote_parent(True)  # client spans outside any trace are chatter
    for kind in (SpanKind.CLIENT, SpanKind.INTERNAL, SpanKind.PRODUCER):
        decision = decide(sampler(), kind=kind, path="/health", parent=inside_a_trace)
        assert decision is Decision.RECORD_AND_SAMPLE


def test_no_excluded_paths_excludes_nothing() -> None:
    assert decide(sampler(excluded=""), path="/health") is Decision.RECORD_AND_SAMPLE


def test_rate_zero_and_one_for_root_spans() -> None:
    assert decide(sampler(0.0), path="/items/1") is Decision.DROP
    assert decide(sampler(1.0), path="/items/1") is Decision.RECORD_AND_SAMPLE
    # With a keep rule, a root that loses the draw is recorded until the tail decides.
    assert decide(sampler(0.0, keep_errors=True), path="/items/1") is Decision.RECORD_ONLY


def test_a_remote_parents_decision_wins_over_the_rate() -> None:
    assert decide(sampler(0.0), parent=remote_parent(True)) is Decision.RECORD_AND_SAMPLE
    assert decide(sampler(1.0), parent=remote_parent(False)) is Decision.DROP


def test_an_excluded_path_is_dropped_even_under_a_sampled_parent() -> None:
    assert decide(sampler(), path="/health", parent=remote_parent(True)) is Decision.DROP


def test_a_rate_samples_that_share_of_root_traces() -> None:
    chosen, draws = sampler(0.25), 4000
    generator = random.Random(7)
    sampled = sum(
        decide(chosen, trace_id=generator.getrandbits(128)) is Decision.RECORD_AND_SAMPLE
        for _ in range(draws)
    )
    # Binomial(4000, 0.25): mean 1000, five standard deviations either side is 863..1137.
    assert 863 <= sampled <= 1137


def test_children_follow_their_roots_decision() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler(0.5), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("unit")
    for _ in range(200):
        with (
            tracer.start_as_current_span("root", kind=SpanKind.SERVER),
            tracer.start_as_current_span("child"),
        ):
            pass
    names = [span.name for span in exporter.get_finished_spans()]
    assert 0 < names.count("root") < 200
    assert names.count("child") == names.count("root")
    provider.shutdown()


def test_description_names_the_delegate() -> None:
    assert sampler(0.5).get_description().startswith("ConnectSampler{ParentBased")
