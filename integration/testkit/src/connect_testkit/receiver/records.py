"""What the receiver records: one frozen value per span, metric, log record, page view and
HTTP request, with OTLP's nesting flattened (each item carries its resource and scope)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# How the receiver can misbehave: refuse connections, accept and never answer, answer slowly,
# answer one byte at a time ("trickle"), answer with 500, with 429 and Retry-After, or redirect.
Fault = Literal["refuse", "blackhole", "slow", "trickle", "500", "429", "302", "307"]


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
    # Beacon v1's fields, every value a string; a beacon may leave any of them out.
    fields: dict[str, str]
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
    # 0 when the receiver never answered (the blackhole fault).
    status: int
    headers: dict[str, str]
