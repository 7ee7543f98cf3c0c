"""Requests to an app mounted inside another (`app.mount("/admin", admin)`) named by the route
that served them: `GET /admin/{identity}/list`, not `GET /admin`.

The contrib FastAPI and Starlette instrumentations take the first top-level route that fully
matches, and a mount fully matches everything below it. Connect wraps their route lookup (a
private function of each, pinned by a test) so that it looks inside the mount, as the routing
itself does, when the span starts; the span's name, `http.route` and the duration metric's
route all come from it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from starlette.routing import Match, Mount

logger = logging.getLogger("connect_otel")

INSTRUMENTATIONS = (
    "opentelemetry.instrumentation.fastapi",
    "opentelemetry.instrumentation.starlette",
)

RouteDetails = Callable[[Any], "str | None"]


def install() -> None:
    """Wraps each installed instrumentation's route lookup, once."""
    for name in INSTRUMENTATIONS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = getattr(module, "_get_route_details", None)
        if original is not None and not getattr(original, "connect_mounts", False):
            setattr(module, "_get_route_details", _looking_into_mounts(original))  # noqa: B010


def _looking_into_mounts(original: RouteDetails) -> RouteDetails:
    def route_details(scope: Any) -> str | None:
        route = original(scope)
        try:
            return full_route(scope, route)
        except Exception:  # the contrib's answer stands, whatever happens here
            logger.debug("Connect could not look inside a mounted app", exc_info=True)
            return route

    route_details.connect_mounts = True  # type: ignore[attr-defined]
    route_details.__wrapped__ = original  # type: ignore[attr-defined]
    return route_details


def full_route(scope: Any, route: str | None) -> str | None:
    """`route`, or, when it is a mount's, the mount's path and the inner route's."""
    if route is None:
        return route
    mount = _mounts(getattr(scope.get("app"), "routes", ())).get(route)
    if mount is None:
        return route
    inner = _inner_route(mount, scope)
    return route + inner if inner else route


# An app's mounts by path, found once per list of routes rather than on every request. The list
# is held, so its id is never another's; a route added later makes it longer, and it is looked
# at anew.
_found: dict[int, tuple[Any, int, dict[str, Mount]]] = {}


def _mounts(routes: Any) -> dict[str, Mount]:
    found = _found.get(id(routes))
    if found is not None and found[0] is routes and found[1] == len(routes):
        return found[2]
    mounts = {route.path: route for route in routes if isinstance(route, Mount)}
    if len(_found) < 64:
        _found[id(routes)] = (routes, len(routes), mounts)
    return mounts


def _inner_route(mount: Mount, scope: Any) -> str | None:
    match, child = mount.matches(scope)
    if match is not Match.FULL:
        return None
    scope = {**scope, **child}
    for route in mount.routes:
        if isinstance(route, Mount):
            deeper = _inner_route(route, scope)
            if deeper is not None:
                return route.path + deeper
            continue
        if route.matches(scope)[0] is Match.FULL:
            path = getattr(route, "path", None)
            return path if isinstance(path, str) else None
    return None
