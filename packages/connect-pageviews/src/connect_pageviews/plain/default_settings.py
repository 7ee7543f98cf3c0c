"""Declares every CONNECT_PAGEVIEWS_* setting to Plain, so app/settings.py and
PLAIN_CONNECT_PAGEVIEWS_* variables work the Plain way. The settings themselves are defined
once, in connect_pageviews.settings; None here means "not set in Plain"."""

from connect_pageviews.settings import SETTINGS as _table

globals().update({f"CONNECT_{setting.name}": None for setting in _table})
__annotations__ = {f"CONNECT_{setting.name}": setting.kind | None for setting in _table}
