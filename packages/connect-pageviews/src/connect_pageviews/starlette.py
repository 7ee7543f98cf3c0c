"""FastAPI / Starlette: `connect_pageviews.starlette.init_app(app, templates)`, then
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
from connect_pageviews.jinja import extension_of
from connect_pageviews.settings import resolve

MOUNT_NAME = "connect_pageviews"


def init_app(app: Starlette, templates: Jinja2Templates, **settings: object) -> bool:
    """Adds the tag to `templates` and serves the bundle from `app`; True when the tag renders
    (the token is set)."""
    resolved = resolve(settings)
    app.mount(
        "/connect-pageviews/static",
        StaticFiles(packages=[("connect_pageviews", "static")]),
        name=MOUNT_NAME,
    )
    extension_of(templates.env).apply(resolved, _script_src)
    return resolved.enabled


def _script_src(request: Any) -> str | None:
    return None if request is None else str(request.url_for(MOUNT_NAME, path=STATIC_PATH).path)
