"""FastAPI / Starlette: `connect_pageviews.starlette.install(app, templates)`, then
`{% connect_pageviews %}` in templates rendered with `request` in the context.

Serves the bundle under /connect-pageviews/static/ and reads the environment (there is no
framework settings object). Attribute views to your users with CONNECT_PAGEVIEWS_USER_ID.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.jinja import PageviewsExtension, configure
from connect_pageviews.settings import resolve

MOUNT_NAME = "connect_pageviews"


def install(app: Starlette, templates: Jinja2Templates, **overrides: object) -> None:
    settings = resolve(overrides)
    app.mount(
        "/connect-pageviews/static",
        StaticFiles(packages=[("connect_pageviews", "static")]),
        name=MOUNT_NAME,
    )
    templates.env.add_extension(PageviewsExtension)
    configure(templates.env, settings, script_src=_script_src)


def _script_src(request: Any) -> str:
    return str(request.url_for(MOUNT_NAME, path=STATIC_PATH).path)
