"""Declares every CONNECT_* setting to Plain, so app/settings.py and PLAIN_CONNECT_* variables
work the Plain way. The settings themselves are defined once, in connect_otel.settings.

Each is None here: "not set in Plain", so connect-otel's own precedence (environment, then
app/settings.py, then what Plain knows, then the default) decides.
"""

from connect_otel.settings import SETTINGS as _table

globals().update({f"CONNECT_{setting.name}": None for setting in _table})
__annotations__ = {f"CONNECT_{setting.name}": setting.kind | None for setting in _table}
