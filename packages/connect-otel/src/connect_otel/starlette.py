"""FastAPI and Starlette: `connect_otel.starlette.init_app(app)`.

Settings come from keyword arguments and the environment; the service name defaults to a
FastAPI app's title. Requests are traced by the contrib FastAPI or Starlette instrumentation,
queries by the database driver's. What is pending is flushed at the ASGI lifespan shutdown:
uvicorn re-raises SIGTERM after its graceful shutdown, so interpreter-exit hooks never run there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

from opentelemetry import trace
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from connect_otel import _asgi_headers, _fastapi_routes, _mounted_routes
from connect_otel._asgi_server_spans import AsgiTracerProvider
from connect_otel._development_metrics import request_meter_provider
from connect_otel._logbridge import remember_span_context
from connect_otel._setup import SHUTDOWN_AT_EXIT_TIMEOUT, activate, shutdown


def init_app(app: Starlette, **settings: object) -> bool:
    """Turns on export for `app` (a FastAPI or Starlette app); True when export is active."""
    title = getattr(app, "title", None)
    active = activate(
        overrides=settings,
        framework_defaults={"SERVICE_NAME": title if title and title != "FastAPI" else None},
        # uvicorn reports an exception that escaped the app on `uvicorn.error`, which reaches
        # `uvicorn` and stops there; its access log is a logger of its own, left alone.
        extra_loggers=("uvicorn",),
    )
    if active is None:
        return False
    # Inside the request's span, which has ended by the time uvicorn logs the exception. An app
    # already serving takes no middleware: its escaped exceptions are exported without a trace.
    with suppress(RuntimeError):
        app.add_middleware(_RememberSpanOnError)
    _asgi_headers.install()
    _fastapi_routes.install()  # first: `_mounted_routes` wraps what it puts in place
    _mounted_routes.install()
    if _is_fastapi(app):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # FastAPI 0.165+ has telemetry of its own that switches on when providers exist; it
        # stands aside when it finds this instrumentation's middleware (tested on both).
        # Excluded paths make no spans and no request metrics; the ASGI middleware's own
        # "http send"/"http receive" spans are noise in a trace unless asked for.
        FastAPIInstrumentor.instrument_app(
            app,  # type: ignore[arg-type]
            excluded_urls=active.excluded_urls() or None,
            exclude_spans=None if active.asgi_internal_spans else ["receive", "send"],
            meter_provider=request_meter_provider(active),
            tracer_provider=AsgiTracerProvider(trace.get_tracer_provider()),
        )
    else:
        from opentelemetry.instrumentation.starlette import StarletteInstrumentor

        StarletteInstrumentor.instrument_app(
            app,
            meter_provider=request_meter_provider(active),
            tracer_provider=AsgiTracerProvider(trace.get_tracer_provider()),
        )
    _flush_at_lifespan_shutdown(app)
    return True


class _RememberSpanOnError:
    """Keeps the request's span context on an exception that escapes the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except BaseException as error:
            remember_span_context(error)
            raise


def _is_fastapi(app: Starlette) -> bool:
    try:
        from fastapi import FastAPI
    except ImportError:
        return False
    return isinstance(app, FastAPI)


Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def _flush_at_lifespan_shutdown(app: Starlette) -> None:
    users_lifespan: Lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(lifespan_app: Any) -> AsyncIterator[Any]:
        try:
            async with users_lifespan(lifespan_app) as state:
                yield state
        finally:
            shutdown(SHUTDOWN_AT_EXIT_TIMEOUT)

    app.router.lifespan_context = lifespan
