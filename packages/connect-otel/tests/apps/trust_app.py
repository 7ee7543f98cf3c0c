"""A Flask app for the trust-boundary tests, served by gunicorn: a route that calls a URL it is
given with one of the traced HTTP clients, optionally under baggage of the app's own."""

from __future__ import annotations

import urllib.request

import httpx
import requests
from flask import Flask, request
from opentelemetry import baggage, context

import connect_otel.flask

app = Flask("trust_app")
connect_otel.flask.init_app(app)


@app.get("/")
def ready() -> str:
    return "ready"


@app.get("/call")
def call() -> str:
    url = request.args["url"]
    how = request.args.get("how", "requests")
    email = request.args.get("email")
    token = context.attach(baggage.set_baggage("user.email", email)) if email else None
    try:
        if how == "requests":
            requests.get(url, timeout=10)
        elif how == "httpx":
            httpx.get(url, timeout=10)
        else:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
    finally:
        if token is not None:
            context.detach(token)
    return "called"
