"""`{% connect_pageviews %}` (or `{% connect_pageviews nonce=... %}`) in Django templates, and
the support form's `{% connect_support_fields %}` and `{% connect_support_url "<id>" %}`."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe

from connect_pageviews._request import support_fields_for_request, tag_for_request
from connect_pageviews.bundle import STATIC_PATH
from connect_pageviews.django.apps import PageviewsConfig
from connect_pageviews.support import support_url

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


@register.simple_tag(takes_context=True)
def connect_support_fields(context: template.Context) -> SafeString:
    html = support_fields_for_request(
        PageviewsConfig.settings, context.get("request"), user_lookup=_django_user_id
    )
    return mark_safe(html)  # every value in it is escaped by render_support_fields


@register.simple_tag
def connect_support_url(endpoint_id: str) -> str:
    return support_url(PageviewsConfig.settings.cloud_url, endpoint_id)


def _django_user_id(request: Any) -> object:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _static_url(request: Any) -> str:
    return str(static(STATIC_PATH))
