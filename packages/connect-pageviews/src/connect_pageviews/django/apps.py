"""Django: add "connect_pageviews.django" to INSTALLED_APPS, then in a template
`{% load connect_pageviews %}{% connect_pageviews %}`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings as configured
from django.core import checks
from django.core.signals import setting_changed

from connect_config.frameworks import django_settings
from connect_config.startup import warn_once
from connect_pageviews._secret_check import CHECK_ID, secret_key_missing
from connect_pageviews._startup import announce
from connect_pageviews.settings import TABLE, PageviewsSettings

logger = logging.getLogger("connect_pageviews")

REQUEST_PROCESSOR = "django.template.context_processors.request"


class PageviewsConfig(AppConfig):
    name = "connect_pageviews.django"
    label = "connect_pageviews"
    # The package root, so the static-files finder serves static/connect_pageviews/pageviews.js.
    path = str(Path(__file__).parents[1])
    settings: PageviewsSettings

    def ready(self) -> None:
        load_settings()
        announce(PageviewsConfig.settings)
        if PageviewsConfig.settings.enabled and not _request_in_templates():
            warn_once(
                logger,
                f"{REQUEST_PROCESSOR} is not in TEMPLATES' context_processors: "
                "{% connect_pageviews %} cannot see the request, so page views carry no user, "
                "route or CSP nonce",
            )
        # Tests' override_settings(CONNECT_PAGEVIEWS_...) reach the tag, as Django's do.
        setting_changed.connect(_reload, dispatch_uid="connect_pageviews.reload")
        checks.register(_check_secret_key)


def _check_secret_key(**kwargs: Any) -> list[checks.CheckMessage]:
    problem = secret_key_missing(PageviewsConfig.settings)
    if problem is None:
        return []
    return [checks.Warning(problem, hint="Set CONNECT_SECRET_KEY.", id=CHECK_ID)]


def load_settings() -> None:
    PageviewsConfig.settings = TABLE.resolve(framework=TABLE.framework_values(django_settings()))


_NAMES = frozenset(name for setting in TABLE.settings for name in setting.framework_names)


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in _NAMES:
        load_settings()


def _request_in_templates() -> bool:
    return any(
        REQUEST_PROCESSOR in engine.get("OPTIONS", {}).get("context_processors", ())
        for engine in getattr(configured, "TEMPLATES", ())
        if engine.get("BACKEND", "").endswith("DjangoTemplates")
    )
