"""connect-config: the settings machinery connect-otel and connect-pageviews share.

Each package declares its settings once, in a `SettingsTable` of `Setting`s with the parsers in
`connect_config.parsers`; resolution, validation, secret masking, the README tables and Plain's
setting declarations all derive from that table.
"""

from connect_config.table import (
    ENV_PREFIXES,
    TEXT_OR_LIST,
    ConfigurationError,
    Setting,
    SettingsBase,
    SettingsTable,
)

__all__ = [
    "ENV_PREFIXES",
    "TEXT_OR_LIST",
    "ConfigurationError",
    "Setting",
    "SettingsBase",
    "SettingsTable",
]
