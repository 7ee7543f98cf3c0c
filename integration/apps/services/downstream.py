"""Service B of the whole-app example: another team's service that service A calls over HTTP.
`gunicorn downstream:app`, with connect-otel on."""

from __future__ import annotations

from flask import Flask

import connect_otel.flask

app = Flask("downstream")
connect_otel.flask.init_app(app)


@app.get("/")
def ready() -> str:
    return "downstream"


@app.get("/hello")
def hello() -> str:
    return "hello from downstream"


@app.get("/fail")
def fail() -> tuple[str, int]:
    return "downstream is having a bad day", 500
