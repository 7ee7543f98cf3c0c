"""A Flask app for the scrubbing and tail-sampling tests, served by gunicorn: routes that carry
secrets, fail, take their time, or leave traces undecided."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from flask import Flask, request
from opentelemetry import trace

import connect_otel.flask

app = Flask("keep_app")
connect_otel.flask.init_app(app)
log = logging.getLogger("keep_app")
tracer = trace.get_tracer("keep_app")


def query(sql: str, *params: object) -> list[tuple[object, ...]]:
    # Through a cursor: the sqlite3 instrumentation traces cursor queries.
    with sqlite3.connect(":memory:") as connection:
        cursor = connection.cursor()
        cursor.execute(sql, params)
        return cursor.fetchall()


@app.get("/account")
def account() -> str:
    secret = request.args.get("token", "")
    span = trace.get_current_span()
    span.set_attribute("api_key", secret)
    span.set_attribute("author", "ada")
    log.warning("account viewed", extra={"password": secret, "order_id": 42})
    query("SELECT ? AS looked_up", secret)
    return "ok"


@app.get("/work")
def work() -> str:
    query("SELECT 1")
    time.sleep(float(request.args.get("sleep", "0")))
    if request.args.get("fail"):
        raise RuntimeError("the work failed")
    return "done"


@app.get("/undecided")
def undecided() -> str:
    """Starts traces whose roots never end, each with ended children; answers the process's
    resident memory in KiB."""
    for _ in range(int(request.args.get("traces", "0"))):
        root = tracer.start_span("never ends", context=trace.set_span_in_context(
            trace.INVALID_SPAN))  # fmt: skip
        with trace.use_span(root, end_on_exit=False):
            for _ in range(3):
                tracer.start_span("child").end()
    status = Path("/proc/self/status").read_text()
    (rss,) = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")]
    return rss
