"""Connect's job, end to end, on this machine: a real app under a real server exports to the
local receiver, and the demo prints what arrived.

    python -m connect_integration.demo            # scripted tour, then a summary
    python -m connect_integration.demo --serve    # keep running; show telemetry as it arrives
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from connect_integration.receiver import LogRecord, Metric, Pageview, Receiver, Span
from connect_integration.scripts import clean_environ
from connect_integration.servers import Server, free_port, run_server

APPS = Path(__file__).parents[2] / "apps"
TOKEN = "demo-token"

TOUR = ["/", "/orders/17", "/orders/42", "/orders/42", "/orders/7", "/checkout", "/nowhere"]


def step(message: str) -> None:
    print(f"\033[1m==>\033[0m {message}", flush=True)


def gunicorn_argv(port: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--no-control-socket",
        "--bind", f"127.0.0.1:{port}", "app:app",
    ]  # fmt: skip


def app_environ(receiver: Receiver, **extra: str) -> dict[str, str]:
    return clean_environ(
        CONNECT_EXPORT_URL=receiver.url,
        CONNECT_EXPORT_TOKEN=TOKEN,
        CONNECT_SERVICE_NAME="wsgi-demo",
        CONNECT_METRICS_INTERVAL="2",
        OTEL_BSP_SCHEDULE_DELAY="300",
        OTEL_BLRP_SCHEDULE_DELAY="300",
        **extra,
    )


def tour(server: Server) -> None:
    for path in TOUR:
        status, _ = server.get(path)
        print(f"    GET {path:<12} -> {status}", flush=True)


def run_tour(receiver: Receiver) -> int:
    port = free_port()
    step(f"starting the WSGI demo app under gunicorn on 127.0.0.1:{port}")
    with run_server(
        gunicorn_argv(port), app_environ(receiver), port, cwd=APPS / "wsgi_demo"
    ) as server:
        step(f"sending {len(TOUR)} requests, one of which raises")
        tour(server)
        step(
            "stopping the server gracefully (SIGTERM): pending telemetry is flushed on the way out"
        )
        started = time.monotonic()
        code = server.stop()
        print(f"    exited with {code} after {time.monotonic() - started:.1f}s", flush=True)
    step("waiting for the receiver to have every request's span")
    receiver.wait_for(lambda r: len([s for s in r.spans() if s.kind == "SERVER"]) >= len(TOUR))
    print()
    print(summary(receiver))
    return 0


def summary(receiver: Receiver) -> str:
    spans, metrics, logs = receiver.spans(), receiver.metrics(), receiver.logs()
    lines = [f"Spans: {len(spans)}"]
    by_route: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_route[span.name].append(span)
    for route, group in sorted(by_route.items()):
        took = [(s.end_ns - s.start_ns) / 1e6 for s in group]
        statuses = sorted(
            {str(s.attributes.get("http.response.status_code", "error")) for s in group}
        )
        lines.append(
            f"  {route:<28} x{len(group):<3} median {statistics.median(took):6.1f} ms"
            f"   status {', '.join(statuses)}"
        )
    if spans:
        slowest = max(spans, key=lambda s: s.end_ns - s.start_ns)
        lines.append(
            f"  slowest: {slowest.name} {(slowest.end_ns - slowest.start_ns) / 1e6:.1f} ms"
        )
    for span in spans:
        for event in span.events:
            if event.name == "exception":
                lines.append(
                    f"  error: {span.attributes.get('url.path', span.name)} raised "
                    f"{event.attributes.get('exception.type')}: "
                    f"{event.attributes.get('exception.message')}"
                )
    names: dict[str, int] = defaultdict(int)
    for metric in metrics:
        names[metric.name] += len(metric.points)
    lines.append(f"Metrics: {len(names)} names")
    lines += [f"  {name:<36} {count} points" for name, count in sorted(names.items())]
    lines.append(f"Log records: {len(logs)}")
    lines += [
        f"  {log.severity_text:<5} {str(log.body)[:60]:<60} trace {log.trace_id[:16] or '-'}"
        for log in logs
    ]
    service = spans[0].resource.get("service.name") if spans else "?"
    verdict = "OK" if spans and metrics and logs else "INCOMPLETE"
    lines.append(
        f"\n{verdict}: service {service!r} exported {len(spans)} spans, {len(names)} metrics "
        f"and {len(logs)} log records to the local receiver."
    )
    return "\n".join(lines)


def live(signal: str, item: Any) -> None:
    printers: dict[type, Callable[[Any], str]] = {
        Span: lambda s: (
            f"span     {s.kind:<6} {s.name} {s.attributes.get('url.path', '')} "
            f"{(s.end_ns - s.start_ns) / 1e6:.1f} ms  trace {s.trace_id[:16]}"
        ),
        Metric: lambda m: f"metric   {m.name} ({len(m.points)} points)",
        LogRecord: lambda r: (
            f"log      {r.severity_text:<5} {r.body}  trace {r.trace_id[:16] or '-'}"
        ),
        Pageview: lambda p: f"pageview {p.fields.get('url')}",
    }
    print(printers[type(item)](item), flush=True)


def serve(receiver: Receiver) -> int:
    port = free_port()
    with run_server(
        gunicorn_argv(port), app_environ(receiver), port, cwd=APPS / "wsgi_demo"
    ) as server:
        step(f"the demo app is at {server.url}/ (try /orders/1 and /checkout); Ctrl-C stops")
        step(f"the receiver is at {receiver.url}; what arrives is printed below")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            step("stopping")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--serve", action="store_true", help="keep running and show arrivals")
    args = parser.parse_args(argv)
    step("starting the local receiver")
    with Receiver(token=TOKEN, on_arrival=live if args.serve else None) as receiver:
        return serve(receiver) if args.serve else run_tour(receiver)


if __name__ == "__main__":
    raise SystemExit(main())
