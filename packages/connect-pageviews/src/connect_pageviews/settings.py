"""Every setting connect-pageviews reads, declared once in `TABLE`.

Resolution, validation, error messages, secret masking, the README's settings table and Plain's
setting declarations all derive from it (through connect-config, which connect-otel shares).
The framework integrations resolve the settings when the app starts, never inside a request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connect_config import ConfigurationError, Setting, SettingsBase, SettingsTable
from connect_config import parsers as p

__all__ = ["TABLE", "ConfigurationError", "PageviewsSettings", "resolve"]

# Shorter keys are passwords, not secrets: they fall to a dictionary attack on a token.
MIN_IDENTITY_KEY_LENGTH = 16


@dataclass(frozen=True, repr=False)
class PageviewsSettings(SettingsBase):
    """The resolved settings; its repr masks the identity key."""

    pageviews_token: str
    pageviews_identity_key: str
    pageviews_url: str
    pageviews_inline: bool
    pageviews_user_id: Callable[[Any], object] | None
    cloud_url: str

    @property
    def enabled(self) -> bool:
        return bool(self.pageviews_token)


TABLE = SettingsTable(
    "connect-pageviews",
    (
        Setting(
            "PAGEVIEWS_TOKEN",
            p.token,
            "",
            "Public token of the page-view endpoint. The tag renders nothing until it is set. "
            "plain.connect 0.10 renamed it; both names work.",
            aliases=("PAGEVIEWS_PUBLIC_TOKEN",),
        ),
        Setting(
            "PAGEVIEWS_IDENTITY_KEY",
            p.secret(MIN_IDENTITY_KEY_LENGTH),
            "",
            "Secret for encrypting the signed-in user's id into the identity token. "
            "Empty: page views carry no user. plain.connect 0.6 renamed it; both names work.",
            secret=True,
            aliases=("SECRET_KEY",),
        ),
        Setting(
            "PAGEVIEWS_URL",
            p.endpoint_url,
            "https://beacon.plainframework.com",
            "Where the beacon posts. Add its origin to your CSP's connect-src.",
        ),
        Setting(
            "PAGEVIEWS_INLINE",
            p.boolean,
            False,
            "Embed the beacon in the page instead of loading it from static files.",
            kind=bool,
        ),
        Setting(
            "PAGEVIEWS_USER_ID",
            p.function,
            "",
            "A function `request -> user id or None`, or its dotted path (imported at "
            "start-up), in place of the framework's own signed-in user: Django's "
            "`request.user`, Flask-Login, plain.auth. FastAPI/Starlette apps need it to attribute.",
            kind=object,
        ),
        Setting(
            "CLOUD_URL",
            p.base_url,
            "https://plainframework.com",
            "Base of support-form URLs: `connect_support_url(id)` is `<this>/forms/<id>`; "
            "connect-otel reads the same setting for its trace links.",
        ),
    ),
    PageviewsSettings,
)


def resolve(
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> PageviewsSettings:
    """Every setting by precedence, validated; raises `ConfigurationError` naming a bad one.

    `overrides` are keyword settings (`pageviews_token=...`, any case); `framework` maps
    `CONNECT_<NAME>` to a framework's configured values.
    """
    return TABLE.resolve(overrides, framework, None, environ)
