"""Requests to a mounted app are named by the route inside it, through the contrib's own span
details: this fails if the contrib stops looking the route up through `_get_route_details`."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from connect_otel import _mounted_routes


def text(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


def app() -> FastAPI:
    admin = Starlette(
        routes=[
            Route("/login", text),
            Route("/{identity}/list", text),
            Mount("/reports", routes=[Route("/{year}", text)]),
        ]
    )
    outer = FastAPI()
    outer.get("/items/{item_id}")(lambda item_id: item_id)
    outer.mount("/admin", admin)
    return outer


def scope(application: FastAPI, path: str) -> dict[str, Any]:
    return {
        "type": "http", "app": application, "path": path, "root_path": "", "method": "GET",
        "headers": [], "query_string": b"",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/admin/login", "/admin/login"),
        ("/admin/book/list", "/admin/{identity}/list"),
        ("/admin/reports/2026", "/admin/reports/{year}"),
        ("/admin/nothing/here/at/all", "/admin"),
        ("/items/5", "/items/{item_id}"),
    ],
)
@pytest.mark.parametrize("instrumentation", _mounted_routes.INSTRUMENTATIONS)
def test_the_contribs_span_details_name_the_route_inside_a_mount(
    instrumentation: str, path: str, route: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module(instrumentation)
    monkeypatch.setattr(module, "_get_route_details", module._get_route_details)
    _mounted_routes.install()
    name, attributes = module._get_default_span_details(scope(app(), path))
    assert name == f"GET {route}"
    assert attributes.get("http.route") == route
