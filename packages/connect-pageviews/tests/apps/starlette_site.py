"""A Starlette site for the tag's tests; the user comes from CONNECT_PAGEVIEWS_USER_ID."""

from __future__ import annotations

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from connect_pageviews.starlette import init_app

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.DictLoader(
            {"post.html": "<!doctype html><title>{{ slug }}</title>{% connect_pageviews %}"}
        ),
        autoescape=True,
    )
)


def user_id(request: Request) -> str | None:
    return request.cookies.get("demo_user")


async def post(request: Request) -> Response:
    return templates.TemplateResponse(request, "post.html", {"slug": request.path_params["slug"]})


app = Starlette(routes=[Route("/blog/{slug}/", post)])
init_app(app, templates)
