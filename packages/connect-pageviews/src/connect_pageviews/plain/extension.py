"""The `{% connect_pageviews %}` extension for Plain's Jinja templates.

The bundle is embedded inline with the request's CSP nonce: plain.assets serves only `assets/`
directories. The signed-in user comes from plain.auth when it is installed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment
from plain.runtime import settings

from connect_pageviews.jinja import PageviewsExtension
from connect_pageviews.settings import SETTINGS, PageviewsSettings, resolve


@cache
def plain_settings() -> PageviewsSettings:
    return resolve(
        framework={f"CONNECT_{s.name}": getattr(settings, f"CONNECT_{s.name}") for s in SETTINGS}
    )


def plain_auth_user_id(request: Any) -> object:
    try:
        from plain.auth import get_request_user
    except ImportError:  # an app without plain.auth: views are counted, not attributed
        return None
    user = get_request_user(request)
    return None if user is None else user.id


class PlainPageviewsExtension(PageviewsExtension):
    def initial_settings(self) -> PageviewsSettings:
        return plain_settings()

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        if environment.connect_pageviews_user_id is None:  # type: ignore[attr-defined]
            environment.connect_pageviews_user_id = plain_auth_user_id  # type: ignore[attr-defined]
