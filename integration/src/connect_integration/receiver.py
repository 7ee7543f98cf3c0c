"""A local OTLP/HTTP and page-view beacon receiver, for the tests and the demo.

It decodes OTLP protobuf with `opentelemetry-proto` (gzip or not), checks the Bearer token,
records what arrived in memory (and, optionally, as JSON lines in a file) and can play a
misbehaving endpoint: refusing connections, accepting and never answering, answering slowly,
with 500, or with 429 and Retry-After.

    python -m connect_integration.receiver --port 4318 --token T --live
"""

from __future__ import annotations

import argparse
import gzip
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, TextIO

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

Fault = Literal["refuse", "blackhole", "slow", "500", "429"]

BEACON_PATH = "/beacon"
_SIGNALS = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
_RECORDED_AS = {"traces": "spans", "metrics": "metrics", "logs": "logs"}


@dataclass(frozen=True)
class Event:
    name: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: str
    attributes: dict[str, Any]
    status_code: str
    status_message: str
    events: list[Event]
    resource: dict[str, Any]
    scope: str
    start_ns: int
    end_ns: int
    # (trace id, span id) of each linked span: how a job's run points at the send that queued it.
    links: list[tuple[str, str]]


@dataclass(frozen=True)
class Point:
    attributes: dict[str, Any]
    value: float | None = None
    count: int | None = None
    sum: float | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    kind: str
    temporality: str
    monotonic: bool
    points: list[Point]
    resource: dict[str, Any]
    scope: str


@dataclass(frozen=True)
class LogRecord:
    body: Any
    severity_number: int
    severity_text: str
    trace_id: str
    span_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]
    scope: str
    time_ns: int


@dataclass(frozen=True)
class Pageview:
    fields: dict[str, Any]
    content_type: str
    origin: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    signal: str
    authorized: bool
    gzip: bool
    content_type: str
    status: int
    headers: dict[str, str]


@dataclass
class _Recorded:
    spans: list[Span] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)
    pageviews: list[Pageview] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


def value_of(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(item) for item in any_value.array_value.values]
    if kind == "kvlist_value":
        return attributes_of(any_value.kvlist_value.values)
    return getattr(any_value, kind)


def attributes_of(pairs: Iterator[KeyValue] | Any) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in pairs}


def _spans(request: ExportTraceServiceRequest) -> list[Span]:
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes_of(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(
                    Span(
                        name=span.name,
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        kind=trace_pb2.Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                        attributes=attributes_of(span.attributes),
                        status_code=trace_pb2.Status.StatusCode.Name(span.status.code).removeprefix(
                            "STATUS_CODE_"
                        ),
                        status_message=span.status.message,
                        events=[Event(e.name, attributes_of(e.attributes)) for e in span.events],
                        resource=resource,
                        scope=scope_spans.scope.name,
                        start_ns=span.start_time_unix_nano,
                        end_ns=span.end_time_unix_nano,
                        links=[(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                    )
                )
    return spans


def _temporality(value: int) -> str:
    name: str = metrics_pb2.AggregationTemporality.Name(
        metrics_pb2.AggregationTemporality.ValueType(value)
    )
    return name.removeprefix("AGGREGATION_TEMPORALITY_").replace("UNSPECIFIED", "")


def _metrics(request: ExportMetricsServiceRequest) -> list[Metric]:
    found = []
    for resource_metrics in request.resource_metrics:
        resource = attributes_of(resource_metrics.resource.attributes)
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data") or ""
                data: Any = getattr(metric, kind) if kind else None
                points: list[Point] = []
                temporality, monotonic = "", False
                if kind in ("sum", "gauge"):
                    for p in data.data_points:
                        number = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
                        points.append(Point(attributes_of(p.attributes), value=number))
                    if kind == "sum":
                        temporality = _temporality(data.aggregation_temporality)
                        monotonic = data.is_monotonic
                elif kind in ("histogram", "exponential_histogram"):
                    for p in data.data_points:
                        points.append(Point(attributes_of(p.attributes), count=p.count, sum=p.sum))
                    temporality = _temporality(data.aggregation_temporality)
                found.append(
                    Metric(
                        name=metric.name,
                        unit=metric.unit,
                        kind=kind,
                        temporality=temporality,
                        monotonic=monotonic,
                        points=points,
                        resource=resource,
                        scope=scope_metrics.scope.name,
                    )
                )
    return found


def _logs(request: ExportLogsServiceRequest) -> list[LogRecord]:
    records = []
    for resource_logs in request.resource_logs:
        resource = attributes_of(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                records.append(
                    LogRecord(
                        body=value_of(record.body),
                        severity_number=record.severity_number,
                        severity_text=record.severity_text,
                        trace_id=record.trace_id.hex() if any(record.trace_id) else "",
                        span_id=record.span_id.hex() if any(record.span_id) else "",
                        attributes=attributes_of(record.attributes),
                        resource=resource,
                        scope=scope_logs.scope.name,
                        time_ns=record.time_unix_nano,
                    )
                )
    return records


_DECODERS: dict[str, tuple[type[Message], type[Message], Callable[[Any], list[Any]]]] = {
    "traces": (ExportTraceServiceRequest, ExportTraceServiceResponse, _spans),
    "metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse, _metrics),
    "logs": (ExportLogsServiceRequest, ExportLogsServiceResponse, _logs),
}


class Receiver:
    """Serves on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(
        self,
        token: str = "test-token",
        host: str = "127.0.0.1",
        port: int = 0,
        record_file: TextIO | None = None,
        on_arrival: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self._port = port
        self._record_file = record_file
        self._on_arrival = on_arrival
        self._recorded = _Recorded()
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._delay = 5.0
        self._retry_after = 1
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Receiver:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        self._listen()

    def stop(self) -> None:
        self._released.set()
        self._close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def beacon_url(self) -> str:
        return self.url + BEACON_PATH

    def _listen(self) -> None:
        server = _Server((self.host, self._port), _handler_for(self))
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    # --- faults ----------------------------------------------------------------------------

    def set_fault(self, fault: Fault | None, delay: float = 5.0, retry_after: int = 1) -> None:
        """Plays a misbehaving endpoint until called again with None."""
        previous = self._fault
        self._delay, self._retry_after = delay, retry_after
        self._fault = fault
        if previous == "blackhole":
            self._released.set()
        if fault == "blackhole":
            self._released = threading.Event()
        if fault == "refuse" and previous != "refuse":
            self._close()
        elif previous == "refuse" and fault != "refuse":
            self._listen()

    # --- what arrived ----------------------------------------------------------------------

    def spans(self) -> list[Span]:
        with self._lock:
            return list(self._recorded.spans)

    def metrics(self) -> list[Metric]:
        with self._lock:
            return list(self._recorded.metrics)

    def logs(self) -> list[LogRecord]:
        with self._lock:
            return list(self._recorded.logs)

    def pageviews(self) -> list[Pageview]:
        with self._lock:
            return list(self._recorded.pageviews)

    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._recorded.requests)

    def clear(self) -> None:
        with self._lock:
            self._recorded = _Recorded()

    def summary(self) -> str:
        spans, logs = self.spans(), self.logs()
        return (
            f"{len(spans)} spans {sorted({s.name for s in spans})}, "
            f"{len(self.metrics())} metrics {sorted({m.name for m in self.metrics()})}, "
            f"{len(logs)} log records {[str(log.body)[:60] for log in logs[-10:]]}, "
            f"{len(self.pageviews())} pageviews, "
            f"requests {[(r.method, r.path, r.status) for r in self.requests()[-10:]]}"
        )

    def wait_for(self, predicate: Callable[[Receiver], bool], timeout: float = 15.0) -> None:
        """Polls until `predicate(self)` holds; fails with what did arrive."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: not arrived within {timeout}s; {self.summary()}")
            time.sleep(0.05)

    # --- recording (called by the handler threads) -----------------------------------------

    def _record(self, signal: str, items: list[Any]) -> None:
        with self._lock:
            getattr(self._recorded, signal).extend(items)
        for item in items:
            if self._record_file is not None:
                self._record_file.write(
                    json.dumps({"signal": signal, **asdict(item)}, default=str) + "\n"
                )
                self._record_file.flush()
            if self._on_arrival is not None:
                self._on_arrival(signal, item)

    def _note(self, request: Request) -> None:
        with self._lock:
            self._recorded.requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up before a slow answer is what the slow fault is for.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _path(self) -> str:
            return self.path.split("?", 1)[0]

        def _note(self, signal: str, status: int, authorized: bool = False) -> None:
            receiver._note(
                Request(
                    method=self.command,
                    path=self._path(),
                    signal=signal,
                    authorized=authorized,
                    gzip=self.headers.get("Content-Encoding", "") == "gzip",
                    content_type=self.headers.get("Content-Type", ""),
                    status=status,
                    headers=dict(self.headers.items()),
                )
            )

        def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_OPTIONS(self) -> None:
            self._note("beacon" if self._path() == BEACON_PATH else "other", 204)
            self._answer(
                204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "POST",
                    "Access-Control-Allow-Headers": "Content-Type",
                },
            )

        def do_GET(self) -> None:
            self._note("other", 404)
            self._answer(404)

        def do_POST(self) -> None:
            path = self._path()
            body = self._body()
            if path == BEACON_PATH:
                self._beacon(body)
                return
            signal = _SIGNALS.get(path)
            if signal is None:
                self._note("other", 404)
                self._answer(404)
                return
            if self._misbehave(signal):
                return
            authorized = self.headers.get("Authorization", "") == f"Bearer {receiver.token}"
            if not authorized:
                self._note(signal, 401)
                self._answer(401, b"bad token")
                return
            request_type, response_type, decode = _DECODERS[signal]
            try:
                if self.headers.get("Content-Encoding", "") == "gzip":
                    body = gzip.decompress(body)
                message = request_type()
                message.ParseFromString(body)
            except (OSError, DecodeError):
                self._note(signal, 400, authorized=True)
                self._answer(400, b"undecodable")
                return
            receiver._record(_RECORDED_AS[signal], decode(message))
            self._note(signal, 200, authorized=True)
            self._answer(
                200,
                response_type().SerializeToString(),
                {"Content-Type": "application/x-protobuf"},
            )

        def _misbehave(self, signal: str) -> bool:
            fault = receiver._fault
            if fault is None:
                return False
            if fault == "blackhole":
                self._note(signal, 0)
                receiver._released.wait()
                self.close_connection = True
                return True
            if fault == "slow":
                receiver._released.wait(receiver._delay)
                return False
            status = 500 if fault == "500" else 429
            self._note(signal, status)
            headers = {"Retry-After": str(receiver._retry_after)} if status == 429 else {}
            self._answer(status, b"simulated fault", headers)
            return True

        def _beacon(self, body: bytes) -> None:
            try:
                fields = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._note("beacon", 400)
                self._answer(400, headers={"Access-Control-Allow-Origin": "*"})
                return
            receiver._record(
                "pageviews",
                [
                    Pageview(
                        fields=fields,
                        content_type=self.headers.get("Content-Type", ""),
                        origin=self.headers.get("Origin", ""),
                        headers=dict(self.headers.items()),
                    )
                ],
            )
            self._note("beacon", 204)
            self._answer(204, headers={"Access-Control-Allow-Origin": "*"})

    return Handler


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


def wait_for_interrupt() -> None:
    """Blocks until Ctrl-C (SIGINT).

    The kernel may deliver the signal to any thread, and one that lands on a handler thread
    does not wake a main thread blocked on a lock: Python raises KeyboardInterrupt only when
    the main thread next runs bytecode. So the wait wakes up every so often instead of
    blocking for good.
    """
    with suppress(KeyboardInterrupt):
        while True:
            time.sleep(0.2)


def print_arrival(signal: str, item: Any) -> None:
    """One line per arrival, readable at a glance: the live view of the CLI and the demo."""
    if isinstance(item, Span):
        status = "" if item.status_code == "UNSET" else f" [{item.status_code}]"
        took = (item.end_ns - item.start_ns) / 1e6
        print(f"span     {item.kind:<8} {item.name}{status}  {took:.1f} ms  trace {item.trace_id}")
    elif isinstance(item, Metric):
        print(f"metric   {item.name} ({item.kind}, {len(item.points)} points)")
    elif isinstance(item, LogRecord):
        print(f"log      {item.severity_text:<5} {item.body}  trace {item.trace_id or '-'}")
    elif isinstance(item, Pageview):
        fields = item.fields
        trace_id = fields.get("trace_id") or "-"
        print(f"pageview {fields.get('url')}  route {fields.get('route')!r}  trace {trace_id}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--record", type=argparse.FileType("a"), help="append JSON lines here")
    parser.add_argument("--live", action="store_true", help="print what arrives as it arrives")
    args = parser.parse_args(argv)
    if not port_is_free(args.port):
        print(f"receiver: port {args.port} is in use; pass --port with a free one", file=sys.stderr)
        return 1
    receiver = Receiver(
        token=args.token,
        port=args.port,
        record_file=args.record,
        on_arrival=print_arrival if args.live else None,
    )
    receiver.start()
    print(f"receiver: OTLP at {receiver.url}/v1/..., beacons at {receiver.beacon_url}", flush=True)
    try:
        wait_for_interrupt()
    finally:
        receiver.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
