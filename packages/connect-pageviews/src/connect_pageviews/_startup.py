"""What every integration says when the app starts, once per process."""

from __future__ import annotations

import logging

from connect_config.startup import warn_once
from connect_pageviews._secret_check import secret_key_missing
from connect_pageviews.settings import PageviewsSettings

logger = logging.getLogger("connect_pageviews")


def announce(settings: PageviewsSettings) -> None:
    """Says what an operator would otherwise only discover in the dashboard."""
    problem = secret_key_missing(settings)
    if problem is not None:
        warn_once(logger, problem)
