"""A Flask app for the scrubbing test, served by gunicorn: one route that makes libraries write
a secret into exception messages, stack traces, status descriptions and log bodies, and puts one
into a link, a metric, nested log data and captured headers."""

from __future__ import annotations

import logging
import threading
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import requests
from flask import Flask, request
from opentelemetry import metrics, trace
from opentelemetry.trace import Link, Status, StatusCode

import connect_otel.flask

app = Flask("leaky_app")
connect_otel.flask.init_app(app)
log = logging.getLogger("leaky_app")
tracer = trace.get_tracer("leaky_app")
calls = metrics.get_meter("leaky_app").create_counter("leaky.calls")


class Upstream(BaseHTTPRequestHandler):
    """Answers 404 under /nf and 200 elsewhere."""

    def do_GET(self) -> None:
        self.send_response(404 if self.path.startswith("/nf") else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


upstream = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
UPSTREAM = f"http://127.0.0.1:{upstream.server_address[1]}"


@app.get("/leak")
def leak() -> tuple[str, int, dict[str, str]]:
    secret = request.args["secret"]
    span = trace.get_current_span()
    # httpx logs every request at INFO, URL and all.
    httpx.get(f"{UPSTREAM}/hx?api_key={secret}")
    try:
        requests.get(f"{UPSTREAM}/nf?token={secret}", timeout=5).raise_for_status()
    except requests.HTTPError as error:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, str(error)))
    # Nothing listens on port 1: requests records "Max retries exceeded with url: ...".
    with suppress(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:1/cb?token={secret}", timeout=5)
    tracer.start_span(
        "linked",
        links=[Link(span.get_span_context(), {"password": secret,
                                              "next_url": f"https://h/?token={secret}"})],
    ).end()  # fmt: skip
    calls.add(1, {"db_password": secret, "url.full": f"https://h/?token={secret}", "ok": "yes"})
    log.warning(
        "nested",
        extra={"config": {"db_password": secret, "pool": 5},
               "headers": [["Authorization", secret], ["Accept", "text/html"]]},
    )  # fmt: skip
    return "moved", 302, {"Location": f"/done?token={secret}"}


@app.get("/done")
def done() -> str:
    return "done"
