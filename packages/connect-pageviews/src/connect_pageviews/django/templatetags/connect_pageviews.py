"""`{% connect_pageviews %}` (or `{% connect_pageviews nonce=... %}`) in Django templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.django.apps import PageviewsConfig
from connect_pageviews.tag import render_tag

register = template.Library()


@register.simple_tag(takes_context=True)
def connect_pageviews(context: template.Context, nonce: str | None = None) -> SafeString:
    settings = PageviewsConfig.settings
    if not settings.enabled:
        return mark_safe("")
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    # django-csp and Django 6 put a lazy nonce on the request (Django 6 also in the context).
    # Lazy nonces are falsy until read, so test for presence, not truth.
    for found in (getattr(request, "csp_nonce", None), context.get("csp_nonce")):
        if nonce is None and found is not None:
            nonce = str(found)
    html = render_tag(
        settings,
        script_src=None if settings.pageviews_inline else static(STATIC_PATH),
        user_id=user.pk if user is not None and user.is_authenticated else None,
        route=getattr(match, "route", None),
        nonce=nonce,
    )
    return mark_safe(html)  # every value in it is escaped by render_tag
