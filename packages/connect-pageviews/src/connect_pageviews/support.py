"""Support forms: the form's action URL and the three fields the support endpoint expects.

A support form posts from the app's page to `{CONNECT_CLOUD_URL}/forms/<endpoint id>`. Three
fields come with it: a render token that proves the form was rendered by an app holding the
secret, and when (`<unix seconds>.<hex HMAC-SHA256>`, keyed by the UTF-8 secret, over
`render-token:<seconds>`); the signed-in user's identity token (identity token v1, or empty);
and a honeypot field that people never see and bots fill in.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import time
from urllib.parse import quote

RENDER_TOKEN_FIELD = "plain_connect_render_token"
IDENTITY_FIELD = "plain_connect_identity"
HONEYPOT_FIELD = "plain_connect_check"
# Field names the endpoint reads itself: a form's own inputs must not use them for anything else.
RESERVED_FIELDS = ("name", "email", "message", "form_slug", "_next")


def render_token(secret: str, unix_seconds: int | None = None) -> str:
    """The render token for now (or `unix_seconds`); "" without a secret."""
    if not secret:
        return ""
    seconds = int(time.time()) if unix_seconds is None else unix_seconds
    digest = hmac.new(
        secret.encode("utf-8"), f"render-token:{seconds}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{seconds}.{digest}"


def support_url(cloud_url: str, endpoint_id: str) -> str:
    """Where a support form posts: the endpoint id is quoted whole, slashes included."""
    return f"{cloud_url.rstrip('/')}/forms/{quote(str(endpoint_id), safe='')}"


def render_support_fields(render_token: str, identity: str) -> str:
    """The three hidden inputs, every value escaped. Without a secret both tokens are empty and
    the inputs still render, so that the form still submits."""
    return (
        f'<input type="hidden" name="{RENDER_TOKEN_FIELD}" '
        f'value="{html.escape(render_token, quote=True)}">'
        f'<input type="hidden" name="{IDENTITY_FIELD}" value="{html.escape(identity, quote=True)}">'
        f'<input type="text" name="{HONEYPOT_FIELD}" tabindex="-1" autocomplete="off" hidden '
        'aria-hidden="true">'
    )
