"""What Connect changes in the SDK's export path to spend less CPU, each against the SDK it
relies on: these fail when the SDK stops doing what the change assumes."""

from __future__ import annotations

import gzip
import inspect
import os

from opentelemetry.exporter.otlp.common.http import Compression, _OTLPHTTPClient
from opentelemetry.metrics import NoOpMeter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics._internal.exemplar import TraceBasedExemplarFilter
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connect_otel import _exporters
from connect_otel._development_metrics import DEVELOPMENT_HTTP_METRICS, StableMetricsOnly
from connect_otel._resource import HashedOnceResource, service_resource
from connect_otel.settings import resolve
from connect_testkit.receiver import Receiver

# gzip's header byte 8 (XFL): 4 when the fastest level made the body, 2 for the best.
XFL_FASTEST = 4


def test_every_exporter_sends_bodies_gzipped_at_the_fastest_level(receiver: Receiver) -> None:
    settings = resolve({"export_url": receiver.url, "export_token": "test-token"}, environ={})
    memory = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("gzip").start_as_current_span("compressed"):
        pass
    exporter = _exporters.span_exporter(settings)
    assert exporter.export(memory.get_finished_spans()) is SpanExportResult.SUCCESS
    (request,) = receiver.requests()
    assert request.gzip and request.headers["Content-Encoding"] == "gzip"
    assert [span.name for span in receiver.spans()] == ["compressed"]
    body = b"the same bytes, again and again " * 64
    for made in (exporter, _exporters.metric_exporter(settings), _exporters.log_exporter(settings)):
        assert isinstance(made._client, _OTLPHTTPClient)
        compressed = made._client._compress(body)
        assert compressed[8] == XFL_FASTEST
        assert gzip.decompress(compressed) == body
        made.shutdown()
    provider.shutdown()


def test_the_sdk_still_compresses_in_the_method_connect_overrides() -> None:
    # If the SDK compresses elsewhere, the override silently stops mattering.
    assert "self._compress(" in inspect.getsource(_OTLPHTTPClient.export)
    body = b"the same bytes, again and again " * 64
    sdk_client = _OTLPHTTPClient(transport=None, endpoint="", kind="spans")  # type: ignore[arg-type]
    sdk_client._compression = Compression.GZIP
    assert gzip.decompress(sdk_client._compress(body)) == body


def test_the_resource_hash_is_the_sdks_and_survives_the_fork_merge() -> None:
    resource = service_resource(resolve({"service_name": "shop"}, environ={}))
    assert hash(resource) == Resource.__hash__(resource)
    assert resource == Resource(resource.attributes, resource.schema_url)
    assert resource.attributes["service.name"] == "shop"
    merged = resource.merge(Resource({"service.instance.id": "after-fork"}))
    assert isinstance(merged, HashedOnceResource)
    assert hash(merged) == Resource.__hash__(merged)
    assert merged.attributes["service.instance.id"] == "after-fork"


def test_a_provider_renewing_its_resource_after_fork_keeps_the_cached_hash() -> None:
    provider = TracerProvider(resource=HashedOnceResource({"service.name": "shop"}))
    provider._handle_fork()  # what os.register_at_fork runs in the child
    assert isinstance(provider.resource, HashedOnceResource)
    assert provider.resource.attributes["service.instance.id"]
    provider.shutdown()


def test_development_http_metrics_are_no_ops_and_stable_ones_are_recorded() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    meter = StableMetricsOnly(provider).get_meter("requests")
    duration = meter.create_histogram("http.server.request.duration", unit="s")
    for name in sorted(DEVELOPMENT_HTTP_METRICS):
        made = meter.create_up_down_counter(name)
        assert type(made).__module__ == type(NoOpMeter("x").create_up_down_counter(name)).__module__
        made.add(1)
    duration.record(0.1)
    data = reader.get_metrics_data()
    assert data is not None
    names = {m.name for r in data.resource_metrics for s in r.scope_metrics for m in s.metrics}
    assert names == {"http.server.request.duration"}
    provider.shutdown()


def test_exemplars_are_offered_only_for_sampled_spans_unless_the_user_says_otherwise() -> None:
    assert "OTEL_METRICS_EXEMPLAR_FILTER" not in os.environ
    provider = MeterProvider(shutdown_on_exit=False)
    assert isinstance(provider._sdk_config.exemplar_filter, TraceBasedExemplarFilter)
    provider.shutdown()
