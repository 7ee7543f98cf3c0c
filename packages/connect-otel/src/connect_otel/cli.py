"""`connect-otel check`: sends one span, one metric and one log record to the configured endpoint
and says, per signal, whether it was accepted.

The pipeline's exporters only report success or failure; this talks HTTP itself so that it can
tell a bad token from an unreachable host from a server error.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from connect_otel import _app_settings
from connect_otel._instrumentations import plan
from connect_otel.settings import TABLE, ConfigurationError, Settings, resolve


@dataclass(frozen=True)
class Outcome:
    signal: str
    ok: bool
    verdict: str


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="connect-otel", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="send one test span, metric and log record")
    check.add_argument("--url", help="override CONNECT_EXPORT_URL")
    check.add_argument("--token", help="override CONNECT_EXPORT_TOKEN")
    check.add_argument(
        "--app",
        metavar="MODULE:APP",
        help="a Flask app whose config holds CONNECT_* settings, as `flask --app` takes it",
    )
    listing = commands.add_parser("settings", help="list every setting, its default and variables")
    listing.add_argument("--markdown", action="store_true", help="as the README's table")
    args = parser.parse_args(argv)
    if args.command == "settings":
        print(TABLE.markdown() if args.markdown else TABLE.listing())
        return 0

    overrides = {k: v for k, v in {"export_url": args.url, "export_token": args.token}.items() if v}
    try:
        app = _app_settings.find(args.app)
    except Exception as error:
        print(f"connect-otel: could not read the app's settings: {error!r}", file=sys.stderr)
        return 2
    try:
        settings = resolve(overrides, app.framework, app.framework_defaults)
    except ConfigurationError as error:
        print(f"connect-otel: {error}", file=sys.stderr)
        return 2
    if not settings.export_token:
        print(
            f"connect-otel: CONNECT_EXPORT_TOKEN is not set in {app.source}, "
            "so nothing would be exported."
        )
        if app is _app_settings.ENVIRONMENT_ONLY:
            print(_app_settings.HOW_TO_POINT)
        return 2
    print(f"Settings from {app.source}")
    print(f"Checking {settings.export_url} with a token of {len(settings.export_token)} characters")
    libraries = plan(settings.instrument)
    # Only the app's settings (or its Flask module) have been imported: those imports are its.
    libraries.imported_by_the_app(sys.modules)
    print(f"Libraries: {libraries.describe()}")
    if uninstrumented := libraries.describe_uninstrumented():
        print(f"  {uninstrumented}")
    outcomes = [_send(settings, signal, build) for signal, build in _PAYLOADS.items()]
    for outcome in outcomes:
        print(f"  {outcome.signal:<8} {'ok  ' if outcome.ok else 'FAIL'} {outcome.verdict}")
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def _send(settings: Settings, signal: str, build: Callable[[Settings], bytes]) -> Outcome:
    import requests

    from connect_otel import _deadline

    url = f"{settings.export_url}/v1/{signal}"
    headers = {
        "Content-Type": "application/x-protobuf",
        "Content-Encoding": "gzip",
        "Authorization": f"Bearer {settings.export_token}",
    }
    # A redirect is never followed: the token is for the configured endpoint only.
    try:
        with _deadline.session() as session, _deadline.deadline(settings.export_timeout):
            response = session.post(
                url,
                data=gzip.compress(build(settings)),
                headers=headers,
                timeout=settings.export_timeout,
                allow_redirects=False,
            )
    except (requests.Timeout, _deadline.DeadlinePassed):
        return Outcome(signal, False, f"unreachable: no answer within {settings.export_timeout}s")
    except requests.RequestException as error:
        return Outcome(signal, False, f"unreachable: {_reason(error)}")
    return _outcome(signal, response.status_code, response.reason, response.headers)


def _outcome(signal: str, status: int, reason: str, headers: Mapping[str, str]) -> Outcome:
    if 200 <= status < 300:
        return Outcome(signal, True, f"accepted (HTTP {status})")
    if 300 <= status < 400:
        location = _printable(headers.get("Location", "(no Location)"))
        return Outcome(
            signal,
            False,
            f"redirected to {location} (HTTP {status}), not followed: "
            "set CONNECT_EXPORT_URL to the endpoint itself",
        )
    if status in (401, 403):
        return Outcome(signal, False, f"rejected: bad token (HTTP {status})")
    return Outcome(signal, False, f"rejected: HTTP {status} {_printable(reason)}")


def _reason(error: BaseException) -> str:
    # requests wraps urllib3's error, which wraps the socket's: the innermost says most.
    while error.__context__ is not None:
        error = error.__context__
    return _printable(str(error))


def _printable(text: str, limit: int = 200) -> str:
    # What the endpoint sent goes to a terminal: no control characters, nothing endless.
    return "".join(c if c.isprintable() else "?" for c in text[:limit])


def _resource_attributes(settings: Settings) -> dict[str, str]:
    return {"service.name": settings.service_name or "connect-otel-check"}


def _span_payload(settings: Settings) -> bytes:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    captured = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create(_resource_attributes(settings)))
    provider.add_span_processor(SimpleSpanProcessor(captured))
    with provider.get_tracer("connect_otel.check").start_as_current_span("connect-otel check"):
        pass
    provider.shutdown()
    payload: bytes = encode_spans(captured.get_finished_spans()).SerializeToString()
    return payload


def _metric_payload(settings: Settings) -> bytes:
    from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create(_resource_attributes(settings))
    )
    provider.get_meter("connect_otel.check").create_counter("connect.check").add(1)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    payload: bytes = encode_metrics(data).SerializeToString()
    return payload


def _log_payload(settings: Settings) -> bytes:
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    from connect_otel._logbridge import LogBridge

    captured = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create(_resource_attributes(settings)))
    provider.add_log_record_processor(SimpleLogRecordProcessor(captured))
    # A logger outside the app's hierarchy: the record says where it was logged, as an app's do.
    check_logger = logging.Logger("connect_otel.check", logging.INFO)
    check_logger.addHandler(LogBridge(logger_provider=provider))
    check_logger.info("connect-otel check")
    provider.shutdown()
    payload: bytes = encode_logs(captured.get_finished_logs()).SerializeToString()
    return payload


_PAYLOADS: dict[str, Callable[[Settings], bytes]] = {
    "traces": _span_payload,
    "metrics": _metric_payload,
    "logs": _log_payload,
}


if __name__ == "__main__":
    raise SystemExit(main())
