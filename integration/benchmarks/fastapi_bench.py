"""The FastAPI benchmark app under uvicorn, one of four set-ups chosen by BENCH_SETUP: bare, the
OpenTelemetry SDK by hand with the contrib FastAPI instrumentation, Logfire with
`instrument_fastapi`, and connect-otel. Same route in each: an async route with a path
parameter that logs one INFO line and answers a small JSON object."""

from __future__ import annotations

import logging
import os

import collections_log
from fastapi import FastAPI
from sdk_by_hand import configure_logfire, configure_sdk

SETUP = os.environ["BENCH_SETUP"]
collections_log.install()

app = FastAPI(title="bench")
log = logging.getLogger("bench")
logging.getLogger().setLevel(logging.INFO)


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, object]:
    log.info("item %d requested", item_id)
    return {"id": item_id, "name": "towel"}


if SETUP == "sdk":
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    configure_sdk()
    FastAPIInstrumentor.instrument_app(app)
elif SETUP == "logfire":
    import logfire

    configure_logfire()
    logfire.instrument_fastapi(app)
elif SETUP == "connect":
    import connect_otel.starlette

    connect_otel.starlette.init_app(app)
elif SETUP != "bare":
    raise SystemExit(f"unknown BENCH_SETUP {SETUP!r}")
