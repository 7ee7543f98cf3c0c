"""`{% connect_pageviews %}` (or `{% connect_pageviews nonce=... %}`) in Django templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from connect_pageviews._request import tag_for_request
from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.django.apps import PageviewsConfig

register = template.Library()


@register.simple_tag(takes_context=True)
def connect_pageviews(context: template.Context, nonce: object = None) -> SafeString:
    html = tag_for_request(
        PageviewsConfig.settings,
        context.get("request"),
        user_lookup=_django_user_id,
        script_src=_static_url,
        nonce=nonce,
        context_nonce=context.get("csp_nonce"),
    )
    return mark_safe(html)  # every value in it is escaped by render_tag


def _django_user_id(request: Any) -> object:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _static_url(request: Any) -> str:
    return str(static(STATIC_PATH))
