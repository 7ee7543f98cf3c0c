"""The tag for one request: what every template engine's integration calls.

The request's facts (signed-in user, route pattern, CSP nonce, where the bundle is served) are
gathered here, each behind the same guard: a failing user lookup, a lazy user whose session is
gone or a static-files manifest that misses the bundle costs that one fact, logged, and the page
still renders with a tag that counts the view.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from connect_pageviews.identity import user_id_text
from connect_pageviews.settings import PageviewsSettings
from connect_pageviews.support import render_support_fields, render_token
from connect_pageviews.tag import identity_token, render_tag

logger = logging.getLogger("connect_pageviews")

T = TypeVar("T")
UserLookup = Callable[[Any], object]
ScriptSource = Callable[[Any], "str | None"]


def tag_for_request(
    settings: PageviewsSettings,
    request: Any,
    *,
    user_lookup: UserLookup,
    script_src: ScriptSource | None,
    nonce: object = None,
    context_nonce: object = None,
) -> str:
    """The `<script>` tag for `request`, or "" while the token is unset. Never raises.

    `user_lookup(request)` returns the signed-in user's id or None (CONNECT_PAGEVIEWS_USER_ID,
    when set, takes its place); `script_src(request)` the bundle's static URL (None: embed it
    inline). `nonce` is the tag's own argument and wins over
    the request's nonce (`request.csp_nonce`), then the template context's (`context_nonce`).
    """
    if not settings.enabled:
        return ""
    user_id = _signed_in_user(settings, request, user_lookup)
    source = None
    if script_src is not None and not settings.pageviews_inline:
        source = _guarded("finding the bundle's static URL", lambda: script_src(request))
    nonce_text = _guarded("reading the CSP nonce", lambda: _nonce(nonce, request, context_nonce))
    route = _guarded("finding the route pattern", lambda: route_of(request))
    try:
        return render_tag(
            settings, script_src=source, user_id=user_id, route=route, nonce=nonce_text
        )
    except Exception:
        logger.exception("connect_pageviews: rendering the tag failed; the page has none")
        return ""


def support_fields_for_request(
    settings: PageviewsSettings, request: Any, *, user_lookup: UserLookup
) -> str:
    """The support form's three hidden inputs for `request`. Never raises: without a secret, or
    when the user cannot be found, the tokens are empty and the form still submits."""
    try:
        user_id = _signed_in_user(settings, request, user_lookup)
        identity = identity_token(settings, user_id, "the support form is sent without its user")
        return render_support_fields(render_token(settings.pageviews_identity_key), identity)
    except Exception:
        logger.exception("connect_pageviews: rendering the support fields failed")
        return render_support_fields("", "")


def _signed_in_user(
    settings: PageviewsSettings, request: Any, user_lookup: UserLookup
) -> str | None:
    if not settings.pageviews_identity_key or request is None:
        return None
    lookup = settings.pageviews_user_id or user_lookup
    return _guarded("finding the signed-in user", lambda: _user_text(lookup(request)))


def route_of(request: Any) -> str | None:
    """The matched route pattern in the framework's own syntax, or None."""
    if request is None:
        return None
    match = getattr(request, "resolver_match", None)  # Django, Plain
    if match is not None:
        route = getattr(match, "route", None)
        # Django's root route is "": still a route, unlike a request no route matched.
        return None if route is None else str(route)
    rule = getattr(request, "url_rule", None)  # Flask
    if rule is not None:
        return str(rule.rule)
    scope = getattr(request, "scope", None)  # Starlette
    route = scope.get("route") if isinstance(scope, dict) else None
    path = getattr(route, "path", None)
    return str(path) if path else None


def _user_text(user_id: object) -> str | None:
    # str() runs the app's own code (a model's __str__): inside the guard, not in render_tag.
    return None if user_id is None else user_id_text(user_id)


def _nonce(explicit: object, request: Any, context_nonce: object) -> str | None:
    # django-csp and Django 6 put a lazy nonce on the request (Django 6 also in the context);
    # lazy nonces are falsy until read, so test for presence, not truth.
    for found in (explicit, getattr(request, "csp_nonce", None), context_nonce):
        if found is not None:
            return str(found)
    return None


def _guarded(what: str, find: Callable[[], T | None]) -> T | None:
    try:
        return find()
    except Exception:
        logger.exception("connect_pageviews: %s failed; the page view is counted without it", what)
        return None
