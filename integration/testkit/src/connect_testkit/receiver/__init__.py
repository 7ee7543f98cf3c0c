"""A local OTLP/HTTP and page-view beacon receiver, for tests and the demo.

It decodes OTLP protobuf with `opentelemetry-proto` (gzip or not), checks the Bearer token,
records what arrived in memory (and, optionally, as JSON lines in a file) and can play a
misbehaving endpoint: refusing connections, accepting and never answering, answering slowly or
a byte at a time, with 500, with 429 and Retry-After, or redirecting with 302 or 307.

    records   what is recorded: Span, Metric, LogRecord, Pageview, Request
    decoding  request bodies into records, bounded
    store     what arrived, and the queries tests make of it
    server    the Receiver: its HTTP handler and fault modes
    guard     the deadline for each request to arrive whole
    cli       `python -m connect_testkit.receiver --live` and its live printer
"""

from connect_testkit.receiver.cli import print_arrival, wait_for_interrupt
from connect_testkit.receiver.records import (
    Event,
    Fault,
    LogRecord,
    Metric,
    Pageview,
    Point,
    Request,
    Span,
)
from connect_testkit.receiver.server import BEACON_PATH, Receiver

__all__ = [
    "BEACON_PATH",
    "Event",
    "Fault",
    "LogRecord",
    "Metric",
    "Pageview",
    "Point",
    "Receiver",
    "Request",
    "Span",
    "print_arrival",
    "wait_for_interrupt",
]
