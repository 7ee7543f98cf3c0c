"""The contrib FastAPI instrumentation's route lookup, without a wrapper per route per request.

When a request's span starts, the contrib finds the route that will serve it: it walks the app's
routes through FastAPI's `iter_route_contexts`, which wraps every route in a new `RouteContext`
on each request, and asks each wrapper whether it matches. The wrapper only hands the question
to the route. For a route that FastAPI wraps as it is (anything but an included router),
Connect asks the route itself and reads its path as the wrapper would; included routers still
go through FastAPI's walk, so that their routes' full paths are FastAPI's own. Measured with
`timeit` on the benchmark's FastAPI app (four documentation routes and the app's one), the
contrib's span details, the mount lookup included: 12.4 µs a request with the contrib's lookup,
5.2 with this one.

The answer is the contrib's: `tests/unit/test_fastapi_routes_unit.py` compares the two on apps
with every kind of route, and fails if the contrib's lookup or FastAPI's walk changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from starlette.routing import Match

from connect_otel._mounted_routes import RouteDetails

logger = logging.getLogger("connect_otel")


def install() -> None:
    """Puts Connect's lookup in the contrib's place, once; where FastAPI has no route walk of
    its own (before 0.137.2), the contrib's lookup is left as it is."""
    try:
        from fastapi.routing import RouteContext, _IncludedRouter, iter_route_contexts
        from opentelemetry.instrumentation import fastapi as instrumentation
    except ImportError:
        return
    original: RouteDetails | None = getattr(instrumentation, "_get_route_details", None)
    # Installed before `_mounted_routes` wraps the lookup, and never again after.
    if (
        original is None
        or hasattr(original, "connect_lookup")
        or hasattr(original, "connect_mounts")
    ):
        return
    walked = (RouteContext, _IncludedRouter)

    def route_details(scope: Any) -> str | None:
        try:
            return _route(scope, walked, iter_route_contexts)
        except Exception:  # the contrib's answer stands, whatever happens here
            logger.debug("Connect could not look up the route", exc_info=True)
            return original(scope)

    route_details.connect_lookup = True  # type: ignore[attr-defined]
    route_details.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(instrumentation, "_get_route_details", route_details)  # noqa: B010


def _route(scope: Any, walked: tuple[type, ...], walk: Callable[[Any], Any]) -> str | None:
    # The contrib's loop: the first route that fully matches, else the last partial match.
    route: str | None = None
    for candidate in scope["app"].routes:
        if isinstance(candidate, walked):
            for inner in walk([candidate]):
                match, _ = inner.matches(scope)
                if match is not Match.NONE:
                    route = inner.path
                    if match is Match.FULL:
                        return route
            continue
        match, _ = candidate.matches(scope)
        if match is not Match.NONE:
            route = getattr(candidate, "path", None)  # what FastAPI's wrapper reads
            if match is Match.FULL:
                return route
    return route
