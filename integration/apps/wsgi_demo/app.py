"""The smallest app Connect serves: plain WSGI, `connect_otel.configure()` and the contrib
WSGI middleware. Run it under gunicorn: `gunicorn app:app`."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry import metrics
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

import connect_otel

log = logging.getLogger("wsgi_demo")
orders = metrics.get_meter("wsgi_demo").create_counter("demo.orders", description="orders placed")

StartResponse = Callable[..., Any]


class CheckoutFailed(Exception):
    pass


def routes(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path == "/":
        return respond(start_response, {"hello": "connect"})
    if path.startswith("/orders/"):
        order_id = path.removeprefix("/orders/")
        log.info("order %s looked up", order_id)
        time.sleep(0.02)  # pretend to do some work
        orders.add(1, {"status": "found"})
        return respond(start_response, {"order": order_id})
    if path == "/checkout":
        log.warning("checkout is about to fail")
        raise CheckoutFailed("payment provider timed out")
    return respond(start_response, {"error": "not found"}, "404 Not Found")


def respond(
    start_response: StartResponse, body: dict[str, str], status: str = "200 OK"
) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


logging.basicConfig(level=logging.INFO)
connect_otel.configure()
app = OpenTelemetryMiddleware(routes)
