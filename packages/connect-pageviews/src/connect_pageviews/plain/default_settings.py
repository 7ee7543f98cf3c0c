"""Declares every CONNECT_PAGEVIEWS_* setting to Plain (see connect_config.plain)."""

from connect_config.plain import declare
from connect_pageviews.settings import TABLE as _table  # upper-case names here are settings

declare(globals(), _table)
