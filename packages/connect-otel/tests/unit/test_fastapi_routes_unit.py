"""Connect's route lookup for the contrib FastAPI instrumentation gives the contrib's answer, on
apps with every kind of route, and is what the contrib's span details use. This fails if the
contrib's lookup or FastAPI's route walk changes, or if Connect's lookup is no longer put in
place (FastAPI without `iter_route_contexts`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, WebSocket
from opentelemetry.instrumentation import fastapi as instrumentation
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Host, Route

from connect_otel import _fastapi_routes, _mounted_routes

CONTRIBS = instrumentation._get_route_details


def text(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


def router(prefix: str) -> APIRouter:
    routes = APIRouter(prefix=prefix)
    routes.get("/users/{user_id}")(lambda user_id: user_id)
    routes.post("/users")(lambda: None)
    nested = APIRouter(prefix="/teams")
    nested.get("/{team}/members/{member:int}")(lambda team, member: member)
    nested.put("/{team}")(lambda team: team)
    routes.include_router(nested)
    return routes


def app() -> FastAPI:
    application = FastAPI()
    application.get("/")(lambda: None)
    application.get("/items/{item_id:int}")(lambda item_id: item_id)
    application.put("/items/{item_id:int}")(lambda item_id: item_id)
    application.post("/orders")(lambda: None)
    application.delete("/orders/{order}")(lambda order: order)
    application.get("/files/{name:path}")(lambda name: name)

    async def socket(websocket: WebSocket) -> None:
        await websocket.close()

    application.websocket("/live/{room}")(socket)
    application.include_router(router("/api"))
    application.include_router(router("/v2"), prefix="/outer")
    application.mount("/admin", Starlette(routes=[Route("/{identity}/list", text)]))
    application.router.routes.append(
        Host("status.example.com", app=Starlette(routes=[Route("/up", text)]))
    )
    application.get("/late/{when}")(lambda when: when)  # after the mount and the host
    return application


PATHS = [
    ("GET", "/"),
    ("GET", "/items/5"),
    ("PUT", "/items/5"),
    ("PATCH", "/items/5"),  # only partial matches
    ("GET", "/items/five"),  # the converter refuses it
    ("POST", "/orders"),
    ("GET", "/orders"),
    ("DELETE", "/orders/7"),
    ("GET", "/files/a/b/c.txt"),
    ("GET", "/api/users/3"),
    ("POST", "/api/users"),
    ("DELETE", "/api/users"),
    ("GET", "/api/teams/red/members/4"),
    ("GET", "/api/teams/red/members/four"),
    ("PUT", "/api/teams/red"),
    ("GET", "/api/teams/red"),
    ("GET", "/outer/v2/users/3"),
    ("PUT", "/outer/v2/teams/blue"),
    ("GET", "/admin/book/list"),
    ("GET", "/admin/nothing"),
    ("GET", "/late/now"),
    ("GET", "/up"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/nowhere"),
]


def scope(application: FastAPI, method: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "http", "app": application, "path": path, "root_path": "", "method": method,
        "headers": [(b"host", b"localhost")], "query_string": b"", **extra,
    }  # fmt: skip


@pytest.fixture
def connects_lookup(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(instrumentation, "_get_route_details", CONTRIBS)
    _fastapi_routes.install()
    lookup = instrumentation._get_route_details
    assert getattr(lookup, "connect_lookup", False), "Connect's lookup was not put in place"
    yield lookup


def test_the_lookup_is_the_contribs_for_every_kind_of_route(connects_lookup: Any) -> None:
    application = app()
    scopes = [scope(application, method, path) for method, path in PATHS]
    scopes += [
        scope(application, "GET", "/up", headers=[(b"host", b"status.example.com")]),
        scope(application, "GET", "/api/users/3", root_path="/prefix"),
        {**scope(application, "GET", "/live/lobby"), "type": "websocket"},
        {**scope(application, "GET", "/items/5"), "type": "websocket"},
    ]
    answers = [(connects_lookup(each), CONTRIBS(each)) for each in scopes]
    assert all(connects == contribs for connects, contribs in answers), answers
    found = {connects for connects, _ in answers}
    # The apps cover what they mean to: nested routers, partial matches, a miss.
    assert {"/api/teams/{team}/members/{member:int}", "/outer/v2/teams/{team}"} <= found
    assert {"/orders", "/items/{item_id:int}", None} <= found


def test_routes_added_later_are_found(connects_lookup: Any) -> None:
    application = app()
    assert connects_lookup(scope(application, "GET", "/added")) is None
    application.get("/added")(lambda: None)
    extra = APIRouter(prefix="/more")
    extra.get("/{thing}")(lambda thing: thing)
    application.include_router(extra)
    assert connects_lookup(scope(application, "GET", "/added")) == "/added"
    assert connects_lookup(scope(application, "GET", "/more/x")) == "/more/{thing}"


def test_the_contribs_span_details_use_it_and_mounts_are_looked_into(
    connects_lookup: Any,
) -> None:
    _mounted_routes.install()  # the fixture's monkeypatch puts the contrib's back afterwards
    lookup = instrumentation._get_route_details
    assert lookup.__wrapped__ is connects_lookup, "the mount lookup wraps Connect's"
    _fastapi_routes.install()
    assert instrumentation._get_route_details is lookup, "installed once"
    name, attributes = instrumentation._get_default_span_details(
        scope(app(), "GET", "/admin/book/list")
    )
    assert name == "GET /admin/{identity}/list"
    assert attributes["http.route"] == "/admin/{identity}/list"


def test_a_failing_lookup_gives_the_contribs_answer(
    connects_lookup: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: Any) -> None:
        raise RuntimeError("Connect's lookup failed")

    monkeypatch.setattr(_fastapi_routes, "_route", failing)
    assert connects_lookup(scope(app(), "GET", "/items/5")) == "/items/{item_id:int}"
