"""Clean copies of batches holding lone surrogates, in-process on providers of the test's own."""

from __future__ import annotations

import logging

import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, Status, StatusCode

from connect_otel import _encodable
from connect_otel._logbridge import LogBridge

BAD = "\udcff"
RESOURCE = Resource({"service.name": "files", "host.dir": f"/srv/{BAD}"})


def finished_spans(
    resource: Resource = RESOURCE, scope: str = f"scope {BAD}"
) -> list[ReadableSpan]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=resource,
        span_limits=SpanLimits(max_span_attributes=3, max_events=1),
        shutdown_on_exit=False,
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer(scope, "1.0")
    with tracer.start_as_current_span("neighbour"):
        pass
    linked = SpanContext(0xAB, 0xCD, is_remote=True)
    with tracer.start_as_current_span(
        f"open {BAD}.txt",
        # One attribute and one event more than the limits allow: the oldest of each go.
        attributes={
            "over the limit": 1,
            "file.path": f"/srv/{BAD}",
            f"k{BAD}": "v",
            "names": ("ok", f"b{BAD}"),
        },
        links=[Link(linked, {f"link {BAD}": f"x{BAD}"})],
    ) as span:
        span.add_event("over the limit")
        span.add_event(f"read {BAD}", {f"e{BAD}": f"x{BAD}", "n": 3})
        span.set_status(Status(StatusCode.ERROR, f"no such file {BAD}"))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def test_the_encoder_refuses_a_lone_surrogate() -> None:
    # What the exporter meets and turns into a lost batch.
    with pytest.raises(UnicodeEncodeError):
        encode_spans(finished_spans())


def test_spans_are_cleaned_character_by_character() -> None:
    batch = finished_spans()
    cleaned = _encodable.spans(batch)
    assert cleaned is not None
    encode_spans(cleaned).SerializeToString()
    neighbour, opened = cleaned
    assert opened.name == "open \ufffd.txt"
    assert dict(opened.attributes or {}) == {
        "file.path": "/srv/\ufffd",
        "k\ufffd": "v",
        "names": ("ok", "b\ufffd"),
    }
    (event,) = opened.events
    assert (event.name, dict(event.attributes or {})) == (
        "read \ufffd",
        {"e\ufffd": "x\ufffd", "n": 3},
    )
    (link,) = opened.links
    assert dict(link.attributes or {}) == {"link \ufffd": "x\ufffd"}
    assert link.context == batch[1].links[0].context
    assert opened.status.status_code is StatusCode.ERROR
    assert opened.status.description == "no such file \ufffd"
    assert opened.resource.attributes["host.dir"] == "/srv/\ufffd"
    assert opened.resource is neighbour.resource, "one clean resource for the batch"
    assert opened.instrumentation_scope is not None
    assert opened.instrumentation_scope.name == "scope \ufffd"
    assert opened.instrumentation_scope.version == "1.0"
    for field in ("context", "parent", "kind", "start_time", "end_time"):
        assert getattr(opened, field) == getattr(batch[1], field), field


def test_what_was_dropped_is_still_counted() -> None:
    batch = finished_spans()
    cleaned = _encodable.spans(batch)
    assert cleaned is not None
    original, opened = batch[1], cleaned[1]
    assert (original.dropped_attributes, original.dropped_events) == (1, 1)
    assert (opened.dropped_attributes, opened.dropped_events, opened.dropped_links) == (1, 1, 0)


def test_clean_spans_pass_through_untouched() -> None:
    batch = finished_spans(Resource({"service.name": "files"}), scope="files")
    cleaned = _encodable.spans(batch)
    assert cleaned is not None
    assert cleaned[0] is batch[0]
    assert cleaned[1] is not batch[1]


def test_a_clean_batch_needs_no_copy() -> None:
    batch = [span for span in finished_spans(Resource({}), "files") if span.name == "neighbour"]
    assert _encodable.spans(batch) is None
    # The same span under a resource or a scope that holds a surrogate is copied.
    for resource, scope in ((RESOURCE, "files"), (Resource({}), f"files {BAD}")):
        (neighbour, _) = finished_spans(resource, scope)
        assert _encodable.spans([neighbour]) is not None


def emitted_logs() -> list[ReadableLogRecord]:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE, shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger(f"files {BAD}")
    logger.emit(body="before")
    logger.emit(
        body={"file": f"{BAD}.txt", "tried": [f"/a/{BAD}", 2], f"k{BAD}": {"inner": BAD}},
        attributes={"path": f"/srv/{BAD}", f"k{BAD}": "v", "names": ("ok", f"b{BAD}")},
        severity_text="WARN",
        event_name=f"file.missing {BAD}",
    )
    provider.shutdown()
    return list(exporter.get_finished_logs())


def test_log_records_are_cleaned_character_by_character() -> None:
    batch = emitted_logs()
    with pytest.raises(UnicodeEncodeError):
        encode_logs(batch)
    cleaned = _encodable.logs(batch)
    assert cleaned is not None
    encode_logs(cleaned).SerializeToString()
    before, missing = cleaned
    assert before.log_record.body == "before"
    assert missing.log_record.body == {
        "file": "\ufffd.txt",
        "tried": ["/a/\ufffd", 2],
        "k\ufffd": {"inner": "\ufffd"},
    }
    assert dict(missing.log_record.attributes or {}) == {
        "path": "/srv/\ufffd",
        "k\ufffd": "v",
        "names": ("ok", "b\ufffd"),
    }
    assert missing.log_record.event_name == "file.missing \ufffd"
    assert missing.log_record.severity_text == "WARN"
    original = batch[1].log_record
    for field in ("timestamp", "observed_timestamp", "trace_id", "span_id", "severity_number"):
        assert getattr(missing.log_record, field) == getattr(original, field), field
    assert missing.resource.attributes["host.dir"] == "/srv/\ufffd"
    assert missing.instrumentation_scope is not None
    assert missing.instrumentation_scope.name == "files \ufffd"
    # The batch it came from is left as it was.
    assert original.body["file"] == f"{BAD}.txt"  # type: ignore[index,call-overload]


def test_a_bridged_record_with_a_surrogate_in_its_message_and_extras() -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    bridge = LogBridge(logger_provider=provider)
    logger = logging.getLogger("unit.encodable")
    record = logger.makeRecord(
        logger.name, logging.WARNING, __file__, 1, "file %s", (f"{BAD}.txt",), None,
        extra={"path": f"/srv/{BAD}"},
    )  # fmt: skip
    bridge.handle(record)
    cleaned = _encodable.logs(exporter.get_finished_logs())
    assert cleaned is not None
    (log,) = cleaned
    assert log.log_record.body == "file \ufffd.txt"
    assert (log.log_record.attributes or {})["path"] == "/srv/\ufffd"
    provider.shutdown()


def test_clean_log_batches_need_no_copy() -> None:
    batch = [record for record in emitted_logs() if record.log_record.body == "before"]
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource({}), shutdown_on_exit=False)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger("clean").emit(body={"a": ["b", 1]}, attributes={"c": "d"})
    assert _encodable.logs(exporter.get_finished_logs()) is None
    assert _encodable.logs(batch) is not None, "its resource and scope hold surrogates"
