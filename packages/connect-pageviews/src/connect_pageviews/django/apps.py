from __future__ import annotations

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings as django_settings

from connect_pageviews._startup import announce
from connect_pageviews.settings import SETTINGS, PageviewsSettings, resolve


class PageviewsConfig(AppConfig):
    name = "connect_pageviews.django"
    label = "connect_pageviews"
    # The package root, so the static-files finder serves static/connect_pageviews/pageviews.js.
    path = str(Path(__file__).parents[1])
    settings: PageviewsSettings

    def ready(self) -> None:
        framework = {
            f"CONNECT_{s.name}": getattr(django_settings, f"CONNECT_{s.name}", None)
            for s in SETTINGS
        }
        PageviewsConfig.settings = resolve(framework=framework)
        announce(PageviewsConfig.settings)
