"""What every integration says when the app starts, once per process."""

from __future__ import annotations

import logging

from connect_config.startup import warn_once
from connect_pageviews.settings import TABLE, PageviewsSettings

logger = logging.getLogger("connect_pageviews")


def announce(settings: PageviewsSettings) -> None:
    """Says what an operator would otherwise only discover in the dashboard."""
    if settings.enabled and not settings.pageviews_identity_key:
        token, key = (TABLE.setting(name) for name in ("pageviews_token", "pageviews_identity_key"))
        warn_once(
            logger,
            f"{' or '.join(token.framework_names)} is set but "
            f"{' or '.join(key.framework_names)} is not: page views are counted, but none will "
            "be attributed to signed-in users",
        )
