"""The `{% connect_pageviews %}` extension for Plain's Jinja templates.

The bundle is embedded inline with the request's CSP nonce: plain.assets serves only `assets/`
directories. The signed-in user comes from plain.auth when it is installed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from connect_config.frameworks import plain_settings as plain_lookup
from connect_pageviews.jinja import PageviewsExtension
from connect_pageviews.settings import TABLE, PageviewsSettings


@cache
def plain_settings() -> PageviewsSettings:
    return TABLE.resolve(framework=TABLE.framework_values(plain_lookup()))


class PlainPageviewsExtension(PageviewsExtension):
    def initial_settings(self) -> PageviewsSettings:
        return plain_settings()

    def default_user_lookup(self, request: Any) -> object:
        try:
            from plain.auth import get_request_user
        except ImportError:  # an app without plain.auth: views are counted, not attributed
            return None
        user = get_request_user(request)
        return None if user is None else user.id
