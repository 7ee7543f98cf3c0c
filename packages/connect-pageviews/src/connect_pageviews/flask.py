"""Flask: `connect_pageviews.flask.init_app(app)`, then `{% connect_pageviews %}` in templates.

Reads `app.config["CONNECT_PAGEVIEWS_*"]` (under the environment variables), serves the bundle
at /connect-pageviews/static/ and attributes views to Flask-Login's `current_user`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, url_for

from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.jinja import PageviewsExtension, configure
from connect_pageviews.settings import SETTINGS, resolve


def init_app(app: Flask, **overrides: object) -> None:
    settings = resolve(
        overrides,
        framework={f"CONNECT_{s.name}": app.config.get(f"CONNECT_{s.name}") for s in SETTINGS},
    )
    app.register_blueprint(
        Blueprint(
            "connect_pageviews",
            __name__,
            static_folder="static",
            static_url_path="/connect-pageviews/static",
        )
    )
    app.jinja_env.add_extension(PageviewsExtension)
    configure(app.jinja_env, settings, script_src=_script_src)


def _script_src(request: Any) -> str:
    return url_for("connect_pageviews.static", filename=STATIC_PATH)
