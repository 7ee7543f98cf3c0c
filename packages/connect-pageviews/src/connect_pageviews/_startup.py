"""What every integration does once, when the app starts."""

from __future__ import annotations

import logging

from connect_pageviews.settings import PageviewsSettings

logger = logging.getLogger("connect_pageviews")


def announce(settings: PageviewsSettings) -> None:
    """Says once what an operator would otherwise only discover in the dashboard."""
    if settings.enabled and not settings.pageviews_identity_key:
        logger.warning(
            "CONNECT_PAGEVIEWS_TOKEN is set but CONNECT_PAGEVIEWS_IDENTITY_KEY is not: page views "
            "are counted, but none will be attributed to signed-in users"
        )
