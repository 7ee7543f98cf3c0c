"""Every setting connect-pageviews reads, declared once.

Precedence, highest first: keyword arguments, environment variables (`CONNECT_<NAME>`, then
`PLAIN_CONNECT_<NAME>`), the framework's settings (`CONNECT_<NAME>`), the default. Values are
validated when the app starts (the framework integrations call `resolve()` then), never inside
a request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIXES = ("CONNECT_", "PLAIN_CONNECT_")


class ConfigurationError(ValueError):
    """A setting has a value connect-pageviews cannot use."""


_TOKEN = re.compile(r"[\x21-\x7e]*")


def _token(value: object) -> str:
    if isinstance(value, str) and _TOKEN.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("printable ASCII without spaces or line breaks")


def _secret(value: object) -> str:
    if isinstance(value, str) and "\n" not in value and "\r" not in value:
        return value
    raise ValueError("a single-line string (any characters; keep it secret)")


def _url(value: object) -> str:
    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            return value.strip()
    raise ValueError("an http:// or https:// URL with a host, e.g. https://beacon.example.com")


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("true or false")


def _function(value: object) -> str | Callable[[Any], object]:
    if callable(value):
        return value
    if isinstance(value, str) and (value == "" or re.fullmatch(r"[\w.]+[.:][\w]+", value)):
        return value
    raise ValueError("a function, or its dotted path, e.g. myapp.auth.current_user_id")


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[object], Any]
    default: object
    doc: str
    # The type a framework's settings file holds it as (Plain checks settings against it).
    kind: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PAGEVIEWS_TOKEN",
        _token,
        "",
        "Public token of the page-view endpoint. The tag renders nothing until it is set.",
    ),
    Setting(
        "PAGEVIEWS_IDENTITY_KEY",
        _secret,
        "",
        "Secret for encrypting the signed-in user's id into the identity token. "
        "Empty: page views carry no user.",
    ),
    Setting(
        "PAGEVIEWS_URL",
        _url,
        "https://beacon.plainframework.com",
        "Where the beacon posts. Add its origin to your CSP's connect-src.",
    ),
    Setting(
        "PAGEVIEWS_INLINE",
        _bool,
        False,
        "Embed the beacon in the page instead of loading it from static files.",
        kind=bool,
    ),
    Setting(
        "PAGEVIEWS_USER_ID",
        _function,
        "",
        "Jinja apps without Flask-Login: a function `request -> user id | None`, or its path.",
    ),
)


@dataclass(frozen=True)
class PageviewsSettings:
    pageviews_token: str
    pageviews_identity_key: str
    pageviews_url: str
    pageviews_inline: bool
    pageviews_user_id: str | Callable[[Any], object]

    @property
    def enabled(self) -> bool:
        return bool(self.pageviews_token)


def resolve(
    overrides: Mapping[str, object] | None = None,
    framework: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> PageviewsSettings:
    environ = os.environ if environ is None else environ
    overrides = overrides or {}
    framework = framework or {}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        key = setting.name.lower()
        source, raw = "default", setting.default
        env_hits = [p + setting.name for p in ENV_PREFIXES if p + setting.name in environ]
        if key in overrides:
            source, raw = f"{key}=...", overrides[key]
        elif env_hits:
            source, raw = f"environment variable {env_hits[0]}", environ[env_hits[0]]
        elif framework.get("CONNECT_" + setting.name) is not None:
            source, raw = f"setting CONNECT_{setting.name}", framework["CONNECT_" + setting.name]
        try:
            values[key] = setting.parse(raw)
        except ValueError as accepted:
            shown = "(hidden)" if setting.name == "PAGEVIEWS_IDENTITY_KEY" else repr(raw)
            raise ConfigurationError(
                f"{source} = {shown} is not valid for CONNECT_{setting.name}: expected {accepted}"
            ) from None
    return PageviewsSettings(**values)
