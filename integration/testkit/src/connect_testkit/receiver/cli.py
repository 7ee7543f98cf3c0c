"""The receiver as a command, printing what arrives as it arrives:

python -m connect_testkit.receiver --port 4318 --token T --live
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import suppress
from typing import Any

from connect_testkit.ports import port_is_free
from connect_testkit.receiver.records import LogRecord, Metric, Pageview, Span
from connect_testkit.receiver.server import Receiver


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


def arrival_line(kind: str, item: Any) -> str:
    """One line per arrival, readable at a glance. A beacon may leave any field out."""
    if isinstance(item, Span):
        status = "" if item.status_code == "UNSET" else f" [{item.status_code}]"
        took = (item.end_ns - item.start_ns) / 1e6
        return f"span     {item.kind:<8} {item.name}{status}  {took:.1f} ms  trace {item.trace_id}"
    if isinstance(item, Metric):
        return f"metric   {item.name} ({item.kind}, {len(item.points)} points)"
    if isinstance(item, LogRecord):
        return f"log      {item.severity_text:<5} {item.body}  trace {item.trace_id or '-'}"
    if isinstance(item, Pageview):
        fields = item.fields
        return (
            f"pageview {fields.get('url') or '-'}  route {fields.get('route', '')!r}"
            f"  trace {fields.get('trace_id') or '-'}"
        )
    return f"{kind:<8} {item!r}"


def print_arrival(kind: str, item: Any) -> None:
    """The live view of the command and of the demo's serve mode."""
    print(arrival_line(kind, item), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local OTLP/HTTP and page-view receiver.")
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
