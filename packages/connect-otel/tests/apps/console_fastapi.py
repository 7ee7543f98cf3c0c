"""A FastAPI app that leaves logging to uvicorn."""

from __future__ import annotations

import logging

from fastapi import FastAPI

import connect_otel.starlette

app = FastAPI()
log = logging.getLogger("console_fastapi")


@app.get("/")
def index() -> str:
    log.info("index detail")  # below the root's level: printed nowhere
    log.warning("index warned")
    return "ok"


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("template failure")


connect_otel.starlette.init_app(app)
