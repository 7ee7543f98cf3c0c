"""The benchmark app, one of five set-ups chosen by BENCH_SETUP: bare, the OpenTelemetry SDK
configured by hand as its documentation shows, Logfire, connect-otel, and the SDK's floor (the
least any composition of its parts costs that still exports the request's span and log record:
no metrics, no route names). Same route in each: a path parameter, one INFO log line, a small
JSON answer."""

from __future__ import annotations

import logging
import os
from typing import Any

import collections_log
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sdk_by_hand import ENDPOINT, HEADERS, configure_logfire, configure_sdk

SETUP = os.environ["BENCH_SETUP"]
collections_log.install()

app = Flask("bench")
log = logging.getLogger("bench")
logging.getLogger().setLevel(logging.INFO)


@app.get("/items/<int:item_id>")
def item(item_id: int) -> ResponseReturnValue:
    log.info("item %d requested", item_id)
    return jsonify(id=item_id, name="towel")


if SETUP == "sdk":
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    configure_sdk()
    FlaskInstrumentor().instrument_app(app)
elif SETUP == "logfire":
    import logfire

    configure_logfire()
    logfire.instrument_flask(app)
elif SETUP == "connect":
    import connect_otel.flask

    connect_otel.flask.init_app(app)
elif SETUP == "floor":
    from opentelemetry import _logs, trace
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.logging.handler import LoggingHandler as ContribHandler
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")  # as connect-otel speaks
    resource = Resource.create({"service.name": "bench"})
    tracer_provider = TracerProvider(resource=resource)
    gzipped: dict[str, Any] = {"headers": HEADERS, "compression": Compression.Gzip}
    tracer_provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{ENDPOINT}/v1/traces", **gzipped))
    )
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{ENDPOINT}/v1/logs", **gzipped))
    )
    _logs.set_logger_provider(logger_provider)
    logging.getLogger().addHandler(ContribHandler(logger_provider=logger_provider))
    app.wsgi_app = OpenTelemetryMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, meter_provider=NoOpMeterProvider()
    )
elif SETUP != "bare":
    raise SystemExit(f"unknown BENCH_SETUP {SETUP!r}")
