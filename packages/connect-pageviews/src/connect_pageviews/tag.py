"""Renders the page-view tag from settings and what the request knows. Framework-free: the
Django, Jinja and Plain integrations gather the request's facts and call `render_tag`."""

from __future__ import annotations

import html
import logging
from typing import Any

from connect_pageviews.bundle import bundle_bytes, integrity
from connect_pageviews.identity import encrypt_identity
from connect_pageviews.settings import PageviewsSettings

logger = logging.getLogger("connect_pageviews")

_trace_api: Any = None


def current_trace_id() -> str:
    """The active OpenTelemetry trace id as 32 hex digits, or "" (also without OpenTelemetry,
    which connect-pageviews never requires)."""
    global _trace_api
    if _trace_api is None:
        try:
            from opentelemetry import trace
        except ImportError:
            _trace_api = False
        else:
            _trace_api = trace
    if not _trace_api:
        return ""
    context = _trace_api.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def route_pattern(route: str | None) -> str:
    """Route patterns begin with "/", as the `http.route` span attribute has them (Django's
    root route "" is "/"); None, no matched route, is ""."""
    if route is None:
        return ""
    return route if route.startswith("/") else "/" + route


def identity_token(settings: PageviewsSettings, user_id: object | None, fallback: str) -> str:
    """The user's identity token, or "" without a key or a user; an id that cannot be
    encrypted is logged (without the id: it is the user's) with `fallback`, what happens then."""
    if not settings.pageviews_identity_key or user_id is None:
        return ""
    try:
        return encrypt_identity(user_id, settings.pageviews_identity_key)
    except ValueError as error:
        logger.warning("connect_pageviews: %s: %s", fallback, error)
        return ""


def render_tag(
    settings: PageviewsSettings,
    *,
    script_src: str | None,
    user_id: object | None = None,
    route: str | None = None,
    trace_id: str | None = None,
    nonce: object = None,
) -> str:
    """The `<script>` tag, or "" while CONNECT_PAGEVIEWS_TOKEN is unset.

    `script_src` is the static URL of the bundle; with `None` (or the inline setting) the bundle
    is embedded instead. `trace_id=None` means the active OpenTelemetry span's trace.
    """
    if not settings.enabled:
        return ""
    identity = identity_token(settings, user_id, "the page view is counted without its user")
    attributes: dict[str, str | None] = {
        "data-token": settings.pageviews_token,
        "data-pageviews-url": settings.pageviews_url,
        "data-identity": identity,
        "data-trace-id": current_trace_id() if trace_id is None else trace_id,
        "data-route": route_pattern(route),
        "nonce": None if nonce is None or nonce == "" else str(nonce),
    }
    inline = settings.pageviews_inline or script_src is None
    if not inline:
        attributes = {
            "async": "",
            "src": script_src,
            "integrity": integrity(),
            "crossorigin": "anonymous",
            **attributes,
        }
    rendered = " ".join(
        name if value == "" and name == "async" else f'{name}="{html.escape(value, quote=True)}"'
        for name, value in attributes.items()
        if value is not None
    )
    body = bundle_bytes().decode() if inline else ""
    return f"<script {rendered}>{body}</script>"
