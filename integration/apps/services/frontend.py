"""Service A of the whole-app example: a Flask app that calls service B with requests, httpx
(sync and async) and urllib, uses Redis as a cache and sends Celery tasks.
`gunicorn frontend:app`, with connect-otel on and DOWNSTREAM_URL and REDIS_URL set."""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.request

import httpx
import redis
import requests
import tasks
from flask import Flask, jsonify

import connect_otel.flask

app = Flask("frontend")
connect_otel.flask.init_app(app)
DOWNSTREAM = os.environ["DOWNSTREAM_URL"]
cache = redis.Redis.from_url(os.environ["REDIS_URL"])
# Made before any request, as apps do at import: its calls are traced all the same.
client = httpx.Client()


@app.get("/")
def ready() -> str:
    return "frontend"


async def _async_get(url: str) -> str:
    async with httpx.AsyncClient() as async_client:
        return (await async_client.get(url)).text


@app.get("/call/<how>")
def call(how: str) -> tuple[str, int]:
    url = f"{DOWNSTREAM}/hello"
    if how == "requests":
        body = requests.get(url, timeout=10).text
    elif how == "httpx":
        body = client.get(url).text
    elif how == "httpx-module":
        body = httpx.get(url).text
    elif how == "httpx-async":
        body = asyncio.run(_async_get(url))
    elif how == "urllib":
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
    else:
        return "unknown client", 404
    return body, 200


@app.get("/call-failing")
def call_failing() -> tuple[str, int]:
    answer = requests.get(f"{DOWNSTREAM}/fail", timeout=10)
    return f"downstream answered {answer.status_code}", 200


@app.get("/cache/<name>")
def cached(name: str) -> object:
    # A route parameter named `key` would be redacted from the exported path, as a secret.
    cache.set(f"greeting:{name}", "a-secret-cached-value", ex=60)
    return jsonify(found=cache.get(f"greeting:{name}") is not None)


@app.get("/checkout")
def checkout() -> object:
    """What the demo's tour asks for: a request that fans out to another service, the cache and
    a background job."""
    price = requests.get(f"{DOWNSTREAM}/hello", timeout=10).status_code
    cache.set("checkout:last", "a-secret-cached-value", ex=60)
    return jsonify(price=price, job=tasks.add.delay(2, 3).id)


@app.get("/threads")
def threads() -> object:
    return jsonify(sorted(thread.name for thread in threading.enumerate()))


@app.get("/job")
def job() -> object:
    return jsonify(id=tasks.add.delay(2, 3).id)


@app.get("/job-failing")
def job_failing() -> object:
    return jsonify(id=tasks.flaky.delay().id)
