"""Flask: `connect_pageviews.flask.init_app(app)`, then `{% connect_pageviews %}` in templates.

Reads `app.config["CONNECT_PAGEVIEWS_*"]` (under the environment variables), serves the bundle
at /connect-pageviews/static/ and attributes views to Flask-Login's `current_user`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, url_for

from connect_config.frameworks import flask_config
from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.jinja import extension_of
from connect_pageviews.settings import TABLE


def init_app(app: Flask, **settings: object) -> bool:
    """Adds the tag to `app`'s templates; True when it renders (the token is set)."""
    resolved = TABLE.resolve(settings, TABLE.framework_values(flask_config(app)))
    if "connect_pageviews" not in app.blueprints:
        app.register_blueprint(
            Blueprint(
                "connect_pageviews",
                __name__,
                static_folder="static",
                static_url_path="/connect-pageviews/static",
            )
        )
    extension_of(app.jinja_env).apply(resolved, _script_src)
    return resolved.enabled


def _script_src(request: Any) -> str:
    return url_for("connect_pageviews.static", filename=STATIC_PATH)
