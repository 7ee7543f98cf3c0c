"""HTTP server metrics for WSGI apps: request duration by route, and requests in flight.

The contrib WSGI middleware records both, but without the route (it cannot know it), and the
contrib Flask instrumentation that adds the route costs about twice as much per request. Here
the duration goes into Connect's own histogram aggregation (`_owned_histogram.py`), found by a
tuple of the request's values, and requests in flight (a development metric, counted
only when asked for) are a plain count read only when metrics are collected, instead of two
up-down counter updates per request.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from timeit import default_timer
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.network_attributes import NETWORK_PROTOCOL_VERSION
from opentelemetry.semconv.attributes.url_attributes import URL_SCHEME
from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION
from opentelemetry.util.http import sanitize_method

from connect_otel._development_metrics import HTTP_SERVER_ACTIVE_REQUESTS
from connect_otel._owned_histogram import histogram_recorder

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger("connect_otel")

# Where a framework hook leaves the matched route pattern for the duration histogram.
ROUTE_KEY = "connect_otel.route"

# The boundaries the HTTP semantic conventions advise for http.server.request.duration.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

# Methods that `sanitize_method` keeps as they are whatever the process environment says: it
# reads the environment on every call, and the request's thread need not.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})

# What sets a request's duration attributes apart: method, scheme, protocol version, route,
# status code, error type.
DurationKey = tuple[str, str, str | None, str | None, int | None, str | None]


class RequestMetrics:
    """WSGI middleware that records the request metrics; it goes inside the tracing middleware
    so that the request's span is current when the duration is recorded (exemplars)."""

    def __init__(
        self,
        app: WSGIApplication,
        meter: Meter,
        excluded: Callable[[str], bool],
        *,
        count_in_flight: bool,
    ) -> None:
        self._app = app
        self._excluded = excluded
        self._duration = histogram_recorder(
            meter,
            HTTP_SERVER_REQUEST_DURATION,
            unit="s",
            description="Duration of HTTP server requests.",
            boundaries=DURATION_BUCKETS,
            attributes_of=duration_attributes,
        )
        self._count_in_flight = count_in_flight
        if count_in_flight:
            meter.create_observable_up_down_counter(
                HTTP_SERVER_ACTIVE_REQUESTS,
                callbacks=[self._observe_in_flight],
                unit="{request}",
                description="Number of active HTTP server requests.",
            )
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._excluded(environ.get("PATH_INFO", "")):
            return self._app(environ, start_response)
        started = default_timer()
        method = environ.get("REQUEST_METHOD", "")
        if method not in KNOWN_METHODS:
            method = sanitize_method(method)
        key = (method, environ.get("wsgi.url_scheme", ""))
        status = ""

        def keep_status(line: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            nonlocal status
            status = line
            return start_response(line, headers, *exc_info)

        if self._count_in_flight:
            with self._lock:
                self._in_flight[key] += 1
        error = None
        try:
            return self._app(environ, keep_status)
        except BaseException as exception:
            error = type(exception).__qualname__
            raise
        finally:
            if self._count_in_flight:
                with self._lock:
                    self._in_flight[key] -= 1
            try:
                self._duration.record(
                    default_timer() - started, duration_key(environ, key, status, error)
                )
            except Exception:  # the request's own outcome must stand, whatever happens here
                logger.debug("Connect could not record a request's duration", exc_info=True)

    def _observe_in_flight(self, options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            counts = list(self._in_flight.items())
        return [
            Observation(count, {HTTP_REQUEST_METHOD: method, URL_SCHEME: scheme})
            for (method, scheme), count in counts
        ]


def duration_key(
    environ: WSGIEnvironment, key: tuple[str, str], status: str, error: str | None
) -> DurationKey:
    method, scheme = key
    protocol = environ.get("SERVER_PROTOCOL", "")
    code = status.split(" ", 1)[0]
    return (
        method,
        scheme,
        protocol[5:] if protocol.startswith("HTTP/") else None,
        environ.get(ROUTE_KEY) or None,
        int(code) if code.isdigit() else None,
        error,
    )


def duration_attributes(key: DurationKey) -> dict[str, str | int]:
    """The attributes the HTTP conventions give http.server.request.duration."""
    method, scheme, protocol_version, route, status_code, error = key
    attributes: dict[str, str | int] = {HTTP_REQUEST_METHOD: method, URL_SCHEME: scheme}
    if protocol_version is not None:
        attributes[NETWORK_PROTOCOL_VERSION] = protocol_version
    if route is not None:
        attributes[HTTP_ROUTE] = route
    if status_code is not None:
        attributes[HTTP_RESPONSE_STATUS_CODE] = status_code
        if status_code >= 500:
            attributes[ERROR_TYPE] = str(status_code)
    if error is not None:
        attributes[ERROR_TYPE] = error
    return attributes
