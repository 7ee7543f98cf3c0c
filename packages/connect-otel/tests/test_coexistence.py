"""A provider installed before Connect keeps working, and Connect exports through it too."""

from __future__ import annotations

import json

from connect_testkit.receiver import Receiver
from connect_testkit.scripts import run_python


def test_sdk_providers_installed_first_get_connect_added(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    result = run_python(
        """
        import json, logging
        from opentelemetry import _logs, metrics, trace
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import (
            InMemoryLogRecordExporter,
            SimpleLogRecordProcessor,
        )
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        # A dev toolbar's own pipeline, installed first.
        toolbar_spans, toolbar_logs = InMemorySpanExporter(), InMemoryLogRecordExporter()
        toolbar_metrics = InMemoryMetricReader()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(toolbar_spans))
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[toolbar_metrics]))
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(toolbar_logs))
        _logs.set_logger_provider(logger_provider)

        import connect_otel
        assert connect_otel.configure()
        assert trace.get_tracer_provider() is tracer_provider
        with trace.get_tracer("app").start_as_current_span("shared"):
            metrics.get_meter("app").create_counter("shared.count").add(3)
            logging.getLogger("app").warning("shared record")
        toolbar_metric_names = [
            m.name
            for rm in toolbar_metrics.get_metrics_data().resource_metrics
            for sm in rm.scope_metrics
            for m in sm.metrics
        ]
        connect_otel.shutdown()
        print(json.dumps({
            "spans": [s.name for s in toolbar_spans.get_finished_spans()],
            "logs": [
                r.log_record.body
                for r in toolbar_logs.get_finished_logs()
                if r.instrumentation_scope.name == "app"
            ],
            "metrics": toolbar_metric_names,
        }))
        """,
        export_env,
    )
    toolbar = json.loads(result.stdout.splitlines()[-1])
    assert toolbar == {"spans": ["shared"], "logs": ["shared record"], "metrics": ["shared.count"]}
    assert [s.name for s in receiver.spans()] == ["shared"]
    assert [log.body for log in receiver.logs() if log.scope == "app"] == ["shared record"]
    assert [p.value for m in receiver.metrics() if m.name == "shared.count" for p in m.points] == [
        3
    ]


def test_a_provider_that_is_not_the_sdks_is_skipped_with_one_warning(
    receiver: Receiver, export_env: dict[str, str]
) -> None:
    result = run_python(
        """
        import logging
        logging.basicConfig()
        from opentelemetry import metrics, trace
        trace.set_tracer_provider(trace.NoOpTracerProvider())
        import connect_otel
        assert connect_otel.configure()
        with trace.get_tracer("app").start_as_current_span("not exported"):
            metrics.get_meter("app").create_counter("still.exported").add(1)
            logging.getLogger("app").warning("still exported")
        connect_otel.shutdown()
        """,
        export_env,
    )
    assert result.stderr.count("a tracer provider that is not the OpenTelemetry SDK's") == 1
    assert receiver.spans() == []
    assert [log.body for log in receiver.logs() if log.scope == "app"] == ["still exported"]
    assert [m.name for m in receiver.metrics()] == ["still.exported"]
