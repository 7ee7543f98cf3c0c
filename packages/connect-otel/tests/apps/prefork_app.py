"""A bare WSGI app that turns Connect on at import, as a `gunicorn --preload` master does."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics, trace

import connect_otel

connect_otel.configure()
tracer = trace.get_tracer("prefork_app")
handled = metrics.get_meter("prefork_app").create_counter("prefork.handled")
log = logging.getLogger("prefork_app")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    with tracer.start_as_current_span("handle"):
        handled.add(1)
        log.warning("handled by %d", os.getpid())
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
