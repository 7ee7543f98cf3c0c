"""Declares every CONNECT_* setting of connect-otel to Plain (see connect_config.plain)."""

from connect_config.plain import declare
from connect_otel.settings import TABLE as _table  # upper-case names here are settings

declare(globals(), _table)
